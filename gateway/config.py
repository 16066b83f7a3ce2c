"""The one configuration object.

Precedence, lowest first: the typed defaults below, an optional TOML file
(``EPORT_CONFIG`` or ``$EPORT_HOME/eport.toml``), then ``EPORT_<FIELD>``
environment variables (``EPORT_DATABASE_URL``, ``EPORT_BIND``, ...).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A setting has a value of the wrong type or outside its range."""


@dataclass(frozen=True)
class Config:
    home: Path = field(default_factory=lambda: Path("~/.eport").expanduser())
    database_url: str | None = None
    bind: str = "127.0.0.1:8080"
    workers: int = 1
    # store
    # Group-commit writers per worker. One: batches that notify one hot enterprise
    # wait for each other on its seq row anyway, so more writers only cut the same
    # work into smaller transactions (docs/store.md).
    pool_size: int = 1
    batch_max_docs: int = 512
    batch_max_wait_ms: float = 2.0
    batch_max_per_line: int = 8  # documents moving one ledger line per batch; 0: no cap
    partition_days_ahead: int = 7
    retention_days: int = 0
    store_timeout_s: float = 5.0
    # pipeline
    card_cache: int = 100_000  # cards each worker holds (least recently used go first)
    max_future_skew_s: float = 300.0
    max_age_s: float = 86400.0
    # limits
    max_body_bytes: int = 1 << 20
    max_batch_body_bytes: int = 16 << 20
    max_batch_items: int = 1000
    ws_max_frame_bytes: int = 1 << 20
    ws_credit: int = 256
    rate_per_cert: float = 2000.0
    rate_burst: int = 4000
    keep_alive_s: float = 75.0
    body_timeout_s: float = 30.0

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @classmethod
    def load(cls, environ: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("EPORT_HOME", "~/.eport")).expanduser()
        values: dict[str, Any] = {"home": home}
        toml_path = Path(env.get("EPORT_CONFIG", home / "eport.toml"))
        if toml_path.is_file():
            values.update(tomllib.loads(toml_path.read_text("utf-8")))
        for f in fields(cls):
            raw = env.get(f"EPORT_{f.name.upper()}")
            if raw is not None and f.name != "home":
                values[f.name] = raw
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Config:
        known = {f.name: f for f in fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        base = cls()
        converted = {name: _convert(name, getattr(base, name), v) for name, v in values.items()}
        return replace(base, **converted)


def _convert(name: str, default: Any, value: Any) -> Any:
    if name == "home":
        return Path(value).expanduser()
    if name == "database_url":
        return str(value) if value else None
    target = type(default)
    try:
        converted = target(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected {target.__name__}, got {value!r}") from exc
    if isinstance(converted, int | float) and converted < 0:
        raise ConfigError(f"{name}: must not be negative, got {value!r}")
    return converted
