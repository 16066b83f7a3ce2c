"""Instructions PostgreSQL spends on the operations of one declaration-path document.

`python -m bench.declarations.lifecycle_instructions [--standing 100000]
[--declarations 600] [--until 15]`

The volume path of a national-day run, as its handlers state it (routing/subsystems/dec):
a broker's ``dec.declaration`` (the consignor is an active trader, the office a customs
department, the broker an active broker holding an entrustment that covers the
declaration; the declaration is created, the entrustment marked used), the customs
office's ``dec.accept`` (the declaration has these parties; submitted -> accepted; an
entry number claimed and stamped) and ``dec.release`` (accepted -> released). A fresh
cluster (as in moves_instructions) gets the shipped migrations, 50 traders with an
entrustment each and ``--standing`` declarations already released (their history
rows too), so the indexes have a day's depth. ``--declarations`` of each kind go
through ``eport_apply_ops`` in batches of 150, as the group commit sends them; every
document must succeed (checked through asyncpg, rolled back, before counting). A
single-user backend under ``valgrind --tool=callgrind`` applies them, each batch in a
transaction of its own as in the gateway (so old row versions can be pruned), and the
same backend with nothing to do is subtracted.

With ``--until N`` it also builds the schema of migrations up to N alone and reports
both: ``ratio`` = now / then.
"""

from __future__ import annotations

import argparse
import json
import shutil
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.declarations.moves_instructions import Cluster, work_instructions
from gateway.store.migrator import migrate, shipped_migrations
from gateway.store.model import Submission
from gateway.store.ops_encoding import encode_document, json_array
from routing.ops import Create, Op, Require, Transition
from routing.subsystems.dec.entry_numbers import assign_entry_number
from routing.subsystems.dec.parties import COVERS, CUSTOMS
from routing.subsystems.dec.states import DECLARATION_STATES

BATCH = 150
TRADERS = 50
CUSTOMS_OFFICE = "2200000001"
BROKER = "3100000001"
DISTRICT = "2201"
AT = datetime(2026, 11, 29, 4, 15, tzinfo=UTC)
DAY = "2026-11-29"


def work(batches: int) -> str:
    """Each batch in a transaction of its own, as the group commit runs them."""
    return "".join(f"SELECT eport_apply_ops(batch) IS NOT NULL FROM bench_batches WHERE n = {n};"
                   "\n\n" for n in range(batches))


def trader(i: int) -> str:
    return f"11019{i:05d}"


def entrustment(i: int) -> str:
    return f"{BROKER}/ent-{i}"


def declaration(n: int) -> str:
    return f"{BROKER}/dec-{n}"


def parties(n: int) -> dict[str, str]:
    return {"consignor": trader(n % TRADERS), "customs_office": CUSTOMS_OFFICE,
            "declare_district": DISTRICT, "import_export": "I"}


def declare(n: int) -> list[Op]:
    consignor = trader(n % TRADERS)
    return [
        Require("enterprise", ("active",), key=consignor, contains={"type": "trader"},
                path="$.body.consignor"),
        Require("enterprise", ("active",), key=CUSTOMS_OFFICE, contains=CUSTOMS,
                path="$.body.customs_office"),
        Require("enterprise", ("active",), key=BROKER, contains={"type": "broker"},
                path="$.sender"),
        Require("entrustment", ("active",), key=entrustment(n % TRADERS), where=COVERS,
                vars={"trader": consignor, "broker": BROKER, "day": DAY, "flag": "I",
                      "bl": ""}, path="$.body.entrustment"),
        Transition("entrustment", entrustment(n % TRADERS), ("active",), "active",
                   {"used": True}, path="$.body.entrustment"),
        Create("declaration", declaration(n), "submitted", consignor,
               {**parties(n), "declarant": BROKER, "trade_mode": "0110", "items": 8},
               path="$.body"),
    ]


def act(n: int, from_states: tuple[str, ...], to_state: str, doc_type: str) -> list[Op]:
    ops: list[Op] = [
        Require("declaration", DECLARATION_STATES, key=declaration(n), contains=parties(n),
                code="REFERENCE_UNKNOWN", path="$.body.declaration"),
        Transition("declaration", declaration(n), from_states, to_state,
                   {"last_action": doc_type, "reason": None, "by": CUSTOMS_OFFICE},
                   path="$.body.declaration"),
    ]
    if to_state == "accepted":
        ops.append(assign_entry_number(declaration(n), DISTRICT, "I", AT))
    return ops


def documents(declarations: int) -> list[tuple[str, list[Op]]]:
    return ([(BROKER, declare(n)) for n in range(declarations)]
            + [(CUSTOMS_OFFICE, act(n, ("submitted",), "accepted", "dec.accept"))
               for n in range(declarations)]
            + [(CUSTOMS_OFFICE, act(n, ("accepted",), "released", "dec.release"))
               for n in range(declarations)])


def batches(declarations: int) -> list[str]:
    encoded = [encode_document(Submission(
        sender=sender, doc_id=f"doc-{i}", doc_type="dec", doc_bytes=b"", doc_sm3=b"", sig=b"",
        cert="", received_at=AT, notify=(), status="accepted", code="OK", ops=tuple(ops)))
        for i, (sender, ops) in enumerate(documents(declarations))]
    return [json_array(encoded[i:i + BATCH]) for i in range(0, len(encoded), BATCH)]


def standing_rows(standing: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    entities: list[tuple[Any, ...]] = [
        ("enterprise", CUSTOMS_OFFICE, "active", CUSTOMS_OFFICE, json.dumps(CUSTOMS)),
        ("enterprise", BROKER, "active", BROKER, json.dumps({"type": "broker"})),
    ]
    for i in range(TRADERS):
        entities.append(("enterprise", trader(i), "active", trader(i),
                         json.dumps({"type": "trader"})))
        entities.append(("entrustment", entrustment(i), "active", trader(i), json.dumps({
            "trader": trader(i), "broker": BROKER, "valid_from": "2026-01-01",
            "valid_to": "2026-12-31", "direction": "B", "scope": "period", "used": False,
            "bill_of_lading": ""})))
    history = []
    for n in range(standing):
        key = f"{BROKER}/old-{n}"
        entities.append(("declaration", key, "released", trader(n % TRADERS),
                         json.dumps({**parties(n), "entry_id": f"{n:018d}"})))
        history += [("declaration", key, None, "submitted", "{}"),
                    ("declaration", key, "submitted", "accepted", "{}"),
                    ("declaration", key, "accepted", "released", "{}")]
    return ([(*row, "bench/setup", "bench/setup", AT) for row in entities],
            [(*row, BROKER, "setup", AT) for row in history])


async def prepare(cluster: Cluster, until: int | None, standing: int,
                  declarations: int) -> None:
    conn = await asyncpg.connect(host=str(cluster.root), user="postgres", database="postgres")
    try:
        await migrate(conn, [m for m in shipped_migrations()
                             if until is None or m.version <= until])
        entities, history = standing_rows(standing)
        await conn.copy_records_to_table("entities", records=entities, columns=[
            "kind", "key", "state", "owner", "data", "created_by", "updated_by", "updated_at"])
        await conn.copy_records_to_table("entity_history", records=history, columns=[
            "kind", "key", "from_state", "to_state", "patch", "sender", "doc_id", "at"])
        await conn.execute("CREATE TABLE bench_batches (n integer, batch jsonb)")
        work = batches(declarations)
        await conn.copy_records_to_table("bench_batches", columns=["n", "batch"],
                                         records=list(enumerate(work)))
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
        await _all_succeed(conn, work)
    finally:
        await conn.close()


async def _all_succeed(conn: asyncpg.Connection, work: list[str]) -> None:
    """A workload whose documents fail would count the wrong path: check, roll back."""
    tx = conn.transaction()
    await tx.start()
    try:
        for batch in work:
            for result in json.loads(await conn.fetchval("SELECT eport_apply_ops($1::jsonb)",
                                                          batch)):
                if not result["ok"]:
                    raise SystemExit(f"a benchmark document failed: {result}")
    finally:
        await tx.rollback()


def per_document(until: int | None, standing: int, declarations: int) -> float:
    return work_instructions(lambda cluster: prepare(cluster, until, standing, declarations),
                             work(-(-3 * declarations // BATCH))) / (3 * declarations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standing", type=int, default=100_000)
    parser.add_argument("--declarations", type=int, default=600)
    parser.add_argument("--until", type=int, default=None,
                        help="also measure the schema of the migrations up to this version")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    now = per_document(None, args.standing, args.declarations)
    result: dict[str, object] = {
        "instructions_per_document": round(now), "standing_declarations": args.standing,
        "documents": 3 * args.declarations, "migrations": shipped_migrations()[-1].version}
    if args.until is not None:
        then = per_document(args.until, args.standing, args.declarations)
        result |= {f"instructions_per_document_until_{args.until:04d}": round(then),
                   "ratio": round(now / then, 3)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
