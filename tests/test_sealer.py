"""The sealer signs a batch's receipts and events in order, and formats its shared
received_at once, never a stale one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from core_ext import sm2
from gateway.sealer import Sealer
from gateway.store import OpsResult, Submission
from routing.pipeline import Verdict
from routing.receipts import open_envelope
from routing.registry import Event
from routing.timestamps import format_rfc3339

MOMENT = datetime(2026, 11, 29, 1, 2, 3, 456789, tzinfo=UTC)


def test_received_at_is_formatted_as_rfc3339_for_every_moment() -> None:
    sealer = Sealer(sm2.generate_private_key(), "ab")
    first = datetime(2026, 11, 29, 1, 2, 3, 456789, tzinfo=UTC)
    moments = [first, first, first.astimezone(timezone(timedelta(hours=8))),
               first + timedelta(microseconds=1), first, datetime(2027, 1, 1, tzinfo=UTC)]
    assert [sealer.received_at(m) for m in moments] == [format_rfc3339(m) for m in moments]
    assert sealer.received_at(first) == "2026-11-29T01:02:03.456789Z"


def _submission(doc_id: str, event: Event | None) -> Submission:
    verdict = Verdict("accepted", "OK", ref={"declaration": doc_id}, event=event)
    return Submission(
        sender="TRADER", doc_id=doc_id, doc_type="dec.accept", doc_bytes=b"{}",
        doc_sm3=bytes(32), sig=bytes(64), cert="c0ffee", received_at=MOMENT, ops=(),
        notify=event.recipients if event else (), status="accepted", code="OK",
        context=verdict)


def test_a_batch_is_sealed_in_order_each_receipt_and_event_signed() -> None:
    key = sm2.generate_private_key()
    sealer = Sealer(key, "ab")
    event = Event(("BROKER", "OFFICE"), "TRADER", "d2", "dec.accept", {"declaration": "d2"})
    subs = [_submission("d1", None), _submission("d2", event), _submission("d3", None)]
    results = [OpsResult(ok=True), OpsResult(ok=True, values={"entry_id": "2201"}),
               OpsResult(ok=False, code="REFERENCE_UNKNOWN", message="no such", path="$.x")]
    seqs = [{"TRADER": 7}, {"TRADER": 8, "BROKER": 3, "OFFICE": 40}, {"TRADER": 9}]
    sealed = sealer(subs, results, seqs)
    opened = [open_envelope(seal.receipt) for seal in sealed]
    assert [(o.body.doc_id, o.body.seq, o.body.status) for o in opened] == [
        ("d1", 7, "accepted"), ("d2", 8, "accepted"), ("d3", 9, "rejected")]
    assert [(s.status, s.code) for s in sealed] == [
        ("accepted", "OK"), ("accepted", "OK"), ("rejected", "REFERENCE_UNKNOWN")]
    assert opened[1].body.ref == {"declaration": "d2", "entry_id": "2201"}
    assert [recipient for recipient, _ in sealed[1].events] == ["BROKER", "OFFICE"]
    assert sealed[0].events == sealed[2].events == ()
    events = [open_envelope(body) for _, body in sealed[1].events]
    assert [(e.body.status, e.body.seq, e.body.ref["entry_id"]) for e in events] == [
        ("event", 3, "2201"), ("event", 40, "2201")]
    public_key = sm2.public_key(key)
    signed = [*opened, *events]
    assert len({o.signature for o in signed}) == len(signed)
    assert all(sm2.verify(public_key, o.body_bytes, o.signature) for o in signed)
