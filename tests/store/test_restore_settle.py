"""Restore and Settle (routing/ops.py) inside the commit: exact, idempotent, race-safe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import trio

from gateway.store import Store
from routing.ops import Create, Debit, Op, Open, Restore, Settle

from .helpers import Sql, enterprise, sealer, store_config, submission


@pytest.fixture
async def second_store(tmp_path: Path, database_url: str) -> AsyncIterator[Store]:
    """Another Store on the same database: another pool, as a second gateway has."""
    opened = await Store.open(store_config(tmp_path / "second", database_url), sealer)
    yield opened
    await opened.aclose()


async def commit(store: Store, sender: str, doc_id: str, *ops: Op) -> tuple[str, str]:
    outcome = await store.commit(submission(sender, doc_id, ops=ops))
    return outcome.status, outcome.code


async def state_of(store: Store, kind: str, key: str) -> str | None:
    found = await store.entity(kind, key)
    return found.state if found else None


async def balances(sql: Sql, ledger: str) -> dict[str, tuple[Decimal, Decimal]]:
    """key -> (balance, sum of its history) for every line of ``ledger``."""
    rows = await sql.fetch(
        "SELECT l.key, l.balance, (SELECT sum(delta) FROM ledger_history h"
        " WHERE h.ledger = l.ledger AND h.key = l.key) AS total"
        " FROM ledgers l WHERE l.ledger = $1", ledger)
    return {r["key"]: (r["balance"], r["total"]) for r in rows}


async def test_restore_gives_back_exactly_what_one_document_debited(
        store: Store, sql: Sql) -> None:
    ledger, issuer, declarant = f"lic-{enterprise()}", enterprise(), enterprise()
    await commit(store, issuer, "ISSUE", Open(ledger, "a", Decimal("10"), "T"),
                 Open(ledger, "b", Decimal("5.5"), "T"),
                 Open(f"{ledger}-x", "a", Decimal("9"), "T"))
    assert await commit(store, declarant, "DEC-1", Debit(ledger, "a", Decimal("3")),
                        Debit(ledger, "a", Decimal("1.25")), Debit(ledger, "b", Decimal("5.5")),
                        Debit(f"{ledger}-x", "a", Decimal("2"))) == ("accepted", "OK")
    assert await commit(store, declarant, "DEC-2", Debit(ledger, "a", Decimal("4"))) == (
        "accepted", "OK")
    restore = Restore(ledger, f"{declarant}/DEC-1")
    assert await commit(store, "CUSTOMS", "REJECT-1", restore) == ("accepted", "OK")
    assert await balances(sql, ledger) == {"a": (Decimal("6.00"), Decimal("6.00")),
                                           "b": (Decimal("5.5"), Decimal("5.5"))}
    # Another ledger's debit by the same document stays: Restore names its ledger.
    assert (await balances(sql, f"{ledger}-x"))["a"][0] == Decimal("7")
    assert await commit(store, "CUSTOMS", "REJECT-2", restore) == ("accepted", "OK")
    assert (await balances(sql, ledger))["a"][0] == Decimal("6.00")
    rows = await sql.fetch("SELECT sender, doc_id, restores, delta FROM ledger_history"
                           " WHERE ledger = $1 AND restores IS NOT NULL ORDER BY key", ledger)
    assert [tuple(r) for r in rows] == [
        ("CUSTOMS", "REJECT-1", f"{declarant}/DEC-1", Decimal("4.25")),
        ("CUSTOMS", "REJECT-1", f"{declarant}/DEC-1", Decimal("5.5"))]


async def test_restore_of_a_document_without_debits_changes_nothing(
        store: Store, sql: Sql) -> None:
    ledger = f"lic-{enterprise()}"
    await commit(store, enterprise(), "ISSUE", Open(ledger, "a", Decimal("2"), "T"))
    assert await commit(store, "CUSTOMS", "R", Restore(ledger, "NOBODY/NOTHING")) == (
        "accepted", "OK")
    assert await balances(sql, ledger) == {"a": (Decimal("2"), Decimal("2"))}


async def test_settle_moves_only_at_zero_and_only_from_its_states(
        store: Store, sql: Sql) -> None:
    k, sender = enterprise(), enterprise()
    await commit(store, sender, "DUE", Create("decl", k, "tax_due", "T"),
                 Open("owed", k, Decimal("30.00"), "T"))
    settle = Settle("decl", k, ("tax_due",), "tax_paid", "owed", k, {"paid": True})
    await commit(store, sender, "PAY-1", Debit("owed", k, Decimal("10.00")), settle)
    assert await state_of(store, "decl", k) == "tax_due"
    await commit(store, sender, "PAY-2", Debit("owed", k, Decimal("20.00")), settle)
    settled = await store.entity("decl", k)
    assert settled is not None and (settled.state, settled.data) == ("tax_paid", {"paid": True})
    other = enterprise()
    await commit(store, sender, "DONE", Create("decl", other, "released", "T"),
                 Open("owed", other, Decimal("0"), "T"))
    assert await commit(store, sender, "LATE", Settle("decl", other, ("tax_due",), "tax_paid",
                                                      "owed", other)) == ("accepted", "OK")
    assert await state_of(store, "decl", other) == "released"


async def test_settle_of_unknown_ledger_or_entity_is_reference_unknown(store: Store) -> None:
    k, sender = enterprise(), enterprise()
    await commit(store, sender, "OPEN", Open("owed", k, Decimal("0"), "T"))
    assert await commit(store, sender, "S1", Settle("decl", k, ("a",), "b", "owed", "none")) == (
        "rejected", "REFERENCE_UNKNOWN")
    assert await commit(store, sender, "S2", Settle("decl", k, ("a",), "b", "owed", k)) == (
        "rejected", "REFERENCE_UNKNOWN")


async def test_the_last_of_concurrent_payments_settles(store: Store, second_store: Store) -> None:
    """Two stores pay the two halves at once, ten times: the entity always settles."""
    first, second = store, second_store
    for _ in range(10):
        k, sender = enterprise(), enterprise()
        await commit(first, sender, "DUE", Create("decl", k, "tax_due", "T"),
                     Open("owed", k, Decimal("2"), "T"))
        settle = Settle("decl", k, ("tax_due",), "tax_paid", "owed", k)
        async with trio.open_nursery() as nursery:
            for store, doc in ((first, "P1"), (second, "P2")):
                nursery.start_soon(commit, store, sender, doc, Debit("owed", k, Decimal("1")),
                                   settle)
        assert await state_of(first, "decl", k) == "tax_paid"
