"""Migrations, partitioning, retention."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import trio

from gateway.store import Store
from gateway.store.migrator import MigrationError, migrate, shipped_migrations

from .helpers import Sql, enterprise, fresh_database, sealer, store_config, submission


async def test_documents_and_feed_are_partitioned_with_days_ahead(store: Store, sql: Sql) -> None:
    parents = await sql.fetch(
        "SELECT c.relname, p.partdefid FROM pg_partitioned_table p"
        " JOIN pg_class c ON c.oid = p.partrelid ORDER BY 1"
    )
    assert [(r["relname"], r["partdefid"]) for r in parents] == [("documents", 0), ("feed", 0)]
    today = datetime.now(UTC).date()
    for parent in ("documents", "feed"):
        names = {
            r["relname"]
            for r in await sql.fetch(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = $1::regclass",
                parent,
            )
        }
        for ahead in range(8):  # partition_days_ahead defaults to 7
            assert f"{parent}_p{today + timedelta(days=ahead):%Y%m%d}" in names


async def test_identifiers_in_keys_compare_byte_by_byte(store: Store, sql: Sql) -> None:
    """Keys are never sorted for people: no strcoll in their indexes (0012, 0018)."""
    keyed = {"doc_keys": {"sender", "doc_id"}, "documents": {"sender", "doc_id"},
             "feed": {"enterprise"}, "enterprise_seq": {"enterprise"}, "counters": {"counter"},
             "entities": {"kind", "key", "owner", "state"}, "entity_history": {"kind", "key"}}
    rows = await sql.fetch(
        "SELECT table_name, column_name, collation_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = ANY($1::text[])", list(keyed))
    found = {(r["table_name"], r["column_name"]): r["collation_name"] for r in rows}
    assert {(t, c): found[(t, c)] for t, columns in keyed.items() for c in columns} == {
        (t, c): "C" for t, columns in keyed.items() for c in columns}
    partitions = await sql.fetchval(
        "SELECT count(*) FROM information_schema.columns c JOIN pg_inherits i"
        " ON i.inhrelid = (quote_ident(c.table_name))::regclass"
        " WHERE c.table_schema = 'public' AND c.column_name = 'sender'"
        " AND c.collation_name IS DISTINCT FROM 'C'"
        " AND i.inhparent = 'documents'::regclass")
    assert partitions == 0


async def test_an_entity_change_enters_one_index(store: Store, sql: Sql) -> None:
    """The one its reader uses, (kind, key, id), is the primary key (0020)."""
    rows = await sql.fetch("SELECT indexname, indexdef FROM pg_indexes"
                           " WHERE tablename = 'entity_history'")
    assert [(r["indexname"], r["indexdef"].split(" USING ")[1]) for r in rows] == [
        ("entity_history_pkey", "btree (kind, key, id)")]


async def test_retention_drops_old_days_and_keeps_their_keys(
    tmp_path: Path, database_url: str, sql: Sql
) -> None:
    store = await Store.open(store_config(tmp_path, database_url, retention_days=3), sealer)
    sender = enterprise()
    try:
        old = [datetime(2001, 1, d, 12, tzinfo=UTC) for d in (1, 2, 5)]
        for i, at in enumerate(old):
            await store.commit(submission(sender, f"R-{i}", b"r", received_at=at))
        dropped = await store.maintain(today=date(2001, 1, 6))
        assert sorted(dropped) == [
            "documents_p20010101",
            "documents_p20010102",
            "feed_p20010101",
            "feed_p20010102",
        ]
        count = "SELECT count(*) FROM {} WHERE sender = $1"
        assert await sql.fetchval(count.format("documents"), sender) == 1
        assert await sql.fetchval(count.format("doc_keys"), sender) == 3
        # The id stays consumed: same bytes replay (their receipt is gone), others conflict.
        again = await store.commit(submission(sender, "R-0", b"r"))
        assert (again.kind, again.receipt) == ("replay", b"")
        assert (await store.commit(submission(sender, "R-0", b"other"))).kind == "conflict"
    finally:
        await store.aclose()


async def test_migrations_are_recorded_once_and_rerun_is_a_no_op(store: Store, sql: Sql) -> None:
    shipped = shipped_migrations()
    rows = await sql.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY 1")
    assert [(r["version"], r["name"], r["checksum"]) for r in rows] == [
        (m.version, m.name, m.checksum) for m in shipped
    ]
    assert await store.migrate() == []


async def test_a_changed_applied_migration_is_refused(store: Store, sql: Sql) -> None:
    changed = [dataclasses.replace(m, sql=m.sql + "\n-- edited") for m in shipped_migrations()]
    with pytest.raises(MigrationError, match="0001_tables was changed"):
        await sql.run(lambda conn: migrate(conn, changed))


async def test_two_stores_opening_together_migrate_once(tmp_path: Path, sql: Sql) -> None:
    async with fresh_database(sql) as url:
        stores: list[Store] = []

        async def open_one(home: Path) -> None:
            stores.append(await Store.open(store_config(home, url), sealer))

        async with trio.open_nursery() as nursery:
            for n in range(2):
                nursery.start_soon(open_one, tmp_path / str(n))
        for store in stores:
            await store.aclose()
        check = Sql(url)
        try:
            versions = await check.fetch("SELECT version FROM schema_migrations ORDER BY 1")
        finally:
            await check.aclose()
        assert [r["version"] for r in versions] == [m.version for m in shipped_migrations()]
