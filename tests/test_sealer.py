"""The sealer formats a batch's shared received_at once, and never a stale one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from core_ext import sm2
from gateway.sealer import Sealer
from routing.timestamps import format_rfc3339


def test_received_at_is_formatted_as_rfc3339_for_every_moment() -> None:
    sealer = Sealer(sm2.generate_private_key(), "ab")
    first = datetime(2026, 11, 29, 1, 2, 3, 456789, tzinfo=UTC)
    moments = [first, first, first.astimezone(timezone(timedelta(hours=8))),
               first + timedelta(microseconds=1), first, datetime(2027, 1, 1, tzinfo=UTC)]
    assert [sealer.received_at(m) for m in moments] == [format_rfc3339(m) for m in moments]
    assert sealer.received_at(first) == "2026-11-29T01:02:03.456789Z"
