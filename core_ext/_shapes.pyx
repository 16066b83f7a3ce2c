"""Shapes of the customs identifiers (no table lookups here; see core_ext.fields).

Customs registration code (海关注册编码), 10 characters. Published structure (the
customs' own Q&A, the H2000 numbering rules; sources in tests/fields/test_shapes.py):
positions 1-4 the first four digits of the enterprise's GB/T 2260 administrative
division, 5 the economic-zone kind (1-7, 9), 6 the enterprise kind (digits 1-9 in
the published list; letters occur for special registrations), 7-10 a serial.
How strict we are, and why: the code is always looked up in the enterprise
registry afterwards, so this check only has to stop garbage cheaply without ever
refusing a real code. We require positions 1-5 to be digits, positions 1-2 to be
a GB/T 2260 province code, and positions 6-10 to be digits or upper-case letters.
We do not pin position 5 to the published list, nor the serial to digits.

Entry number (报关单号), 18 digits: receiving customs district (4), year (4,
2000-2099: the 18-digit form came with the H2000 system), 1 import / 0 export,
9-digit serial. The district is not looked up (the district table is partial and
the number may come from elsewhere); callers that need that use the table.
"""

from typing import NamedTuple

from core_ext.field_error import FieldError

# First two digits of GB/T 2260 codes: the provinces, autonomous regions and
# municipalities, plus 71 (Taiwan), 81 (Hong Kong), 82 (Macao).
cdef frozenset _PROVINCES = frozenset(
    (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82)
)


EntryNumber = NamedTuple(
    "EntryNumber", [("district", str), ("year", int), ("is_import", bool), ("serial", int)]
)


cdef str _require_str(object value, Py_ssize_t length, str what):
    if not isinstance(value, str):
        raise FieldError("not_string", f"{what} must be a string")
    if len(<str>value) != length:
        raise FieldError("length", f"{what} must have {length} characters, not {len(<str>value)}")
    return <str>value


cdef inline bint _is_digit(Py_UCS4 c):
    return 48 <= c <= 57


cdef inline bint _is_upper_alnum(Py_UCS4 c):
    return 48 <= c <= 57 or 65 <= c <= 90


cdef void _require_digits(str text, Py_ssize_t start, Py_ssize_t stop, str what) except *:
    cdef Py_ssize_t i
    for i in range(start, stop):
        if not _is_digit(text[i]):
            raise FieldError("charset", f"{what} position {i + 1} ({text[i]!r}) must be a digit")


def check_customs_code(value: object) -> None:
    """Raise FieldError unless ``value`` has the shape of a 10-character customs registration code."""
    cdef str code = _require_str(value, 10, "customs registration code")
    cdef Py_ssize_t i
    cdef Py_UCS4 first = code[0], second = code[1]
    cdef int province
    _require_digits(code, 0, 5, "customs registration code")
    province = (<int>first - 48) * 10 + (<int>second - 48)
    if province not in _PROVINCES:
        raise FieldError("region", f"customs registration code starts with {code[:2]!r}, not a province code")
    for i in range(5, 10):
        if not _is_upper_alnum(code[i]):
            raise FieldError(
                "charset", f"customs registration code position {i + 1} ({code[i]!r}) must be 0-9 or A-Z"
            )


def check_district_shape(value: object) -> str:
    """Return ``value`` if it is 4 digits (a customs district code's shape); else raise FieldError."""
    cdef str code = _require_str(value, 4, "customs district code")
    _require_digits(code, 0, 4, "customs district code")
    return code


def check_hs_shape(value: object) -> str:
    """Return ``value`` if it is a 10-digit commodity code (8-digit tariff line + 2 supplementary)."""
    cdef str code = _require_str(value, 10, "HS code")
    _require_digits(code, 0, 10, "HS code")
    return code


cdef int _entry_year(str number) except -1:
    """Validate an 18-character entry number and return its year."""
    cdef int year = 0
    cdef Py_ssize_t i
    _require_digits(number, 0, 18, "entry number")
    for i in range(4, 8):
        year = year * 10 + (<int>number[i] - 48)
    if not 2000 <= year <= 2099:
        raise FieldError("year", f"entry number year {year} is outside 2000-2099")
    if number[8] != "0" and number[8] != "1":
        raise FieldError("direction", "entry number position 9 must be 1 (import) or 0 (export)")
    return year


def parse_entry_number(value: object) -> EntryNumber:
    """Split an 18-digit entry number into its parts; raise FieldError if malformed."""
    cdef str number = _require_str(value, 18, "entry number")
    cdef int year = _entry_year(number)
    return EntryNumber(number[:4], year, number[8] == "1", int(number[9:]))


def check_entry_number(value: object) -> None:
    """Raise FieldError unless ``value`` is a well-formed 18-digit entry number."""
    _entry_year(_require_str(value, 18, "entry number"))
