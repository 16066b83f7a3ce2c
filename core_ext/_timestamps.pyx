"""Strict dates and timestamps, proleptic Gregorian calendar, years 0001-9999.

RFC 3339 ``date-time`` -> UTC epoch microseconds:
``YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)``. "t" and "z" may be lower case
(RFC 3339 section 5.6); the space separator some applications use is refused.
The fraction has 1-9 digits and is truncated to the microsecond (Java and Go
clients send nanoseconds; nothing here needs them). "-00:00" means UTC.
Leap seconds: second 60 is refused ("leap_second"). POSIX time, PostgreSQL and
Python cannot represent it, none has been inserted since 2016-12-31, and a
document timestamp must be near the gateway's clock anyway.

Customs formats, which carry no zone: ``YYYY-MM-DD`` and ``YYYYMMDD`` dates give a
``datetime.date``; the 14-digit ``YYYYMMDDhhmmss`` of CEB messages gives epoch
microseconds, read at a fixed UTC offset (default +08:00, China Standard Time,
which has had no daylight saving time since 1991).
"""

from datetime import date

from libc.stdint cimport int64_t

from core_ext.field_error import FieldError

cdef int64_t _US_PER_SECOND = 1000000
cdef int64_t _SECONDS_PER_DAY = 86400
cdef int[13] _DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
# multiplier that turns the first min(n, 6) fraction digits into microseconds
cdef int[7] _FRACTION_SCALE = [0, 100000, 10000, 1000, 100, 10, 1]


cdef inline bint _is_leap(int year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


cdef int64_t _days_from_civil(int year, int month, int day):
    """Days since 1970-01-01 (H. Hinnant's algorithm; year >= 1 keeps every term >= 0)."""
    cdef int64_t y = year - (1 if month <= 2 else 0)
    cdef int64_t era = y // 400
    cdef int64_t yoe = y - era * 400
    cdef int64_t doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    cdef int64_t doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


cdef str _require_str(object value, str what):
    if not isinstance(value, str):
        raise FieldError("not_string", f"{what} must be a string")
    return <str>value


cdef int _digits(str text, Py_ssize_t start, Py_ssize_t count, str what) except -1:
    cdef int result = 0
    cdef Py_ssize_t i
    cdef Py_UCS4 c
    for i in range(start, start + count):
        c = text[i]
        if not 48 <= c <= 57:
            raise FieldError("syntax", f"{what}: expected a digit at position {i + 1}")
        result = result * 10 + (<int>c - 48)
    return result


cdef void _expect(str text, Py_ssize_t at, Py_UCS4 c, str what) except *:
    if text[at] != c:
        raise FieldError("syntax", f"{what}: expected {c!r} at position {at + 1}")


cdef int64_t _epoch_day(int year, int month, int day) except? -1:
    if year < 1 or month < 1 or month > 12 or day < 1:
        raise FieldError("date", f"no such date {year:04d}-{month:02d}-{day:02d}")
    if day > _DAYS_IN_MONTH[month] and not (month == 2 and day == 29 and _is_leap(year)):
        raise FieldError("date", f"no such date {year:04d}-{month:02d}-{day:02d}")
    return _days_from_civil(year, month, day)


cdef int64_t _second_of_day(int hour, int minute, int second) except -1:
    if second == 60:
        raise FieldError("leap_second", "leap seconds (second 60) are not accepted")
    if hour > 23 or minute > 59 or second > 59:
        raise FieldError("time", f"no such time {hour:02d}:{minute:02d}:{second:02d}")
    return hour * 3600 + minute * 60 + second


cdef int64_t _offset_seconds(str text, Py_ssize_t at, str what) except? -1:
    """Seconds east of UTC of the zone designator at text[at:]."""
    cdef Py_ssize_t n = len(text)
    cdef Py_UCS4 c = text[at]
    cdef int hours, minutes
    if c == "Z" or c == "z":
        if at + 1 != n:
            raise FieldError("syntax", f"{what}: unexpected text after 'Z'")
        return 0
    if c != "+" and c != "-":
        raise FieldError("offset", f"{what}: expected 'Z' or a +HH:MM offset")
    if n - at != 6 or text[at + 3] != ":":
        raise FieldError("offset", f"{what}: the offset must be +HH:MM or -HH:MM")
    hours = _digits(text, at + 1, 2, what)
    minutes = _digits(text, at + 4, 2, what)
    if hours > 23 or minutes > 59:
        raise FieldError("offset", f"{what}: offset {text[at:]} is out of range")
    return (hours * 3600 + minutes * 60) * (1 if c == "+" else -1)


def parse_rfc3339(value: object) -> int:
    """UTC epoch microseconds of an RFC 3339 date-time; FieldError if malformed."""
    cdef str text = _require_str(value, "timestamp")
    cdef Py_ssize_t n = len(text), i = 19, fraction_digits
    cdef int64_t day, second, micros = 0
    if n < 19:
        raise FieldError("syntax", "timestamp must look like 2026-11-28T08:00:00Z")
    _expect(text, 4, "-", "timestamp")
    _expect(text, 7, "-", "timestamp")
    if text[10] != "T" and text[10] != "t":
        raise FieldError("syntax", "timestamp: expected 'T' at position 11")
    _expect(text, 13, ":", "timestamp")
    _expect(text, 16, ":", "timestamp")
    day = _epoch_day(_digits(text, 0, 4, "timestamp"), _digits(text, 5, 2, "timestamp"),
                     _digits(text, 8, 2, "timestamp"))
    second = _second_of_day(_digits(text, 11, 2, "timestamp"), _digits(text, 14, 2, "timestamp"),
                            _digits(text, 17, 2, "timestamp"))
    if n > 19 and text[19] == ".":
        i = 20
        while i < n and 48 <= text[i] <= 57:
            i += 1
        fraction_digits = i - 20
        if fraction_digits == 0:
            raise FieldError("syntax", "timestamp: a '.' must be followed by digits")
        if fraction_digits > 9:
            raise FieldError("fraction", "timestamp: at most 9 fraction digits")
        micros = _digits(text, 20, min(fraction_digits, 6), "timestamp") * _FRACTION_SCALE[min(fraction_digits, 6)]
    if i >= n:
        raise FieldError("offset", "timestamp: the 'Z' or UTC offset is missing")
    second -= _offset_seconds(text, i, "timestamp")
    return (day * _SECONDS_PER_DAY + second) * _US_PER_SECOND + micros


def parse_date(value: object) -> date:
    """A ``YYYY-MM-DD`` calendar date; FieldError if malformed or not a real date."""
    cdef str text = _require_str(value, "date")
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise FieldError("syntax", "date must look like 2026-11-28")
    return _make_date(_digits(text, 0, 4, "date"), _digits(text, 5, 2, "date"), _digits(text, 8, 2, "date"))


def parse_compact_date(value: object) -> date:
    """A ``YYYYMMDD`` calendar date; FieldError if malformed or not a real date."""
    cdef str text = _require_str(value, "date")
    if len(text) != 8:
        raise FieldError("syntax", "date must look like 20261128")
    return _make_date(_digits(text, 0, 4, "date"), _digits(text, 4, 2, "date"), _digits(text, 6, 2, "date"))


cdef object _make_date(int year, int month, int day):
    _epoch_day(year, month, day)
    return date(year, month, day)


def parse_customs_datetime(value: object, int utc_offset_minutes=480) -> int:
    """UTC epoch microseconds of a 14-digit ``YYYYMMDDhhmmss`` read at the given UTC offset."""
    cdef str text = _require_str(value, "time")
    cdef int64_t day, second
    if len(text) != 14:
        raise FieldError("syntax", "time must look like 20261128080000")
    day = _epoch_day(_digits(text, 0, 4, "time"), _digits(text, 4, 2, "time"), _digits(text, 6, 2, "time"))
    second = _second_of_day(_digits(text, 8, 2, "time"), _digits(text, 10, 2, "time"), _digits(text, 12, 2, "time"))
    return (day * _SECONDS_PER_DAY + second - utc_offset_minutes * 60) * _US_PER_SECOND


def format_rfc3339(int64_t epoch_us) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` for UTC epoch microseconds (years 0001-9999)."""
    cdef int64_t seconds = _floor_div(epoch_us, _US_PER_SECOND)
    cdef int64_t micros = epoch_us - seconds * _US_PER_SECOND
    cdef int64_t days = _floor_div(seconds, _SECONDS_PER_DAY)
    cdef int64_t sod = seconds - days * _SECONDS_PER_DAY
    cdef int64_t z, era, doe, yoe, doy, mp, year, month, day
    if not _MIN_DAY <= days <= _MAX_DAY:
        raise ValueError("timestamp outside years 0001-9999")
    # H. Hinnant's civil_from_days; z >= 0 for every day in range
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    text = f"{year:04d}-{month:02d}-{day:02d}T{sod // 3600:02d}:{sod // 60 % 60:02d}:{sod % 60:02d}"
    return f"{text}.{micros:06d}Z" if micros else f"{text}Z"


cdef inline int64_t _floor_div(int64_t a, int64_t b):
    """Floor division for b > 0 (the module is compiled with C's truncating division)."""
    cdef int64_t q = a // b
    return q - 1 if a - q * b < 0 else q


cdef int64_t _MIN_DAY = _days_from_civil(1, 1, 1)
cdef int64_t _MAX_DAY = _days_from_civil(9999, 12, 31)
