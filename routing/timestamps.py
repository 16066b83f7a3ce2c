"""RFC 3339 timestamps as PROTOCOL.md uses them (``ts``, ``received_at``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core_ext import fields
from core_ext.field_error import FieldError
from routing.errors import EnvelopeInvalid

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_rfc3339(text: str, path: str) -> datetime:
    """An aware UTC datetime, parsed by core_ext.fields (real dates, no second 60)."""
    try:
        micros = fields.parse_rfc3339(text)
    except FieldError as exc:
        raise EnvelopeInvalid(f"not a valid RFC 3339 date-time: {exc}", path=path) from None
    return _EPOCH + timedelta(microseconds=micros)


def format_rfc3339(moment: datetime) -> str:
    """Microsecond precision, always UTC with Z: sortable as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
