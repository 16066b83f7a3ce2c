"""Daily range partitions of ``documents`` and ``feed``, and their retention.

There is no default partition: a row whose day has no partition would land in
it and block every later ATTACH of that day. Instead partitions are created
ahead (today plus ``days_ahead``), on demand when a batch carries a day
without one, and periodically by the maintenance task.

New partitions are created as plain tables and then ATTACHed, which takes only
a SHARE UPDATE EXCLUSIVE lock on the parent, so writers are never blocked.
Retention DETACHes ... CONCURRENTLY (outside a transaction) and then DROPs,
with a lock_timeout so it gives up rather than queue in front of writers.
``doc_keys`` rows are kept: an id stays consumed forever.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import asyncpg

PARTITIONED = ("documents", "feed")
PARTITION_LOCK = 0x6570_6F72_7402
LOCK_TIMEOUT = "2s"

_NAME = re.compile(r"^(documents|feed)_p(\d{8})$")


def partition_name(parent: str, day: date) -> str:
    return f"{parent}_p{day:%Y%m%d}"


def _bounds(day: date) -> tuple[str, str]:
    return (
        f"{day.isoformat()} 00:00:00+00",
        f"{(day + timedelta(days=1)).isoformat()} 00:00:00+00",
    )


async def existing_days(conn: asyncpg.Connection) -> dict[str, set[date]]:
    """Days that have a partition, per parent table (detach-pending ones excluded)."""
    rows = await conn.fetch(
        """
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = ANY($1::regclass[]) AND NOT i.inhdetachpending
        """,
        list(PARTITIONED),
    )
    days: dict[str, set[date]] = {parent: set() for parent in PARTITIONED}
    for row in rows:
        parsed = _parse(row["relname"])
        if parsed:
            days[parsed[0]].add(parsed[1])
    return days


async def ensure_days(conn: asyncpg.Connection, days: set[date]) -> None:
    """Create the partitions of ``days`` that do not exist yet (idempotent)."""
    await conn.execute("SELECT pg_advisory_lock($1)", PARTITION_LOCK)
    try:
        have = await existing_days(conn)
        for parent in PARTITIONED:
            for day in sorted(days - have[parent]):
                await _create(conn, parent, day)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", PARTITION_LOCK)


async def _create(conn: asyncpg.Connection, parent: str, day: date) -> None:
    name = partition_name(parent, day)
    low, high = _bounds(day)
    async with conn.transaction():
        await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        await conn.execute(
            f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        # The CHECK lets ATTACH skip scanning (the table is empty anyway).
        await conn.execute(
            f"ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK "
            f"(received_at >= '{low}' AND received_at < '{high}')"
        )
        await conn.execute(
            f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES FROM ('{low}') TO ('{high}')"
        )
        await conn.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_range")


async def ensure_ahead(conn: asyncpg.Connection, today: date, days_ahead: int) -> None:
    await ensure_days(conn, {today + timedelta(days=n) for n in range(days_ahead + 1)})


async def drop_before(conn: asyncpg.Connection, cutoff: date) -> list[str]:
    """Detach and drop every partition whose whole day is before ``cutoff``."""
    dropped = []
    await conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        for parent in PARTITIONED:
            for name, pending in await _partitions(conn, parent):
                parsed = _parse(name)
                if parsed is None or parsed[1] >= cutoff:
                    continue
                # A previous DETACH CONCURRENTLY that was interrupted leaves the
                # partition "detach pending"; only FINALIZE can complete it.
                mode = "FINALIZE" if pending else "CONCURRENTLY"
                await conn.execute(f"ALTER TABLE {parent} DETACH PARTITION {name} {mode}")
                await conn.execute(f"DROP TABLE {name}")
                dropped.append(name)
    finally:
        await conn.execute("RESET lock_timeout")
    return dropped


async def _partitions(conn: asyncpg.Connection, parent: str) -> list[tuple[str, bool]]:
    rows = await conn.fetch(
        """
        SELECT c.relname, i.inhdetachpending FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass
        ORDER BY c.relname
        """,
        parent,
    )
    return [(row["relname"], row["inhdetachpending"]) for row in rows]


def _parse(name: str) -> tuple[str, date] | None:
    """(parent, day) of a partition this module named; None for any other table."""
    match = _NAME.match(name)
    if match is None:
        return None
    digits = match[2]
    return match[1], date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
