"""RFC 3339 and customs date/time formats, against the datetime module as oracle."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_ext.fields import (
    FieldError,
    format_rfc3339,
    parse_compact_date,
    parse_customs_datetime,
    parse_date,
    parse_rfc3339,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28T08:00:00Z", datetime(2026, 11, 28, 8, tzinfo=UTC)),
        ("2026-11-28T16:00:00+08:00", datetime(2026, 11, 28, 8, tzinfo=UTC)),
        ("2026-11-28t08:00:00z", datetime(2026, 11, 28, 8, tzinfo=UTC)),
        ("2026-11-28T08:00:00-00:00", datetime(2026, 11, 28, 8, tzinfo=UTC)),
        ("2026-11-28T08:00:00.5Z", datetime(2026, 11, 28, 8, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-28T08:00:00.123456789Z", datetime(2026, 11, 28, 8, 0, 0, 123456, tzinfo=UTC)),
        ("2024-02-29T23:59:59-23:59", datetime(2024, 3, 1, 23, 58, 59, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999Z", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_rfc3339_examples(text: str, expected: datetime) -> None:
    assert parse_rfc3339(text) == micros(expected)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1795852800, "not_string"),
        ("", "syntax"),
        ("2026-11-28", "syntax"),
        ("2026-11-28 08:00:00Z", "syntax"),
        ("2026/11/28T08:00:00Z", "syntax"),
        ("2026-11-28T08:00Z", "syntax"),
        ("2026-1a-28T08:00:00Z", "syntax"),
        ("2026-11-28T08:00:00.Z", "syntax"),
        ("2026-11-28T08:00:00ZZ", "syntax"),
        ("2026-11-28T08:00:00", "offset"),
        ("2026-11-28T08:00:00.5", "offset"),
        ("2026-11-28T08:00:00+0800", "offset"),
        ("2026-11-28T08:00:00+24:00", "offset"),
        ("2026-11-28T08:00:00+08:60", "offset"),
        ("2026-11-28T08:00:00 +08:00", "offset"),
        ("2026-11-28T08:00:00.1234567890Z", "fraction"),
        ("2026-02-29T08:00:00Z", "date"),
        ("2026-13-01T08:00:00Z", "date"),
        ("2026-00-01T08:00:00Z", "date"),
        ("2026-04-31T08:00:00Z", "date"),
        ("0000-01-01T00:00:00Z", "date"),
        ("2026-11-28T24:00:00Z", "time"),
        ("2026-11-28T08:60:00Z", "time"),
        ("2016-12-31T23:59:60Z", "leap_second"),
    ],
)
def test_rfc3339_rejections(value: object, reason: str) -> None:
    with pytest.raises(FieldError) as info:
        parse_rfc3339(value)
    assert info.value.reason == reason


aware_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
)
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@given(aware_datetimes, offsets)
def test_rfc3339_agrees_with_datetime(moment: datetime, zone: timezone) -> None:
    text = moment.astimezone(zone).isoformat()
    assert parse_rfc3339(text) == micros(moment)


@given(
    st.integers(
        micros(datetime(1, 1, 1, tzinfo=UTC)),
        micros(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    )
)
def test_format_then_parse_round_trips(epoch_us: int) -> None:
    text = format_rfc3339(epoch_us)
    assert parse_rfc3339(text) == epoch_us
    assert datetime.fromisoformat(text) == EPOCH + timedelta(microseconds=epoch_us)


def test_format_outside_the_range_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="0001-9999"):
        format_rfc3339(micros(datetime(1, 1, 1, tzinfo=UTC)) - 1)
    with pytest.raises(ValueError, match="0001-9999"):
        format_rfc3339(micros(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) + 1)


@given(st.dates())
def test_dates_agree_with_datetime(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_compact_date(day.strftime("%Y%m%d").rjust(8, "0")) == day


@pytest.mark.parametrize(
    "text",
    ["2026-02-29", "1900-02-29", "2026-11-31", "2026-11-5", "20261128", "2026-11-28T00:00:00Z"],
)
def test_bad_dates(text: str) -> None:
    with pytest.raises(FieldError):
        parse_date(text)


@pytest.mark.parametrize("text", ["20260229", "19000229", "2026-11-28", "2026112", "2026112a"])
def test_bad_compact_dates(text: str) -> None:
    with pytest.raises(FieldError):
        parse_compact_date(text)


def test_customs_datetime_is_read_at_utc_plus_8() -> None:
    assert parse_customs_datetime("20261128160000") == parse_rfc3339("2026-11-28T08:00:00Z")
    assert parse_customs_datetime("20261128080000", utc_offset_minutes=0) == parse_rfc3339(
        "2026-11-28T08:00:00Z"
    )
    for bad, reason in [
        ("2026112816000", "syntax"),
        ("20261128246000", "time"),
        ("20260229000000", "date"),
    ]:
        with pytest.raises(FieldError) as info:
            parse_customs_datetime(bad)
        assert info.value.reason == reason
