"""A freeze reaches every worker of every gateway process within a second.

Threads submit documents signed by one card to two gateway processes (one and
two workers, same database) while the platform freezes the card. The freeze
receipt's ``received_at`` is earlier than its commit, so measuring from it
overstates the delay: no document signed by the card may be accepted with a
``received_at`` more than 1 s after it. ``EPORT_FREEZE_ROUNDS`` (default 1)
repeats the measurement; each round prints its max delay (run with ``-s``).
The phases wait for enough answers (10 accepted before the freeze, 10 refused
after it, within a cap) rather than a fixed time, so a loaded machine still
gives the test its samples.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from gateway.client import Signer
from tests.e2e.gateway import Gateway

ROUNDS = int(os.environ.get("EPORT_FREEZE_ROUNDS", "1"))
ENOUGH, CAP_S = 10, 30.0
AFTER_S = 1.5
LIMIT = timedelta(seconds=1)


def submit_until(url: str, card: Signer, enterprise: str, target: str, stop: threading.Event,
                 seen: list[tuple[int, str, datetime | None]]) -> None:
    """Submit grants signed by ``card`` over fresh connections (so every worker gets some)."""
    while not stop.is_set():
        envelope = card.document("identity.permission_grant", enterprise,
                                 {"card": target, "subsystems": ["archive"]})
        reply = httpx.post(f"{url}/v1/documents", content=envelope,
                           headers={"content-type": "application/json"}, timeout=10)
        body = reply.json()
        if reply.status_code == 201:
            seen.append((201, "OK", datetime.fromisoformat(body["receipt"]["received_at"])))
        else:
            seen.append((reply.status_code, body.get("code", ""), None))


def wait_for(enough: Callable[[], bool]) -> None:
    deadline = time.monotonic() + CAP_S
    while not enough() and time.monotonic() < deadline:
        time.sleep(0.05)


def one_round(gateway: Gateway, twin: Gateway) -> tuple[timedelta, int, int]:
    """(max delay after the freeze of an accepted document, accepted before, refused after)."""
    enterprise = gateway.enterprise()
    card, target = gateway.card(enterprise), gateway.card(enterprise, "operator")
    seen: list[tuple[int, str, datetime | None]] = []
    stop = threading.Event()
    threads = [threading.Thread(target=submit_until, args=(url, card, enterprise, target.cert,
                                                           stop, seen))
               for url in (gateway.url, twin.url, twin.url, twin.url)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: sum(status == 201 for status, _, _ in seen) >= ENOUGH)
        freeze = gateway.admin_submit("identity.card_freeze",
                                      {"card": card.cert, "enterprise": enterprise})
        time.sleep(AFTER_S)
        wait_for(lambda: sum(status != 201 for status, _, _ in seen) >= ENOUGH)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    frozen_at = datetime.fromisoformat(freeze["received_at"])
    accepted = [at for status, _, at in seen if status == 201 and at is not None]
    late = [at - frozen_at for at in accepted if at > frozen_at]
    refused = [code for status, code, _ in seen if status != 201]
    assert set(refused) == {"CARD_INACTIVE"}
    return max(late, default=timedelta(0)), len(accepted) - len(late), len(refused)


def test_a_freeze_stops_the_card_on_every_worker_within_a_second(
    gateway: Gateway, twin_gateway: Gateway
) -> None:
    for round_no in range(ROUNDS):
        delay, before, refused = one_round(gateway, twin_gateway)
        print(f"round {round_no}: max delay {delay.total_seconds() * 1000:.1f} ms, "
              f"{before} accepted before the freeze, {refused} refused after it")
        assert before >= ENOUGH and refused >= ENOUGH
        assert delay < LIMIT
