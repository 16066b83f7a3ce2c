"""Declarations with licence write-offs per second, against the same declarations without.

Runs against a live gateway like throughput.py (``eport init && eport serve``; the
admin card under ``$EPORT_HOME`` onboards a trader, a customs office and a mofcom
department, which issues import licences with a line per goods item). Both
corpora are signed before timing and posted in batches from a few threads,
alternating rounds so that machine noise hits both alike.

- writeoffs: ``dec.declaration`` with ``--items`` goods items, each writing off
  its quantity from a line of the declaration's own licence (一批一证; one Require
  for the licence and one conditional Debit plus a history row per line, inside
  the commit); with ``--shared`` every declaration draws on the same lines, so
  concurrent batch transactions queue on those rows (the worst case);
- plain: the same declarations without write-offs.

Licences are issued (and not timed) before each round.

Prints one JSON object; ``ratio`` = writeoffs / plain declarations per second.

    python -m bench.declarations.writeoffs --url http://127.0.0.1:8080 --n 2000
"""

from __future__ import annotations

import argparse
import copy
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.declarations.throughput import Onboarding, post_all
from gateway.client import new_id
from routing.subsystems.dec.example import example_declaration

TARGET_RATIO = 0.7
# 一批一证: by default each declaration draws on a licence of its own, whose lines
# hold enough for its items (at most 5000 each); --shared draws every declaration
# on one licence whose lines never run dry during a run.
OWN_LINE = "10000"
SHARED_LINE = "1000000000"


class Licensing:
    """A mofcom department issuing import licences to the trader, before timing."""

    def __init__(self, onboarding: Onboarding, trader: str, items: int) -> None:
        self.url, self.trader, self.items = onboarding.url, trader, items
        self.mofcom = onboarding.enterprise("department", department_kind="mofcom")
        self.card = onboarding.card(self.mofcom, "department")

    def issue(self, count: int, quantity: str, batch: int, threads: int) -> list[str]:
        """``count`` licences, each with a line of ``quantity`` per goods item; their keys."""
        today = datetime.now(UTC).date()
        body = {"kind": "import_licence", "holder": self.trader, "number": "BENCH-1",
                "valid_from": (today - timedelta(days=1)).isoformat(),
                "valid_to": (today + timedelta(days=30)).isoformat(),
                "lines": [{"hs_code": "8517130000", "quantity": quantity, "unit": "001"}
                          for _ in range(self.items)]}
        ids = [new_id("licence") for _ in range(count)]
        post_all(self.url, [self.card.document("licence.issue", self.mofcom, body, doc_id)
                            for doc_id in ids], batch, threads)
        return [f"{self.mofcom}/{doc_id}" for doc_id in ids]


def with_write_offs(declaration: dict[str, Any], licence: str) -> dict[str, Any]:
    drawing = copy.deepcopy(declaration)
    for item in drawing["items"]:
        item["licences"] = [{"licence": licence, "line": item["seq"],
                             "quantity": item["quantity"], "unit": item["unit"]}]
    return drawing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("EPORT_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("EPORT_HOME", "~/.eport")).expanduser())
    parser.add_argument("--n", type=int, default=2000, help="declarations of each kind per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--shared", action="store_true",
                        help="every declaration draws on the same licence lines (hot rows)")
    args = parser.parse_args()

    onboarding = Onboarding(args.url, args.home)
    trader = onboarding.enterprise("trader")
    customs = onboarding.enterprise("department", department_kind="customs")
    card = onboarding.card(trader, "legal")
    plain = example_declaration(args.items, consignor=trader, customs_office=customs)
    licensing = Licensing(onboarding, trader, args.items)
    seconds = {"plain": 0.0, "writeoffs": 0.0}
    for _ in range(args.rounds):
        licences = (licensing.issue(1, SHARED_LINE, args.batch, args.threads) * args.n
                    if args.shared else
                    licensing.issue(args.n, OWN_LINE, args.batch, args.threads))
        corpora = {"plain": [plain] * args.n,
                   "writeoffs": [with_write_offs(plain, licence) for licence in licences]}
        for kind, bodies in corpora.items():
            envelopes = [card.document("dec.declaration", trader, body) for body in bodies]
            seconds[kind] += post_all(args.url, envelopes, args.batch, args.threads)
    rates = {kind: args.n * args.rounds / spent for kind, spent in seconds.items()}
    ratio = rates["writeoffs"] / rates["plain"]
    print(json.dumps({
        "writeoffs_per_s": round(rates["writeoffs"], 1), "plain_per_s": round(rates["plain"], 1),
        "ratio": round(ratio, 3), "target": TARGET_RATIO, "met": ratio >= TARGET_RATIO,
        "items": args.items, "shared": args.shared, "n": args.n, "rounds": args.rounds,
        "batch": args.batch, "threads": args.threads}))


if __name__ == "__main__":
    main()
