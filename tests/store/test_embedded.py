"""With no database URL the store runs its own PostgreSQL under the home directory."""

from __future__ import annotations

from pathlib import Path

from gateway.config import Config
from gateway.store import Store

from .helpers import enterprise, sealer, submission


async def test_embedded_server_starts_serves_and_stops(pg_dir: Path) -> None:
    store = await Store.open(Config(home=pg_dir / "home"), sealer)
    try:
        assert (await store.commit(submission(enterprise(), "E-1"))).kind == "new"
        assert await store.ping()
    finally:
        await store.aclose()
    assert (pg_dir / "home" / "pgdata" / "PG_VERSION").exists()
    assert not (pg_dir / "home" / "pgdata" / "postmaster.pid").exists()
