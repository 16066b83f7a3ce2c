"""Fixed-point parsing, formatting and the line-total check, against decimal as oracle."""

import decimal
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_ext.fields import (
    FieldError,
    FixedSpec,
    check_line_total,
    format_fixed,
    parse_fixed,
    scale_product,
)

N19_5 = FixedSpec(19, 5)
EXACT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("0", 0),
        ("1", 100000),
        ("12.5", 1250000),
        ("0.00001", 1),
        ("99999999999999.99999", 9999999999999999999),
        ("0.10000", 10000),
    ],
)
def test_parses_plain_decimals(text: str, units: int) -> None:
    assert N19_5.parse(text) == units


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("+1", "plus_sign"),
        ("1e5", "exponent"),
        ("1.5E-3", "exponent"),
        ("-1", "negative"),
        ("-0", "negative"),
        ("007", "leading_zero"),
        ("00.5", "leading_zero"),
        ("123456789012345", "too_many_digits"),
        ("1.123456", "too_many_decimals"),
        ("1.500000", "too_many_decimals"),
        (".5", "syntax"),
        ("5.", "syntax"),
        (" 5", "syntax"),
        ("5 ", "syntax"),
        ("1_000", "syntax"),
        ("1,5", "syntax"),
        ("NaN", "syntax"),
        ("Infinity", "syntax"),
        ("e5", "syntax"),
        ("-", "syntax"),
        ("１", "syntax"),
        ("1.2.3", "syntax"),
        (1.5, "not_number"),
        (True, "not_number"),
        (None, "not_number"),
        ([1], "not_number"),
        (10**14, "too_many_digits"),
        (-1, "negative"),
        (Decimal("NaN"), "not_finite"),
        (Decimal("-Infinity"), "not_finite"),
        (Decimal("1E+2"), "exponent"),
        (Decimal("1.000001"), "too_many_decimals"),
        (Decimal("-0.0"), "negative"),
        (Decimal("1E+14"), "exponent"),
        (Decimal("100000000000000"), "too_many_digits"),
        (b"1e5", "exponent"),
        (b'"1\\u0030"', "syntax"),
        (b"\xff", "syntax"),
    ],
)
def test_rejections(value: object, reason: str) -> None:
    with pytest.raises(FieldError) as info:
        N19_5.parse(value)
    assert info.value.reason == reason


def test_signed_specs_accept_negatives() -> None:
    signed = FixedSpec(19, 5, signed=True)
    assert signed.parse("-12.5") == -1250000
    assert signed.parse("-0") == 0
    assert signed.parse(-3) == -300000
    assert signed.parse(Decimal("-0.5")) == -50000


def test_scale_zero_and_all_fraction_specs() -> None:
    assert FixedSpec(4, 0).parse("9999") == 9999
    with pytest.raises(FieldError, match="too_many_decimals"):
        FixedSpec(4, 0).parse("1.0")
    assert FixedSpec(3, 3).parse("0.125") == 125
    with pytest.raises(FieldError, match="too_many_digits"):
        FixedSpec(3, 3).parse("1.125")


@pytest.mark.parametrize(("precision", "scale"), [(0, 0), (20, 5), (5, 6), (5, -1)])
def test_unsupported_specs_are_programming_errors(precision: int, scale: int) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        FixedSpec(precision, scale)
    with pytest.raises(ValueError, match="unsupported"):
        parse_fixed("1", precision, scale)


def test_json_numbers_through_msgspec_raw_and_decimal() -> None:
    class Line(msgspec.Struct):
        raw: msgspec.Raw
        dec: Decimal

    line = msgspec.json.decode(b'{"raw": 1234.5, "dec": 1234.5}', type=Line)
    assert N19_5.parse(line.raw) == N19_5.parse(line.dec) == 123450000
    quoted = msgspec.json.decode(b'{"raw": "1234.5", "dec": "1234.5"}', type=Line)
    assert N19_5.parse(quoted.raw) == 123450000
    exponent = msgspec.json.decode(b'{"raw": 1.2345e3, "dec": 1}', type=Line)
    with pytest.raises(FieldError, match="exponent"):
        N19_5.parse(exponent.raw)


@given(st.integers(-(10**19) + 1, 10**19 - 1), st.integers(0, 19))
def test_format_then_parse_round_trips(units: int, scale: int) -> None:
    text = format_fixed(units, scale)
    assert parse_fixed(text, 19, scale, signed=True) == units
    assert Decimal(text) == Decimal(units).scaleb(-scale)


@given(st.from_regex(r"-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,7})?", fullmatch=True))
def test_parse_agrees_with_decimal(text: str) -> None:
    expected = Decimal(text).scaleb(5, EXACT)
    try:
        units = parse_fixed(text, 19, 5, signed=True)
    except FieldError as exc:
        assert exc.reason in {"too_many_digits", "too_many_decimals"}
        return
    assert units == expected
    assert parse_fixed(text.encode(), 19, 5, signed=True) == units
    assert parse_fixed(Decimal(text), 19, 5, signed=True) == units


def oracle_product(a: int, a_scale: int, b: int, b_scale: int, scale: int) -> int:
    # every step in an 80-digit context: the default 28 digits would round silently
    factors = (Decimal(a).scaleb(-a_scale, EXACT), Decimal(b).scaleb(-b_scale, EXACT))
    product = EXACT.multiply(*factors)
    rounded = product.quantize(Decimal(1).scaleb(-scale), context=EXACT)
    return int(rounded.scaleb(scale, EXACT))


@given(
    st.integers(-(10**19), 10**19),
    st.integers(0, 6),
    st.integers(0, 10**19),
    st.integers(0, 6),
    st.integers(0, 6),
)
def test_product_rounds_half_up_like_decimal(
    a: int, a_scale: int, b: int, b_scale: int, scale: int
) -> None:
    assert scale_product(a, a_scale, b, b_scale, scale) == oracle_product(
        a, a_scale, b, b_scale, scale
    )


def test_line_total_rounding_rule() -> None:
    # 3 x 0.125 = 0.375 -> 0.38 at two decimals (half up), not 0.37 (half even)
    check_line_total(3, 0, 125, 3, 38, 2)
    with pytest.raises(FieldError) as info:
        check_line_total(3, 0, 125, 3, 37, 2)
    assert info.value.reason == "total_mismatch"
    assert "0.38" in info.value.detail
    # exact products are compared exactly: 2.5 x 4 = 10.00
    check_line_total(25, 1, 4, 0, 1000, 2)
