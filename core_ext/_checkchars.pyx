"""Check characters of GB 32100-2015 (USCC) and GB 11714-1997 (organisation code).

USCC: 18 characters from the 31-character alphabet 0-9 A-H J-N P-R T U W-Y (no I,
O, Z, S, V). Position 18 is 31 - (sum of value(c_i) * 3^(i-1) mod 31) mod 31, as a
character of the same alphabet. Positions 3-8 are the registration authority's
administrative-division code (digits). Positions 9-17 are the organisation code,
whose own check character (position 17) must also be right. Positions 1 and 2
(authority and organisation kind) are not checked against a list: the lists
change, and the two check characters already catch typing errors there.

Organisation code: 8 body characters from 0-9 A-Z (values 0-35), weights
3 7 9 10 5 8 4 2, check = 11 - (sum mod 11), written 10 -> "X", 11 -> "0". Only
the compact 9-character form is accepted (no hyphen before the check character).
"""

from core_ext.field_error import FieldError

cdef str _USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
cdef signed char _USCC_VALUE[128]
cdef signed char _ORG_VALUE[128]
cdef int _USCC_WEIGHTS[17]
cdef int _ORG_WEIGHTS[8]


cdef void _init_tables():
    cdef int i
    cdef int weight = 1
    for i in range(128):
        _USCC_VALUE[i] = -1
        _ORG_VALUE[i] = -1
    for i in range(31):
        _USCC_VALUE[ord(_USCC_ALPHABET[i])] = i
    for i in range(10):
        _ORG_VALUE[48 + i] = i
    for i in range(26):
        _ORG_VALUE[65 + i] = 10 + i
    for i in range(17):
        _USCC_WEIGHTS[i] = weight
        weight = weight * 3 % 31
    for i, weight in enumerate((3, 7, 9, 10, 5, 8, 4, 2)):
        _ORG_WEIGHTS[i] = weight


_init_tables()


cdef inline int _uscc_value(Py_UCS4 c):
    return _USCC_VALUE[c] if c < 128 else -1


cdef inline int _org_value(Py_UCS4 c):
    return _ORG_VALUE[c] if c < 128 else -1


cdef str _require_str(object value, Py_ssize_t length, str what):
    if not isinstance(value, str):
        raise FieldError("not_string", f"{what} must be a string")
    if len(<str>value) != length:
        raise FieldError("length", f"{what} must have {length} characters, not {len(<str>value)}")
    return <str>value


cdef Py_UCS4 _uscc_check(str body17) except 0:
    """The check character of 17 USCC characters; raise on a character outside the alphabet."""
    cdef int i, v
    cdef long total = 0
    for i in range(17):
        v = _uscc_value(body17[i])
        if v < 0:
            raise FieldError("charset", f"USCC position {i + 1} ({body17[i]!r}) is not in the GB 32100 alphabet")
        total += v * _USCC_WEIGHTS[i]
    return _USCC_ALPHABET[(31 - total % 31) % 31]


cdef Py_UCS4 _org_check(str code, Py_ssize_t start) except 0:
    """The check character of the 8 organisation-code characters at code[start:start + 8]."""
    cdef int i, v, r
    cdef long total = 0
    for i in range(8):
        v = _org_value(code[start + i])
        if v < 0:
            raise FieldError("charset", f"organisation code position {i + 1} ({code[start + i]!r}) is not 0-9 or A-Z")
        total += v * _ORG_WEIGHTS[i]
    r = 11 - total % 11
    if r == 10:
        return "X"
    if r == 11:
        return "0"
    return 48 + r


def uscc_check_char(body: object) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    return _uscc_check(_require_str(body, 17, "USCC body"))


def org_code_check_char(body: object) -> str:
    """The GB 11714 check character for the 8 body characters of an organisation code."""
    return _org_check(_require_str(body, 8, "organisation code body"), 0)


def check_uscc(value: object) -> None:
    """Raise FieldError unless ``value`` is a well-formed USCC with both check characters right."""
    cdef str code = _require_str(value, 18, "USCC")
    cdef Py_ssize_t i
    cdef Py_UCS4 expected
    if _uscc_value(code[17]) < 0:
        raise FieldError("charset", f"USCC position 18 ({code[17]!r}) is not in the GB 32100 alphabet")
    expected = _uscc_check(code)
    for i in range(2, 8):
        if not (48 <= code[i] <= 57):
            raise FieldError("region", "USCC positions 3-8 (administrative division) must be digits")
    if code[17] != expected:
        raise FieldError("check_char", f"USCC check character is {code[17]!r}, expected {expected!r}")
    expected = _org_check(code, 8)
    if code[16] != expected:
        raise FieldError(
            "org_check_char",
            f"USCC positions 9-17 are not a valid organisation code: check character is "
            f"{code[16]!r}, expected {expected!r}",
        )


def check_org_code(value: object) -> None:
    """Raise FieldError unless ``value`` is a 9-character GB 11714 organisation code."""
    cdef str code = _require_str(value, 9, "organisation code")
    cdef Py_UCS4 expected = _org_check(code, 0)
    if code[8] != expected:
        raise FieldError(
            "org_check_char", f"organisation code check character is {code[8]!r}, expected {expected!r}"
        )
