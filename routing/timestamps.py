"""RFC 3339 timestamps as PROTOCOL.md uses them (``ts``, ``received_at``)."""

from __future__ import annotations

from datetime import UTC, datetime

from routing.errors import EnvelopeInvalid


def parse_rfc3339(text: str, path: str) -> datetime:
    """An aware UTC datetime; the caller has already checked the shape."""
    try:
        parsed = datetime.fromisoformat(text.upper())
    except ValueError:
        raise EnvelopeInvalid("not a valid RFC 3339 date-time", path=path) from None
    if parsed.tzinfo is None:
        raise EnvelopeInvalid("date-time needs Z or an offset", path=path)
    return parsed.astimezone(UTC)


def format_rfc3339(moment: datetime) -> str:
    """Microsecond precision, always UTC with Z: sortable as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
