"""Fixed-point decimals N(p,s) as exact scaled integers (value * 10**scale).

N19,5 means at most 19 significant digits, at most 5 of them after the point, so
at most 14 before it (the DECIMAL(19,5) a database column would hold). The
number of fraction digits *written* counts: "1.500000" has 6 and is refused for
N19,5, because the declared precision is part of what was declared.

Accepted inputs, and why (no float is ever involved):
- ``str``, the recommended wire form (a JSON string): exactly
  ``-?(0|[1-9][0-9]*)(\\.[0-9]+)?``. No "+", no exponent, no leading zeros, no
  ".5" or "5.", no spaces. Each departure has its own reason.
- ``msgspec.Raw`` or ``bytes``: the raw JSON token of the field. A JSON number
  token is accepted under the same grammar (so exponent notation is refused); a
  JSON string token is unquoted first and must contain no escapes. This is how a
  schema accepts JSON numbers exactly.
- ``int`` (not ``bool``): a JSON integer msgspec decoded exactly.
- ``decimal.Decimal``: accepted for schemas that type a field as Decimal, but
  msgspec has already parsed it laxly ("+1.5", " 1.5", "1_0" all arrive as
  Decimals), so only the limits, the sign and finiteness are checked here.
  Prefer ``str`` or ``msgspec.Raw``.
A ``float`` (or bool, None, ...) is refused with reason ``not_number``.
"""

from decimal import Decimal

from libc.stdint cimport uint64_t

from core_ext.field_error import FieldError

from msgspec import Raw

cdef uint64_t _POW10[20]


cdef void _init_powers():
    cdef int i
    _POW10[0] = 1
    for i in range(1, 20):
        _POW10[i] = _POW10[i - 1] * 10


_init_powers()


cdef object _check_spec(int precision, int scale):
    if not (1 <= precision <= 19 and 0 <= scale <= precision):
        raise ValueError(f"unsupported fixed-point spec N{precision},{scale}")


cdef object _parse_text(str text, int precision, int scale, bint signed):
    cdef Py_ssize_t n = len(text), i = 0, int_start, int_digits, frac_digits = 0
    cdef bint negative = False
    cdef uint64_t units = 0
    cdef Py_UCS4 c
    if n == 0:
        raise FieldError("empty", "empty number")
    c = text[0]
    if c == "+":
        raise FieldError("plus_sign", "a leading '+' is not allowed")
    if c == "-":
        negative = True
        i = 1
    int_start = i
    # units may wrap around on absurdly long input (unsigned arithmetic is defined);
    # it is only used once the digit limits, all <= 19 digits in total, have passed.
    while i < n and 48 <= text[i] <= 57:
        units = units * 10 + (<int>text[i] - 48)
        i += 1
    int_digits = i - int_start
    if int_digits == 0:
        _raise_syntax(text, i)
    if int_digits > 1 and text[int_start] == "0":
        raise FieldError("leading_zero", f"leading zero in {text!r}")
    if i < n and text[i] == ".":
        i += 1
        while i < n and 48 <= text[i] <= 57:
            units = units * 10 + (<int>text[i] - 48)
            frac_digits += 1
            i += 1
        if frac_digits == 0:
            _raise_syntax(text, i)
    if i != n:
        _raise_syntax(text, i)
    if negative and not signed:
        raise FieldError("negative", "negative value not allowed")
    if int_digits > precision - scale and not (int_digits == 1 and text[int_start] == "0"):
        raise FieldError("too_many_digits", f"at most {precision - scale} digits before the point")
    if frac_digits > scale:
        raise FieldError("too_many_decimals", f"at most {scale} digits after the point")
    # int_digits + frac_digits <= precision <= 19, so units did not overflow
    result = units * _POW10[scale - frac_digits]
    return -result if negative else result


cdef void _raise_syntax(str text, Py_ssize_t at) except *:
    if at > 0 and at < len(text) and text[at] in "eE" and 48 <= text[at - 1] <= 57:
        raise FieldError("exponent", f"exponent notation is not allowed: {text[:40]!r}")
    raise FieldError("syntax", f"not a plain decimal number: {text[:40]!r}")


cdef object _parse_raw(object raw, int precision, int scale, bint signed):
    cdef str text
    try:
        text = str(raw, "ascii")
    except UnicodeDecodeError:
        raise FieldError("syntax", "number is not ASCII") from None
    if len(text) >= 2 and text[0] == '"' and text[len(text) - 1] == '"':
        text = text[1:len(text) - 1]
        if "\\" in text:
            raise FieldError("syntax", "escapes are not allowed in a number string")
    return _parse_text(text, precision, scale, signed)


cdef object _parse_int(object value, int precision, int scale, bint signed):
    if value < 0 and not signed:
        raise FieldError("negative", "negative value not allowed")
    if abs(value) >= 10 ** (precision - scale):
        raise FieldError("too_many_digits", f"at most {precision - scale} digits before the point")
    return value * 10**scale


cdef object _parse_decimal(object value, int precision, int scale, bint signed):
    if not value.is_finite():
        raise FieldError("not_finite", "NaN and Infinity are not numbers")
    sign, digits, exponent = value.as_tuple()
    if sign and not signed:
        raise FieldError("negative", "negative value not allowed")
    if exponent > 0:
        raise FieldError("exponent", "exponent notation is not allowed")
    if -exponent > scale:
        raise FieldError("too_many_decimals", f"at most {scale} digits after the point")
    if abs(value) >= 10 ** (precision - scale):
        raise FieldError("too_many_digits", f"at most {precision - scale} digits before the point")
    # from the digits, not Decimal arithmetic, which would round to the context precision
    units = int("".join(map(str, digits))) * 10 ** (scale + exponent)
    return -units if sign else units


def parse_fixed(value: object, int precision, int scale, bint signed=False) -> int:
    """Parse ``value`` as N(precision, scale) and return value * 10**scale exactly."""
    _check_spec(precision, scale)
    if isinstance(value, str):
        return _parse_text(<str>value, precision, scale, signed)
    if isinstance(value, (Raw, bytes, bytearray)):
        return _parse_raw(value, precision, scale, signed)
    if type(value) is int:
        return _parse_int(value, precision, scale, signed)
    if isinstance(value, Decimal):
        return _parse_decimal(value, precision, scale, signed)
    raise FieldError("not_number", f"expected a decimal string or exact number, not {type(value).__name__}")


def format_fixed(units: int, int scale) -> str:
    """The shortest plain text of units / 10**scale ("12.5", "-0.001", "7"); inverse of parse_fixed."""
    if scale < 0:
        raise ValueError("scale must be >= 0")
    digits = str(abs(units)).rjust(scale + 1, "0")
    whole, fraction = digits[:len(digits) - scale], digits[len(digits) - scale:].rstrip("0")
    sign = "-" if units < 0 else ""
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"
