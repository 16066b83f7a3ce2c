"""Runs of Debits and Credits applied by one statement (0008): the same outcome, error and
history as applying them one by one. (``store`` migrates the database.)"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import trio

from gateway import metrics
from gateway.store import Outcome, Store
from gateway.store.ops_encoding import encode_document, json_array
from routing.ops import Create, Credit, Debit, Op, Open

from .helpers import Sql, enterprise, sealer, store_config, submission


async def apply(sql: Sql, sender: str, doc_id: str, *ops: Op) -> dict[str, Any]:
    """eport_apply_ops on one document, as the batch calls it; its result object."""
    payload = json_array([encode_document(submission(sender, doc_id, ops=ops))])
    results = await sql.fetchval("SELECT eport_apply_ops($1::text::jsonb)::text", payload)
    [result] = json.loads(results)
    return dict(result)


async def history(sql: Sql, ledger: str) -> list[tuple[str, Decimal, Decimal, str]]:
    rows = await sql.fetch(
        "SELECT key, delta, balance_after, doc_id FROM ledger_history WHERE ledger = $1"
        " ORDER BY id", ledger)
    return [(r["key"], r["delta"], r["balance_after"], r["doc_id"]) for r in rows]


async def balances(sql: Sql, ledger: str) -> dict[str, Decimal]:
    rows = await sql.fetch("SELECT key, balance FROM ledgers WHERE ledger = $1", ledger)
    return {r["key"]: r["balance"] for r in rows}


async def opened(sql: Sql, **lines: str) -> tuple[str, str]:
    """A fresh ledger with ``lines`` opened by document OPEN; (ledger, sender)."""
    ledger, sender = f"lic-{enterprise()}", enterprise()
    opens = [Open(ledger, key, Decimal(amount), "T") for key, amount in lines.items()]
    assert (await apply(sql, sender, "OPEN", *opens))["ok"]
    return ledger, sender


async def test_a_run_moves_every_line_and_logs_it_in_op_order(store: Store, sql: Sql) -> None:
    ledger, sender = await opened(sql, a="10", b="5", c="0")
    result = await apply(sql, sender, "RUN", Debit(ledger, "b", Decimal("5")),
                         Credit(ledger, "c", Decimal("2.5")), Debit(ledger, "a", Decimal("0.01")),
                         Create("x", enterprise(), "s", "T"))
    assert result == {"ok": True, "values": {}}
    assert await balances(sql, ledger) == {"a": Decimal("9.99"), "b": 0, "c": Decimal("2.5")}
    assert (await history(sql, ledger))[3:] == [
        ("b", Decimal("-5"), 0, "RUN"), ("c", Decimal("2.5"), Decimal("2.5"), "RUN"),
        ("a", Decimal("-0.01"), Decimal("9.99"), "RUN")]


async def test_the_first_failing_move_of_a_run_names_the_error(store: Store, sql: Sql) -> None:
    ledger, sender = await opened(sql, a="10", b="5")
    before = await history(sql, ledger)
    cases = [
        ((Debit(ledger, "a", Decimal("1"), path="$.0"),
          Debit(ledger, "b", Decimal("6"), path="$.1"),
          Debit(ledger, "a-missing", Decimal("1"), path="$.2")),
         ("LEDGER_INSUFFICIENT", f"{ledger}:b: balance below 6", "$.1")),
        ((Debit(ledger, "missing", Decimal("1"), path="$.0"),
          Debit(ledger, "b", Decimal("6"), path="$.1")),
         ("REFERENCE_UNKNOWN", f"{ledger}:missing does not exist", "$.0")),
        ((Debit(ledger, "a", Decimal("11"), path="$.0"),
          Credit(ledger, "b", Decimal("NaN"), path="$.1")),
         ("LEDGER_INSUFFICIENT", f"{ledger}:a: balance below 11", "$.0")),
        ((Credit(ledger, "a", Decimal("1"), path="$.0"),
          Debit(ledger, "b", Decimal("-1"), path="$.1"),
          Debit(ledger, "missing", Decimal("1"), path="$.2")),
         ("RULE_VIOLATION", "amount must be a positive finite number", "$.1")),
        ((Debit(ledger, "a", Decimal("0"), path="$.0"),),
         ("RULE_VIOLATION", "amount must be a positive finite number", "$.0")),
    ]
    for n, (ops, (code, message, path)) in enumerate(cases):
        result = await apply(sql, sender, f"BAD-{n}", *ops)
        assert result == {"ok": False, "code": code, "message": message, "path": path}
    assert await balances(sql, ledger) == {"a": 10, "b": 5}
    assert await history(sql, ledger) == before


async def test_a_run_naming_a_line_twice_sees_each_balance_in_turn(store: Store, sql: Sql) -> None:
    ledger, sender = await opened(sql, a="10", b="1")
    twice = await apply(sql, sender, "TWICE", Debit(ledger, "a", Decimal("6")),
                        Debit(ledger, "b", Decimal("1")),
                        Debit(ledger, "a", Decimal("5"), path="$.2"))
    assert twice == {"ok": False, "code": "LEDGER_INSUFFICIENT",
                     "message": f"{ledger}:a: balance below 5", "path": "$.2"}
    assert (await apply(sql, sender, "OK", Debit(ledger, "a", Decimal("6")),
                        Credit(ledger, "a", Decimal("1")), Debit(ledger, "a", Decimal("5"))))["ok"]
    assert await balances(sql, ledger) == {"a": 0, "b": 1}
    assert (await history(sql, ledger))[2:] == [
        ("a", Decimal("-6"), 4, "OK"), ("a", Decimal("1"), 5, "OK"), ("a", Decimal("-5"), 0, "OK")]


async def test_an_unknown_operation_rejects_its_document_at_its_path(
        store: Store, sql: Sql) -> None:
    doc = {"sender": enterprise(), "doc_id": "U", "at": "2026-11-29T00:00:00+00:00",
           "ops": [{"op": "bogus", "path": "$.body.x"}]}
    results = await sql.fetchval("SELECT eport_apply_ops($1::text::jsonb)::text",
                                 json.dumps([doc]))
    assert json.loads(results) == [{"ok": False, "code": "RULE_VIOLATION",
                                     "message": "unknown operation bogus", "path": "$.body.x"}]


async def test_concurrent_runs_on_the_same_lines_never_overdraw(store: Store, sql: Sql) -> None:
    ledger, sender = await opened(sql, a="20", b="20", c="20")
    outcomes: list[Outcome] = []

    async def draw(i: int) -> None:
        ops = tuple(Debit(ledger, k, Decimal("1")) for k in "abc")
        outcomes.append(await store.commit(submission(sender, f"D-{i}", ops=ops)))

    async with trio.open_nursery() as nursery:
        for i in range(50):
            nursery.start_soon(draw, i)
    assert sorted(o.code for o in outcomes) == ["LEDGER_INSUFFICIENT"] * 30 + ["OK"] * 20
    assert await balances(sql, ledger) == {"a": 0, "b": 0, "c": 0}
    totals = await sql.fetch("SELECT key, sum(delta) AS total, count(*) AS rows FROM ledger_history"
                             " WHERE ledger = $1 GROUP BY key", ledger)
    assert {(r["key"], r["total"], r["rows"]) for r in totals} == {
        (k, 0, 21) for k in "abc"}


async def test_ledger_pages_keep_room_for_balances_to_change_in_place(
        store: Store, sql: Sql) -> None:
    options = await sql.fetchval("SELECT reloptions FROM pg_class WHERE oid = 'ledgers'::regclass")
    assert options == ["fillfactor=50"]


async def test_the_history_of_one_line_is_found_through_an_index(store: Store, sql: Sql) -> None:
    async def plan(conn: Any) -> str:
        async with conn.transaction():
            await conn.execute("SET LOCAL enable_seqscan = off")
            rows = await conn.fetch("EXPLAIN SELECT delta FROM ledger_history"
                                    " WHERE ledger = 'licence' AND key = 'E1/L1#1' ORDER BY id")
        return "\n".join(row[0] for row in rows)

    assert "ledger_history_line" in await sql.run(plan)


def test_moves_are_marked_distinct_only_when_no_two_name_one_line() -> None:
    def marks(*ops: Op) -> list[bool | None]:
        encoded = json.loads(encode_document(submission("E1", "D1", ops=ops)))
        return [op.get("lines_distinct") for op in encoded["ops"]]

    one, two = Decimal("1"), Decimal("2")
    assert marks(Debit("lic", "a", one), Create("x", "k", "s", "E1"),
                 Credit("lic", "b", one)) == [True, None, True]
    assert marks(Debit("lic", "a", one), Debit("lic", "a", two)) == [None, None]
    assert marks(Debit("lic", "a", one), Debit("tax", "a", two)) == [True, True]
    assert marks(Debit("lic", "a", one)) == [None]


async def test_line_names_compare_byte_by_byte(store: Store, sql: Sql) -> None:
    rows = await sql.fetch(
        "SELECT table_name, column_name, collation_name FROM information_schema.columns"
        " WHERE table_name IN ('ledgers', 'ledger_history') AND column_name IN ('ledger', 'key')")
    assert len(rows) == 4 and {row["collation_name"] for row in rows} == {"C"}


async def test_a_batch_takes_batch_max_per_line_documents_moving_one_line(
    tmp_path: Path, database_url: str, sql: Sql
) -> None:
    ledger, sender = await opened(sql, a="100", b="100")
    config = store_config(tmp_path, database_url, batch_max_per_line=2)
    store = await Store.open(config, sealer)
    try:
        def transactions() -> float:
            return metrics.REGISTRY.get_sample_value("eport_commit_batch_documents_count") or 0

        before = transactions()
        # Five debits of line a, one of them also moving b, and two documents moving nothing.
        subs = [submission(sender, f"W-{i}", ops=(Debit(ledger, "a", Decimal(1)),))
                for i in range(4)]
        subs.insert(2, submission(sender, "W-ab", ops=(Debit(ledger, "a", Decimal(1)),
                                                       Debit(ledger, "b", Decimal(1)))))
        subs += [submission(sender, f"P-{i}") for i in range(2)]
        results = await store.commit_many(subs)
        assert all(isinstance(r, Outcome) and r.status == "accepted" for r in results)
        assert transactions() - before == 3  # a: 2 + 2 + 1 (with the two plain ones)
        assert await balances(sql, ledger) == {"a": Decimal(95), "b": Decimal(99)}
    finally:
        await store.aclose()
