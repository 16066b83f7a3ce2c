"""Refuse a server that could lose an acknowledged document.

A receipt promises durability, so the store checks at open that commits are
flushed (``fsync``), that the client waits for the flush (``synchronous_commit``)
and that torn pages can be repaired after a crash (``full_page_writes``).
"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

from gateway.store.model import StoreMisconfigured

REQUIRED_ON = ("fsync", "synchronous_commit", "full_page_writes")


def unsafe_settings(settings: Mapping[str, str]) -> list[str]:
    """Names of the durability settings that are off (or missing)."""
    # synchronous_commit may also be local/remote_write/remote_apply: all of
    # them wait for the local flush; only "off" does not.
    return [name for name in REQUIRED_ON if settings.get(name, "off") == "off"]


async def check_durability(conn: asyncpg.Connection) -> None:
    rows = await conn.fetch(
        "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])", list(REQUIRED_ON)
    )
    unsafe = unsafe_settings({row["name"]: row["setting"] for row in rows})
    if unsafe:
        raise StoreMisconfigured(
            f"PostgreSQL has {', '.join(f'{name}=off' for name in unsafe)}: acknowledged "
            "documents could be lost in a crash; turn it on before serving"
        )
