"""Receipts and events, signed with the platform's receipt key inside the commit.

The store calls ``Sealer.__call__`` on its own thread, inside the batch
transaction, once a document's operations have run and its sequence numbers
are known; what it returns is stored and is, byte for byte, every later answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from core_ext import sm2
from gateway.store import OpsResult, Sealed, Submission
from routing.pipeline import Verdict
from routing.receipts import ReceiptBody, encode_body, envelope
from routing.timestamps import format_rfc3339


class Sealer:
    def __init__(self, private_key: bytes, cert: str) -> None:
        self._key = private_key
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

    def sign(self, body: ReceiptBody) -> bytes:
        data = encode_body(body)
        return envelope(data, sm2.sign(self._key, data), self._cert)

    def __call__(self, sub: Submission, result: OpsResult, seqs: Mapping[str, int]) -> Sealed:
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
        receipt = self.sign(ReceiptBody(
            doc_id=sub.doc_id, sender=sub.sender, type=sub.doc_type, status=status, code=code,
            message=message, path=path, ref=ref, seq=seqs[sub.sender], **common,
        ))
        events: list[tuple[str, bytes]] = []
        # Serials assigned in the commit (an entry number) belong in the events too.
        event = verdict.event
        if result.ok and event is not None:
            for recipient in event.recipients:
                events.append((recipient, self.sign(ReceiptBody(
                    doc_id=event.doc_id, sender=event.sender, type=event.doc_type,
                    status="event", code="OK", message="", ref={**event.ref, **result.values},
                    seq=seqs[recipient], **common,
                ))))
        return Sealed(receipt=receipt, events=tuple(events), status=status, code=code)
