from pathlib import Path

import pytest

from gateway.config import Config, ConfigError


def test_defaults_use_embedded_database(tmp_path: Path) -> None:
    config = Config.load({"EPORT_HOME": str(tmp_path)})
    assert config.embedded
    assert config.home == tmp_path
    assert config.bind == "127.0.0.1:8080"


def test_environment_overrides_toml_file(tmp_path: Path) -> None:
    (tmp_path / "eport.toml").write_text('bind = "0.0.0.0:9000"\nworkers = 3\n')
    config = Config.load({"EPORT_HOME": str(tmp_path), "EPORT_WORKERS": "2"})
    assert config.bind == "0.0.0.0:9000"
    assert config.workers == 2


def test_database_url_turns_off_embedded(tmp_path: Path) -> None:
    env = {"EPORT_HOME": str(tmp_path), "EPORT_DATABASE_URL": "postgresql://x@h/db"}
    config = Config.load(env)
    assert not config.embedded
    assert config.database_url == "postgresql://x@h/db"


@pytest.mark.parametrize(
    ("env", "message"),
    [({"EPORT_WORKERS": "many"}, "workers"), ({"EPORT_POOL_SIZE": "-1"}, "pool_size")],
)
def test_bad_values_are_refused_with_the_setting_name(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.load({"EPORT_HOME": str(tmp_path), **env})


def test_unknown_toml_setting_is_refused(tmp_path: Path) -> None:
    (tmp_path / "eport.toml").write_text("colour = 'red'\n")
    with pytest.raises(ConfigError, match="colour"):
        Config.load({"EPORT_HOME": str(tmp_path)})


def test_a_loaded_config_survives_a_round_trip_through_from_mapping(tmp_path: Path) -> None:
    config = Config.load({"EPORT_HOME": str(tmp_path)})
    again = Config.from_mapping({name: getattr(config, name)
                                 for name in config.__dataclass_fields__})
    assert again == config
    assert again.database_url is None
