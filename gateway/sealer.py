"""Receipts and events, signed with the platform's receipt key inside the commit.

The store calls ``Sealer.__call__`` on its own thread, inside the batch
transaction, once the batch's operations have run and its sequence numbers are
known; what it returns is stored and is, byte for byte, every later answer.

Sealing runs while the batch holds the rows every batch needs (the enterprises'
seq rows, the entry-number counters) locked until its COMMIT, so the other
batches wait it out. Its signatures therefore use nonces prepared beforehand
(``sm2.Presigner``): ``keep_nonces_ready`` makes them on a worker thread, and what
is left for the commit is a digest and a few multiplications per signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import trio

from core_ext import sm2
from gateway.store import OpsResult, Sealed, Submission
from routing.pipeline import Verdict
from routing.receipts import ReceiptBody, encode_body, envelope
from routing.timestamps import format_rfc3339

# Prepared nonces a worker keeps: one per receipt or event. A national-day batch run (4,416
# documents a second, 2.04 receipts and events each) signs about 4,500 a second per
# worker, so this lasts over a second with none made, and a look every REFILL_INTERVAL_S
# makes up what was used in a few hundred at a time.
NONCES = 8192
REFILL_INTERVAL_S = 0.1


class Sealer:
    def __init__(self, private_key: bytes, cert: str, nonces: int = NONCES) -> None:
        self._signer = sm2.Presigner(private_key, nonces)
        self._cert = cert
        # Every document of a request shares one received_at: format it once.
        self._received: tuple[datetime, str] | None = None

    def received_at(self, moment: datetime) -> str:
        """``format_rfc3339(moment)``, remembered for the next document of the batch."""
        last = self._received
        if last is not None and last[0] == moment:
            return last[1]
        text = format_rfc3339(moment)
        self._received = (moment, text)
        return text

    @property
    def nonces_ready(self) -> int:
        return self._signer.available

    async def keep_nonces_ready(self) -> None:
        """Make up what sealing used of the prepared nonces, on a worker thread; run it in
        the application's nursery. With none ready, sealing signs as ``sm2.sign`` does."""
        while True:
            missing = self._signer.capacity - self._signer.available
            if missing:
                await trio.to_thread.run_sync(self._signer.prepare, missing)
            await trio.sleep(REFILL_INTERVAL_S)

    def __call__(self, subs: Sequence[Submission], results: Sequence[OpsResult],
                 seqs: Sequence[Mapping[str, int]]) -> list[Sealed]:
        """The sealed receipt and events of each new document of a batch: every body is
        encoded first, then all are signed in one call that runs without the GIL."""
        bodies: list[bytes] = []
        kept: list[tuple[str, str, list[str]]] = []
        for sub, result, seq in zip(subs, results, seqs, strict=True):
            status, code, recipients = self._encode(sub, result, seq, bodies)
            kept.append((status, code, recipients))
        signed = iter([envelope(body, sig, self._cert)
                       for body, sig in zip(bodies, self._signer.sign_many(bodies),
                                            strict=True)])
        return [Sealed(receipt=next(signed),
                       events=tuple((recipient, next(signed)) for recipient in recipients),
                       status=status, code=code)
                for status, code, recipients in kept]

    def _encode(self, sub: Submission, result: OpsResult, seqs: Mapping[str, int],
                bodies: list[bytes]) -> tuple[str, str, list[str]]:
        """Append the receipt's body, then each event's, to ``bodies``; return the
        receipt's status and code and the events' recipients."""
        verdict = sub.context
        if not isinstance(verdict, Verdict):
            raise TypeError("a Submission's context must be its Verdict")
        received_at = self.received_at(sub.received_at)
        common = {"received_at": received_at, "doc_sm3": sub.doc_sm3.hex(), "cert": sub.cert}
        if result.ok:
            status, code, message, path = verdict.status, verdict.code, verdict.message, \
                verdict.path
            ref = {**verdict.ref, **result.values}
        else:
            status, code = "rejected", result.code or "RULE_VIOLATION"
            message, path, ref = result.message or "", result.path, {}
        bodies.append(encode_body(ReceiptBody(
            doc_id=sub.doc_id, sender=sub.sender, type=sub.doc_type, status=status, code=code,
            message=message, path=path, ref=ref, seq=seqs[sub.sender], **common,
        )))
        recipients: list[str] = []
        # Serials assigned in the commit (an entry number) belong in the events too.
        event = verdict.event
        if result.ok and event is not None:
            for recipient in event.recipients:
                recipients.append(recipient)
                bodies.append(encode_body(ReceiptBody(
                    doc_id=event.doc_id, sender=event.sender, type=event.doc_type,
                    status="event", code="OK", message="", ref={**event.ref, **result.values},
                    seq=seqs[recipient], **common,
                )))
        return status, code, recipients
