"""TransitionAll, Derive and EditList evaluated in the commit, exactly per routing/ops.py."""

from __future__ import annotations

import json

import trio

from gateway.store import Store
from gateway.store.migrator import migrate, shipped_migrations
from routing.ops import Create, Derive, EditList, Op, Transition, TransitionAll

from .helpers import Sql, enterprise, fresh_database, submission


async def run(store: Store, *ops: Op) -> tuple[str, str]:
    outcome = await store.commit(submission(enterprise(), "OP-1", ops=ops))
    return outcome.status, outcome.code


async def test_transition_all_moves_only_the_matching_live_entities(store: Store, sql: Sql) -> None:
    owner, other = enterprise(), enterprise()
    cards = [Create("card", f"{owner}-{i}", state, owner, {"kind": kind})
             for i, (state, kind) in enumerate([("active", "legal"), ("locked", "operator"),
                                                ("voided", "operator"), ("active", "operator")])]
    assert await run(store, *cards, Create("card", f"{other}-0", "active", other)) == (
        "accepted", "OK")
    move = TransitionAll("card", ("active", "locked"), "cancelled", owner=owner,
                         where='$.kind == "operator" || $.kind == $k', vars={"k": "legal"},
                         patch={"reason": "enterprise cancelled"})
    assert await run(store, move) == ("accepted", "OK")
    states = {e.key: (e.state, e.data.get("reason")) for e in await store.entities("card")
              if e.owner in (owner, other)}
    assert states == {
        f"{owner}-0": ("cancelled", "enterprise cancelled"),
        f"{owner}-1": ("cancelled", "enterprise cancelled"),
        f"{owner}-2": ("voided", None),
        f"{owner}-3": ("cancelled", "enterprise cancelled"),
        f"{other}-0": ("active", None),
    }
    rows = await sql.fetch("SELECT key, from_state FROM entity_history WHERE kind = 'card'"
                           " AND to_state = 'cancelled' AND key LIKE $1 ORDER BY key", f"{owner}%")
    assert [(r["key"], r["from_state"]) for r in rows] == [
        (f"{owner}-0", "active"), (f"{owner}-1", "locked"), (f"{owner}-3", "active")]
    assert await run(store, move) == ("accepted", "OK")  # nothing left to move is fine


async def test_derive_copies_the_data_at_commit_time(store: Store) -> None:
    owner = enterprise()
    old, new = f"{owner}-old", f"{owner}-new"
    await run(store, Create("card", old, "active", owner, {"holder": "Li", "grants": ["dec"]}))
    derived = Derive("card", new, old, "active", {"certificate": "pem-2"})
    retire = Transition("card", old, ("active",), "renewed", {"renewed_to": new})
    assert await run(store, derived, retire) == ("accepted", "OK")
    found = await store.entity("card", new)
    assert found is not None
    assert (found.state, found.owner, found.data) == (
        "active", owner, {"holder": "Li", "grants": ["dec"], "certificate": "pem-2"})
    assert await run(store, Derive("card", new, old, "active")) == ("rejected", "STATE_CONFLICT")
    assert await run(store, Derive("card", f"{owner}-x", "nope", "active")) == (
        "rejected", "REFERENCE_UNKNOWN")
    # a failing transition after the derive rolls the derived entity back
    again = Derive("card", f"{owner}-y", old, "active")
    assert await run(store, again, retire) == ("rejected", "STATE_CONFLICT")
    assert await store.entity("card", f"{owner}-y") is None


async def test_edit_list_adds_and_removes_members_and_checks_the_state(store: Store) -> None:
    owner = enterprise()
    card = f"{owner}-c"
    await run(store, Create("card", card, "active", owner, {"grants": ["dec"]}))
    assert await run(store, EditList("card", card, "grants", ("active",),
                                     add=("payment", "agent", "dec"))) == ("accepted", "OK")
    assert await run(store, EditList("card", card, "grants", ("active",),
                                     remove=("dec", "express"))) == ("accepted", "OK")
    found = await store.entity("card", card)
    assert found is not None and found.data["grants"] == ["agent", "payment"]
    await run(store, Transition("card", card, ("active",), "voided"))
    assert await run(store, EditList("card", card, "grants", ("active",), add=("dec",))) == (
        "rejected", "STATE_CONFLICT")
    assert await run(store, EditList("card", "nope", "grants", ("active",), add=("dec",))) == (
        "rejected", "REFERENCE_UNKNOWN")


async def test_concurrent_grants_are_never_lost(store: Store) -> None:
    owner = enterprise()
    card = f"{owner}-c"
    await run(store, Create("card", card, "active", owner, {}))
    subsystems = ["dec", "agent", "paperless", "payment", "archive", "express", "road", "vessel"]

    async def grant(name: str) -> None:
        await run(store, EditList("card", card, "grants", ("active",), add=(name,)))

    async with trio.open_nursery() as nursery:
        for name in subsystems:
            nursery.start_soon(grant, name)
    found = await store.entity("card", card)
    assert found is not None and found.data["grants"] == sorted(subsystems)


async def test_migration_0005_opens_legal_card_slots_for_earlier_enterprises(sql: Sql) -> None:
    async with fresh_database(sql) as url:
        early = Sql(url)
        try:
            older = [m for m in shipped_migrations() if m.version < 5]
            await early.run(lambda conn: migrate(conn, older))
            await early.execute(SEED)
            await early.run(lambda conn: migrate(conn))
            rows = await early.fetch("SELECT key, state, data FROM entities"
                                     " WHERE kind = 'legal_card' ORDER BY key")
        finally:
            await early.aclose()
    assert [(r["key"], r["state"], json.loads(r["data"])) for r in rows] == [
        ("E-ENDED", "vacant", {"cert": None}), ("E-HELD", "active", {"cert": "c1"}),
        ("E-NEW", "vacant", {"cert": None})]


SEED = """
INSERT INTO entities (kind, key, state, owner, data, created_by, updated_by, updated_at)
VALUES ('enterprise', 'E-NEW', 'active', 'E-NEW', '{"type": "trader"}', 'x', 'x', now()),
       ('enterprise', 'E-DEPT', 'active', 'E-DEPT', '{"type": "department"}', 'x', 'x', now()),
       ('enterprise', 'E-HELD', 'active', 'E-HELD', '{"type": "broker"}', 'x', 'x', now()),
       ('enterprise', 'E-ENDED', 'active', 'E-ENDED', '{"type": "trader"}', 'x', 'x', now()),
       ('legal_card', 'E-HELD', 'active', 'E-HELD', '{"cert": "c1"}', 'x', 'x', now()),
       ('legal_card', 'E-ENDED', 'active', 'E-ENDED', '{"cert": "c2"}', 'x', 'x', now()),
       ('card', 'c1', 'active', 'E-HELD', '{}', 'x', 'x', now()),
       ('card', 'c2', 'voided', 'E-ENDED', '{}', 'x', 'x', now())
"""
