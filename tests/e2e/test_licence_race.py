"""Two gateway processes race for the last units of a licence line: exactly one wins.

Each of EPORT_LICENCE_RACE_ROUNDS rounds (default 20; the issue's figure is 200)
opens a line of 10 units; a declaration writing off all 10 goes to each of two
`eport serve` processes on one database at the same moment. Exactly one is
accepted and the other is LEDGER_INSUFFICIENT; at the end every line is at zero,
no history row ever went negative, and each balance is the sum of its history.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg

from tests.e2e.gateway import Gateway
from tests.e2e.ledgers import Ledgers
from tests.e2e.trade import outcome

ROUNDS = int(os.environ.get("EPORT_LICENCE_RACE_ROUNDS", "20"))
LINES_PER_LICENCE = 50


def racing_envelopes(desk: Ledgers, licence: str, line: int) -> list[bytes]:
    body = desk.trade.declaration(items=1)
    body["items"][0]["licences"] = [{"licence": licence, "line": line, "quantity": "10",
                                     "unit": "001"}]
    return [desk.trade.envelope(desk.trade.trader, "dec.declaration", body) for _ in range(2)]


def race(gateways: tuple[Gateway, Gateway], pairs: list[list[bytes]]) -> list[list[Any]]:
    """Each round's two envelopes, one per gateway, released together by a barrier."""
    barrier = threading.Barrier(2)

    def runner(side: int) -> list[Any]:
        receipts = []
        with gateways[side].client() as client:
            for pair in pairs:
                barrier.wait()
                reply = client.submit(pair[side])
                receipts.append(outcome(reply.json()["receipt"]))
        return receipts

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(runner, (0, 1))
    return [[a, b] for a, b in zip(first, second, strict=True)]


async def ledger_audit(url: str, prefixes: list[str]) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(
            "SELECT l.key, l.balance, sum(h.delta) AS total, min(h.balance_after) AS lowest"
            " FROM ledgers l JOIN ledger_history h ON h.ledger = l.ledger AND h.key = l.key"
            " WHERE l.ledger = 'licence' AND split_part(l.key, '#', 1) = ANY($1::text[])"
            " GROUP BY l.key, l.balance", prefixes)
    finally:
        await connection.close()


def test_the_last_units_go_to_exactly_one_of_two_processes(gateway: Gateway,
                                                          second_gateway: Gateway) -> None:
    desk = Ledgers.onboard(gateway)
    lines = []
    while len(lines) < ROUNDS:
        count = min(LINES_PER_LICENCE, ROUNDS - len(lines))
        licence = desk.issue(desk.mofcom, "import_licence", *[("10", "001")] * count)
        lines += [(licence, line) for line in range(1, count + 1)]
    pairs = [racing_envelopes(desk, licence, line) for licence, line in lines]
    rounds = race((gateway, second_gateway), pairs)
    for result in rounds:
        assert sorted(result) == [("accepted", "OK"), ("rejected", "LEDGER_INSUFFICIENT")]
    audit = asyncio.run(ledger_audit(gateway.database_url,
                                     sorted({licence for licence, _ in lines})))
    assert len(audit) == ROUNDS
    for row in audit:
        assert row["balance"] == row["total"] == 0 and row["lowest"] >= 0, dict(row)
