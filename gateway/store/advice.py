"""Tell the operator, at open, of a server set up below what a sustained load needs.

A new embedded cluster gets ``embedded.settings`` (docs/store.md, "Server settings").
A server of the operator's, or an embedded cluster created before those settings,
keeps its own: with initdb's (128 MB of shared buffers, a checkpoint every 1 GB of
WAL or 5 minutes) a 10-minute run at full speed fell from about 5,100 to 3,600-4,600
docs/s as the database grew. The store serves either way; it says so in its log.
"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

# Each setting below its advised value, compared as PostgreSQL reads both: sizes
# through pg_size_bytes, durations as intervals.
BELOW_ADVICE = """
SELECT a.name, current_setting(a.name) AS setting, a.advised
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS a(name, advised, i)
WHERE CASE WHEN a.name = 'checkpoint_timeout'
           THEN current_setting(a.name)::interval < a.advised::interval
           ELSE pg_size_bytes(current_setting(a.name)) < pg_size_bytes(a.advised) END
ORDER BY a.i
"""


async def below_advice(conn: asyncpg.Connection, advised: Mapping[str, str]) -> list[str]:
    """``name=setting (advised value)`` for each setting lower than ``advised`` says."""
    rows = await conn.fetch(BELOW_ADVICE, list(advised), list(advised.values()))
    return [f"{row['name']}={row['setting']} (advised {row['advised']})" for row in rows]


def advice_message(below: list[str]) -> str:
    return (f"PostgreSQL runs with {', '.join(below)}: under a sustained load the gateway "
            "slows down as the database grows; see docs/store.md, \"Server settings\"")
