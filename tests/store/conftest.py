"""Fixtures for the store tests: a Store on the session database, and raw SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.store import Store

from .helpers import Sql, sealer, store_config


@pytest.fixture
async def sql(database_url: str) -> AsyncIterator[Sql]:
    handle = Sql(database_url)
    yield handle
    await handle.aclose()


@pytest.fixture
async def store(tmp_path: Path, database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(store_config(tmp_path, database_url), sealer)
    yield opened
    await opened.aclose()
