"""Declarations per second through batch submission, against plain documents.

Runs against a live gateway (``eport init && eport serve``; the admin card under
``$EPORT_HOME`` onboards a trader and a customs office). Both corpora are signed
before timing; each is then posted in batches from a few threads, alternating
rounds so machine noise hits both alike.

- realistic: ``dec.declaration`` with 8 goods items (every field rule, three
  cross-entity checks and a Create in the commit);
- plain: ``paperless.sign`` (no field rules beyond the schema, one Require and
  one Create): the same pipeline and commit path without a declaration's weight.

Prints one JSON object; ``ratio`` = realistic / plain documents per second.

    python -m bench.declarations.throughput --url http://127.0.0.1:8080 --n 2000
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from core_ext import fields
from core_ext.pki import KeyPair, public_key_to_hex
from gateway.client import Client, Signer
from routing.subsystems.dec.example import example_declaration

TARGET_RATIO = 0.6


class Onboarding:
    def __init__(self, url: str, home: Path) -> None:
        admin = json.loads((home / "admin.json").read_text())
        key = KeyPair.load((home / "admin.key").read_bytes()).private_key
        self.url, self.platform, self.admin = url, admin["enterprise"], Signer(key, admin["cert"])

    def submit(self, doc_type: str, body: dict[str, Any]) -> dict[str, Any]:
        with Client(self.url) as client:
            reply = client.submit(self.admin.document(doc_type, self.platform, body))
        receipt: dict[str, Any] = reply.json()["receipt"]
        if reply.status != 201:
            raise SystemExit(f"onboarding failed: {receipt}")
        return receipt

    def enterprise(self, type_: str, **extra: str) -> str:
        org = "".join(secrets.choice("0123456789") for _ in range(8))
        body = "91110000" + org + fields.org_code_check_char(org)
        # Registration code shape: 2-digit region, 3 digits, then 5 of the code alphabet.
        code = "11" + "".join(secrets.choice("0123456789") for _ in range(3)) + "".join(
            secrets.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXY") for _ in range(5))
        self.submit("identity.enterprise_register", {
            "code": code, "uscc": body + fields.uscc_check_char(body), "name": f"bench {code}",
            "type": type_, **extra})
        return code

    def card(self, enterprise: str, kind: str) -> Signer:
        pair = KeyPair.generate()
        receipt = self.submit("identity.card_issue", {
            "enterprise": enterprise, "kind": kind, "holder": "bench",
            "public_key": public_key_to_hex(pair.public_key)})
        return Signer(pair.private_key, receipt["ref"]["cert"])


def post_all(url: str, envelopes: list[bytes], batch: int, threads: int) -> float:
    """Seconds to get every envelope accepted, ``threads`` batches in flight."""
    chunks = [envelopes[i:i + batch] for i in range(0, len(envelopes), batch)]

    def post(chunk: list[bytes]) -> None:
        with Client(url, timeout=120) as client:
            results = client.submit_batch(chunk).json()["results"]
        refused = [result for result in results if result["status"] != 201]
        if refused:
            raise SystemExit(f"{len(refused)} of {len(results)} documents were refused,"
                             f" the first: {refused[0]}")

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, chunks))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("EPORT_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("EPORT_HOME", "~/.eport")).expanduser())
    parser.add_argument("--n", type=int, default=2000, help="documents of each kind per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--items", type=int, default=8)
    args = parser.parse_args()

    onboarding = Onboarding(args.url, args.home)
    trader = onboarding.enterprise("trader")
    customs = onboarding.enterprise("department", department_kind="customs")
    card = onboarding.card(trader, "legal")

    def corpus(doc_type: str, body: dict[str, Any]) -> list[bytes]:
        return [card.document(doc_type, trader, body) for _ in range(args.n)]

    declaration = example_declaration(args.items, consignor=trader, customs_office=customs)
    sign = {"district": "2200", "customs_office": customs}
    seconds = {"realistic": 0.0, "plain": 0.0}
    sizes = {}
    for _ in range(args.rounds):
        for kind, doc_type, body in (("plain", "paperless.sign", sign),
                                     ("realistic", "dec.declaration", declaration)):
            envelopes = corpus(doc_type, body)
            sizes[kind] = len(envelopes[0])
            seconds[kind] += post_all(args.url, envelopes, args.batch, args.threads)
    rates = {kind: args.n * args.rounds / spent for kind, spent in seconds.items()}
    ratio = rates["realistic"] / rates["plain"]
    print(json.dumps({
        "realistic_per_s": round(rates["realistic"], 1), "plain_per_s": round(rates["plain"], 1),
        "ratio": round(ratio, 3), "target": TARGET_RATIO, "met": ratio >= TARGET_RATIO,
        "items": args.items, "envelope_bytes": sizes, "n": args.n, "rounds": args.rounds,
        "batch": args.batch, "threads": args.threads}))


if __name__ == "__main__":
    main()
