"""A server that could lose acknowledged documents is refused at open."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gateway.store import Store, StoreMisconfigured
from gateway.store.safety import unsafe_settings

from .helpers import Sql, fresh_database, sealer, store_config


async def test_synchronous_commit_off_is_refused(tmp_path: Path, sql: Sql) -> None:
    async with fresh_database(sql) as url:
        name = urlsplit(url).path.lstrip("/")
        await sql.execute(f"ALTER DATABASE {name} SET synchronous_commit = off")
        with pytest.raises(StoreMisconfigured, match="synchronous_commit=off"):
            await Store.open(store_config(tmp_path, url), sealer)


@pytest.mark.parametrize(
    ("settings", "unsafe"),
    [
        ({"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}, []),
        ({"fsync": "on", "synchronous_commit": "local", "full_page_writes": "on"}, []),
        (
            {"fsync": "off", "synchronous_commit": "on", "full_page_writes": "off"},
            ["fsync", "full_page_writes"],
        ),
        ({"fsync": "on", "full_page_writes": "on"}, ["synchronous_commit"]),
    ],
)
def test_unsafe_settings_names_each_setting_that_is_off(
    settings: dict[str, str], unsafe: list[str]
) -> None:
    assert unsafe_settings(settings) == unsafe
