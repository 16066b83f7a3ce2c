"""Entry numbers stay unique when two gateway processes accept declarations at once.

EPORT_ENTRY_NUMBERS_N declarations (default 200; the issue's figure is 1000) are
accepted half through each of two `eport serve` processes on one database,
concurrently, in batches.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core_ext import fields
from tests.e2e.gateway import Gateway
from tests.e2e.trade import Trade

N = int(os.environ.get("EPORT_ENTRY_NUMBERS_N", "200"))
BATCH = 100


def post_batches(gateway: Gateway, envelopes: list[bytes]) -> list[dict[str, Any]]:
    receipts = []
    with gateway.client() as client:
        for start in range(0, len(envelopes), BATCH):
            reply = client.submit_batch(envelopes[start:start + BATCH])
            assert reply.status == 200, reply.body
            for result in reply.json()["results"]:
                assert result["status"] == 201, result
                receipts.append(result["receipt"]["receipt"])
    return receipts


def test_entry_numbers_are_distinct_across_processes(gateway: Gateway,
                                                     second_gateway: Gateway) -> None:
    trade = Trade.onboard(gateway)
    declared = post_batches(gateway, [
        trade.envelope(trade.trader, "dec.declaration", trade.declaration(items=1))
        for _ in range(N)])
    keys = [receipt["ref"]["declaration"] for receipt in declared]
    accepts = [trade.envelope(trade.customs, "dec.accept", {
        "declaration": key, "consignor": trade.trader.code, "customs_office": trade.customs.code,
        "declare_district": "2200", "import_export": "I"}) for key in keys]
    with ThreadPoolExecutor(2) as pool:
        halves = pool.map(post_batches, (gateway, second_gateway), (accepts[::2], accepts[1::2]))
        entry_ids = [receipt["ref"]["entry_id"] for half in halves for receipt in half]
    assert len(entry_ids) == N and len(set(entry_ids)) == N
    for entry_id in entry_ids:
        parsed = fields.parse_entry_number(entry_id)
        assert (parsed.district, parsed.is_import) == ("2200", True)
