"""The store's advice on the server's settings (gateway/store/advice.py)."""

from __future__ import annotations

from gateway.store.advice import advice_message, below_advice

from .helpers import Sql


async def test_each_setting_is_compared_in_its_own_unit(sql: Sql) -> None:
    # No server has a terabyte of shared buffers, a WAL cap under a megabyte or
    # checkpoints over two days apart (the longest is one day), whatever it runs.
    advised = {"shared_buffers": "1TB", "max_wal_size": "1MB", "checkpoint_timeout": "2d"}
    below = await sql.run(lambda conn: below_advice(conn, advised))
    shared = await sql.fetchval("SHOW shared_buffers")
    timeout = await sql.fetchval("SHOW checkpoint_timeout")
    assert below == [f"shared_buffers={shared} (advised 1TB)",
                     f"checkpoint_timeout={timeout} (advised 2d)"]


async def test_settings_at_their_advice_are_not_below_it(sql: Sql) -> None:
    names = ("shared_buffers", "max_wal_size", "checkpoint_timeout")
    current = {name: await sql.fetchval(f"SHOW {name}") for name in names}
    assert await sql.run(lambda conn: below_advice(conn, current)) == []


def test_the_message_names_the_settings_and_where_to_read_more() -> None:
    message = advice_message(["max_wal_size=1GB (advised 8GB)"])
    assert message.startswith("PostgreSQL runs with max_wal_size=1GB (advised 8GB): ")
    assert 'docs/store.md, "Server settings"' in message
