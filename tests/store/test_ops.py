"""routing.ops evaluated inside the batch transaction, exactly per its table."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import pytest
import trio

from gateway.store import Outcome, Store, Submission
from gateway.store.ops_encoding import encode_document, json_array
from gateway.store.queries import APPLY_OPS, ENTITIES_IN_STATES
from routing.ops import Create, Credit, Debit, NextSerial, Op, Open, Require, Transition

from .helpers import Sql, enterprise, submission


async def run_one(store: Store, *ops: Op) -> tuple[str, str]:
    """Commit a document with ``ops``; return its receipt's (status, code)."""
    sender = enterprise()
    outcome = await store.commit(submission(sender, "OP-1", ops=ops))
    return outcome.status, outcome.code


def key() -> str:
    return enterprise()


@pytest.mark.parametrize(
    ("setup", "op", "expected"),
    [
        ((), Create("decl", "K", "draft", "E1"), "OK"),
        (
            (Create("decl", "K", "draft", "E1"),),
            Create("decl", "K", "draft", "E1"),
            "STATE_CONFLICT",
        ),
        ((Create("decl", "K", "draft", "E1"),), Transition("decl", "K", ("draft",), "sent"), "OK"),
        ((), Transition("decl", "K", ("draft",), "sent"), "REFERENCE_UNKNOWN"),
        (
            (Create("decl", "K", "sent", "E1"),),
            Transition("decl", "K", ("draft",), "x"),
            "STATE_CONFLICT",
        ),
        ((Create("decl", "K", "draft", "E1"),), Require("decl", ("draft",), key="K"), "OK"),
        (
            (Create("decl", "K", "sent", "E1"),),
            Require("decl", ("draft",), key="K"),
            "RULE_VIOLATION",
        ),
        ((), Require("decl", ("draft",), key="K", code="REFERENCE_UNKNOWN"), "REFERENCE_UNKNOWN"),
        ((), Open("lic", "K", Decimal("10"), "E1"), "OK"),
        (
            (Open("lic", "K", Decimal("1"), "E1"),),
            Open("lic", "K", Decimal("1"), "E1"),
            "STATE_CONFLICT",
        ),
        ((Open("lic", "K", Decimal("10"), "E1"),), Debit("lic", "K", Decimal("10")), "OK"),
        (
            (Open("lic", "K", Decimal("10"), "E1"),),
            Debit("lic", "K", Decimal("10.01")),
            "LEDGER_INSUFFICIENT",
        ),
        ((), Debit("lic", "K", Decimal("1")), "REFERENCE_UNKNOWN"),
        ((Open("lic", "K", Decimal("0"), "E1"),), Credit("lic", "K", Decimal("2.5")), "OK"),
        ((), Credit("lic", "K", Decimal("1")), "REFERENCE_UNKNOWN"),
        (
            (Open("lic", "K", Decimal("5"), "E1"),),
            Debit("lic", "K", Decimal("-1")),
            "RULE_VIOLATION",
        ),
        (
            (Open("lic", "K", Decimal("5"), "E1"),),
            Debit("lic", "K", Decimal("NaN")),
            "RULE_VIOLATION",
        ),
        (
            (Open("lic", "K", Decimal("5"), "E1"),),
            Credit("lic", "K", Decimal("Infinity")),
            "RULE_VIOLATION",
        ),
        ((), Open("lic", "K", Decimal("NaN"), "E1"), "RULE_VIOLATION"),
        ((), NextSerial("entry", "entry_no"), "OK"),
    ],
)
async def test_each_op_succeeds_or_fails_with_its_code(
    store: Store, setup: tuple[Op, ...], op: Op, expected: str
) -> None:
    unique = key()
    setup = tuple(_rekey(o, unique) for o in setup)
    if setup:
        assert await run_one(store, *setup) == ("accepted", "OK")
    status, code = await run_one(store, _rekey(op, unique))
    assert code == expected
    assert status == ("accepted" if expected == "OK" else "rejected")


def _rekey(op: Op, unique: str) -> Op:
    """The same op on a key of its own, so parametrised cases never share rows."""
    if isinstance(op, NextSerial):
        return msgspec.structs.replace(op, counter=f"{op.counter}-{unique}")
    return msgspec.structs.replace(op, key=f"{op.key}-{unique}")


async def test_require_matches_data_with_jsonpath(store: Store) -> None:
    k = key()
    await run_one(store, Create("entrust", k, "active", "T1", {"broker": "B7", "to": "2030-01-01"}))
    where = "$.broker == $b && $.to >= $day"
    ok = Require("entrust", ("active",), where=where, vars={"b": "B7", "day": "2026-11-28"})
    late = Require("entrust", ("active",), where=where, vars={"b": "B7", "day": "2031-01-01"})
    assert await run_one(store, ok) == ("accepted", "OK")
    assert await run_one(store, late) == ("rejected", "RULE_VIOLATION")


async def test_require_matches_data_containing_a_value(store: Store) -> None:
    k = key()
    lines = [{"line": 1, "hs_code": "8517130000", "unit": "001"},
             {"line": 2, "hs_code": "8703236010", "unit": "002"}]
    await run_one(store, Create("lic", k, "valid", "T1", {"holder": "T1", "lines": lines}))

    def holding(contains: dict[str, object]) -> Require:
        return Require("lic", ("valid",), key=k, contains=contains)

    assert await run_one(store, holding({"holder": "T1", "lines": lines[1:]})) == ("accepted", "OK")
    for wrong in ({"holder": "T2"},
                  {"lines": [{"line": 2, "hs_code": "8517130000", "unit": "001"}]},
                  {"lines": [{"line": 3}]}):
        assert await run_one(store, holding(wrong)) == ("rejected", "RULE_VIOLATION")


async def test_require_by_owner_looks_among_that_owners_entities_only(store: Store) -> None:
    k, ours, theirs = key(), enterprise(), enterprise()
    await run_one(store, Create("agreement", f"{k}-1", "approved", ours, {"district": "2200"}))
    await run_one(store, Create("agreement", f"{k}-2", "approved", theirs, {"district": "5300"}))

    def agreement(owner: str, district: str, key: str | None = None) -> Require:
        return Require("agreement", ("approved",), key=key, owner=owner,
                       contains={"district": district})

    assert await run_one(store, agreement(ours, "2200")) == ("accepted", "OK")
    assert await run_one(store, agreement(theirs, "5300")) == ("accepted", "OK")
    assert await run_one(store, agreement(ours, "5300")) == ("rejected", "RULE_VIOLATION")
    assert await run_one(store, agreement(theirs, "2200", f"{k}-1")) == (
        "rejected", "RULE_VIOLATION")
    assert await run_one(store, agreement(ours, "2200", f"{k}-1")) == ("accepted", "OK")


async def test_a_require_sees_what_the_documents_before_it_in_the_batch_wrote(
        store: Store, sql: Sql) -> None:
    k, sender = key(), enterprise()
    docs = [(Create("decl", k, "draft", "E1"),),
            (Require("decl", ("draft",), key=k),),
            (Transition("decl", k, ("draft",), "sent"),),
            (Require("decl", ("draft",), key=k, path="$.body.decl"),),
            (Require("decl", ("sent",), key=k), Require("decl", ("sent",), owner="E1"))]
    payload = json_array([encode_document(submission(sender, f"D-{i}", ops=ops))
                          for i, ops in enumerate(docs)])
    results = json.loads(await sql.fetchval(APPLY_OPS + "::text", payload))
    assert [(r["ok"], r.get("code"), r.get("path")) for r in results] == [
        (True, None, None), (True, None, None), (True, None, None),
        (False, "RULE_VIOLATION", "$.body.decl"), (True, None, None)]


async def test_failing_op_rolls_back_its_document_only(one_batch_store: Store, sql: Sql) -> None:
    store = one_batch_store
    k = key()
    sender = enterprise()
    await run_one(store, Open("lic", k, Decimal("5"), "E1"))
    ok_doc = submission(sender, "A", ops=(Debit("lic", k, Decimal("2")),))
    bad_doc = submission(
        sender,
        "B",
        ops=(
            Debit("lic", k, Decimal("1")),
            Create("x", k, "s", "E1"),
            Debit("lic", k, Decimal("99")),
        ),
    )
    results: dict[str, Outcome] = {}

    async def submit(sub: Submission, task_status: trio.TaskStatus[None]) -> None:
        task_status.started()
        results[sub.doc_id] = await store.commit(sub)

    async with trio.open_nursery() as nursery:  # one writer, 200 ms window: one batch
        await nursery.start(submit, ok_doc)
        await nursery.start(submit, bad_doc)
    assert (results["A"].status, results["B"].status) == ("accepted", "rejected")
    assert results["B"].code == "LEDGER_INSUFFICIENT"
    assert await sql.fetchval("SELECT balance FROM ledgers WHERE key = $1", k) == Decimal("3")
    assert await sql.fetchval("SELECT count(*) FROM entities WHERE kind = 'x' AND key = $1", k) == 0
    history = await sql.fetch("SELECT doc_id FROM ledger_history WHERE key = $1 ORDER BY id", k)
    assert [r["doc_id"] for r in history] == ["OP-1", "A"]
    assert (
        await sql.fetchval(
            "SELECT status FROM documents WHERE sender = $1 AND doc_id = 'B'", sender
        )
        == "rejected"
    )


async def test_concurrent_debits_never_overdraw(store: Store, sql: Sql) -> None:
    k = key()
    await run_one(store, Open("lic", k, Decimal("20"), "E1"))
    sender = enterprise()
    outcomes: list[Outcome] = []

    async def debit(i: int) -> None:
        sub = submission(sender, f"D-{i}", ops=(Debit("lic", k, Decimal("1")),))
        outcomes.append(await store.commit(sub))

    async with trio.open_nursery() as nursery:
        for i in range(50):
            nursery.start_soon(debit, i)
    assert sum(o.code == "OK" for o in outcomes) == 20
    assert sum(o.code == "LEDGER_INSUFFICIENT" for o in outcomes) == 30
    row = await sql.fetch(
        "SELECT l.balance, (SELECT sum(delta) FROM ledger_history h WHERE h.ledger = l.ledger"
        " AND h.key = l.key) AS total FROM ledgers l WHERE l.key = $1",
        k,
    )
    assert (row[0]["balance"], row[0]["total"]) == (Decimal("0"), Decimal("0"))


async def test_next_serial_values_reach_the_sealer_and_increase(store: Store) -> None:
    counter = f"c-{key()}"
    seen = []
    for _ in range(3):
        outcome = await run_one(store, NextSerial(counter, "n"))
        seen.append(outcome)
    assert seen == [("accepted", "OK")] * 3


async def test_formatted_serial_is_padded_and_stamped_on_its_entity(
    store: Store, sql: Sql
) -> None:
    k = key()
    counter = f"c-{k}"
    serial = NextSerial(counter, "entry_id", prefix="P2026", width=3, stamp=("decl", k))
    assert await run_one(store, Create("decl", k, "accepted", "E1"), serial) == ("accepted", "OK")
    assert await run_one(store, serial) == ("accepted", "OK")
    stamped = await sql.fetchval(
        "SELECT data->>'entry_id' FROM entities WHERE kind = 'decl' AND key = $1", k)
    assert stamped == "P2026002"


async def test_formatted_serial_fails_when_exhausted_or_its_entity_is_missing(
    store: Store, sql: Sql
) -> None:
    k = key()
    await sql.execute("INSERT INTO counters (counter, value) VALUES ($1, 999)", f"c-{k}")
    full = NextSerial(f"c-{k}", "n", width=3)
    assert await run_one(store, full) == ("rejected", "RULE_VIOLATION")
    orphan = NextSerial(f"d-{k}", "n", width=3, stamp=("decl", k))
    assert await run_one(store, orphan) == ("rejected", "REFERENCE_UNKNOWN")


async def apply_batch(sql: Sql, *docs: tuple[Op, ...]) -> list[dict[str, Any]]:
    """eport_apply_ops on one batch of documents (each with its ops), committed."""
    sender = enterprise()
    payload = json_array([encode_document(submission(sender, f"B-{i}", ops=ops))
                          for i, ops in enumerate(docs)])
    results: list[dict[str, Any]] = json.loads(await sql.fetchval(APPLY_OPS, payload))
    return results


async def test_a_batch_numbers_its_documents_in_order_and_a_failed_one_takes_no_number(
    sql: Sql,
) -> None:
    k = key()
    serial = NextSerial(f"c-{k}", "entry_id", prefix="P", width=3, stamp=("decl", k))
    unstamped = msgspec.structs.replace(serial, stamp=None)
    missing = Require("decl", ("accepted",), key=f"none-{k}")
    results = await apply_batch(
        sql, (Create("decl", k, "accepted", "E1"), serial), (unstamped, missing), (unstamped,),
        (unstamped, unstamped))
    assert [r["ok"] for r in results] == [True, False, True, True]
    assert results[1]["code"] == "RULE_VIOLATION"
    assert [r["values"] for r in results if r["ok"]] == [
        {"entry_id": "P001"}, {"entry_id": "P002"}, {"entry_id": "P004"}]
    assert await sql.fetchval("SELECT value FROM counters WHERE counter = $1", f"c-{k}") == 4
    assert await sql.fetchval(
        "SELECT data->>'entry_id' FROM entities WHERE kind = 'decl' AND key = $1", k) == "P001"


async def test_a_batch_counts_its_own_claims_against_the_width(sql: Sql) -> None:
    k = key()
    await sql.execute("INSERT INTO counters (counter, value) VALUES ($1, 998)", f"c-{k}")
    serial = NextSerial(f"c-{k}", "n", width=3)
    results = await apply_batch(sql, (serial,), (serial,), (serial,))
    assert [(r["ok"], r.get("code")) for r in results] == [
        (True, None), (False, "RULE_VIOLATION"), (False, "RULE_VIOLATION")]
    assert results[0]["values"] == {"n": "999"}
    assert await sql.fetchval("SELECT value FROM counters WHERE counter = $1", f"c-{k}") == 999


async def test_a_counter_that_another_batch_filled_meanwhile_makes_the_batch_retry(
    store: Store, sql: Sql
) -> None:
    """The claim saw room; by the time the batch locks the counter another commit
    has used it up: the batch fails as a serialisation failure, the writer retries,
    and the retry's claim rejects the document instead of overflowing the width."""
    counter = f"c-{key()}"
    await sql.execute("INSERT INTO counters (counter, value) VALUES ($1, 998)", counter)
    outcomes: list[tuple[str, str]] = []

    async def other_batch(conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            await conn.execute("SELECT 1 FROM counters WHERE counter = $1 FOR UPDATE", counter)
            while not await conn.fetchval(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE c.relname = 'counters' AND l.locktype = 'tuple'"):
                await asyncio.sleep(0.01)
            await conn.execute("UPDATE counters SET value = 999 WHERE counter = $1", counter)

    async def ours() -> None:
        # Only once the other batch holds the counter's row: a batch that got there first
        # would commit, and the other would wait for a waiter forever.
        while not await sql.fetchval(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE c.relname = 'counters' AND l.mode = 'RowShareLock' AND l.granted"):
            await trio.sleep(0.01)
        outcomes.append(await run_one(store, NextSerial(counter, "n", width=3)))

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(sql.run, other_batch)
            nursery.start_soon(ours)
    assert outcomes == [("rejected", "RULE_VIOLATION")]
    assert await sql.fetchval("SELECT value FROM counters WHERE counter = $1", counter) == 999


async def test_entity_reads_and_change_notices(store: Store) -> None:
    k = key()
    notices = await store.listen_entities()
    with trio.fail_after(5):
        assert await notices.receive() == "*"
        await run_one(store, Create("card", k, "active", "E1", {"holder": "Li"}))
        assert await notices.receive() == f"card:{k}"
        await run_one(store, Transition("card", k, ("active",), "locked", {"why": "lost"}))
        assert await notices.receive() == f"card:{k}"
    found = await store.entity("card", k)
    assert found is not None
    assert (found.state, found.data) == ("locked", {"holder": "Li", "why": "lost"})
    assert await store.entity("card", "nope") is None
    cards = [e for e in await store.entities("card") if e.key == k]
    assert [(c.state, c.owner, c.version) for c in cards] == [("locked", "E1", 2)]


async def test_only_card_and_enterprise_changes_are_announced(store: Store) -> None:
    """The registry follows cards and enterprises; a declaration's create, transition
    or settlement must not reach every worker (nor fill its notice buffer)."""
    k = key()
    notices = await store.listen_entities()
    with trio.fail_after(5):
        assert await notices.receive() == "*"
        await run_one(store, Create("declaration", k, "declared", "E1", {}))
        await run_one(store, Transition("declaration", k, ("declared",), "accepted", {}))
        await run_one(store, Create("enterprise", k, "active", "E1", {}))
        assert await notices.receive() == f"enterprise:{k}"
        await run_one(store, Create("card", k, "active", "E1", {}))
        assert await notices.receive() == f"card:{k}"


@pytest.mark.parametrize(("before", "after"), [("active", "active"), ("submitted", "accepted")])
async def test_a_transition_stays_on_its_page(
        store: Store, sql: Sql, before: str, after: str) -> None:
    """No index covers what a transition changes, its state included, and pages keep
    room for it: a HOT update, with no new index entries."""
    k = key()
    await run_one(store, Create("declaration", k, before, "E1", {"used": False}))
    moved = encode_document(submission(enterprise(), "MOVE-1", ops=(
        Transition("declaration", k, (before,), after, {"used": True}),)))

    async def hot_updates(conn: asyncpg.Connection) -> tuple[int, int]:
        async with conn.transaction():
            await conn.fetchval(APPLY_OPS, json_array([moved]))
            return tuple(await conn.fetchrow(  # type: ignore[return-value]
                "SELECT pg_stat_get_xact_tuples_updated('entities'::regclass),"
                " pg_stat_get_xact_tuples_hot_updated('entities'::regclass)"))

    assert await sql.run(hot_updates) == (1, 1)
    options = await sql.fetchval("SELECT reloptions FROM pg_class WHERE oid = 'entities'::regclass")
    assert options == ["fillfactor=80"]


async def test_the_revocation_list_reads_only_the_cards(store: Store, sql: Sql) -> None:
    """Through an index on the kind, then each card's state."""
    async def plan(conn: asyncpg.Connection) -> str:
        async with conn.transaction():
            await conn.execute("SET LOCAL enable_seqscan = off")
            rows = await conn.fetch("EXPLAIN " + ENTITIES_IN_STATES, "card", ["revoked"])
        return "\n".join(row[0] for row in rows)

    assert "Index Cond: (kind = 'card'::text)" in await sql.run(plan)


async def test_unstorable_or_broken_ops_reject_only_their_document(store: Store) -> None:
    k = key()
    nul = Create("note", k, "s", "E1", {"text": "a\x00b"})
    bad_path = Require("note", ("s",), where="$$ not jsonpath")
    fine = Create("note", f"{k}-ok", "s", "E1", {"text": "a\\u0000b"})
    assert await run_one(store, nul) == ("rejected", "FIELD_INVALID")
    assert await run_one(store, bad_path) == ("rejected", "RULE_VIOLATION")
    assert await run_one(store, fine) == ("accepted", "OK")


async def test_a_document_rejected_before_its_ops_never_runs_them(store: Store) -> None:
    k = key()
    sub = msgspec.structs.replace(
        submission(enterprise(), "REJ"),
        ops=(Create("x", k, "s", "E1"),),
        status="rejected",
        code="SCHEMA_INVALID",
    )
    outcome = await store.commit(sub)
    assert (outcome.status, outcome.code) == ("rejected", "SCHEMA_INVALID")
    assert await store.entity("x", k) is None


async def test_text_postgres_cannot_store_is_refused_before_queueing(store: Store) -> None:
    with pytest.raises(ValueError, match="NUL"):
        await store.commit(submission(enterprise(), "bad\x00id"))
