"""The public surface of core_ext.fields: exports, compiled modules, and no stray exceptions."""

import decimal
from collections.abc import Callable
from decimal import Decimal
from importlib import import_module

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_ext import fields
from core_ext.fields import REASONS, FieldError

COMPILED = ["_checkchars", "_shapes", "_fixed", "_timestamps"]

CHECKS: list[Callable[[object], object]] = [
    fields.check_uscc,
    fields.check_org_code,
    fields.uscc_check_char,
    fields.org_code_check_char,
    fields.check_customs_code,
    fields.check_entry_number,
    fields.parse_entry_number,
    fields.check_district_code,
    fields.check_hs_code,
    fields.hs_legal_units,
    fields.parse_rfc3339,
    fields.parse_date,
    fields.parse_compact_date,
    fields.parse_customs_datetime,
    fields.FixedSpec(19, 5).parse,
    fields.FixedSpec(8, 0, signed=True).parse,
    lambda value: fields.check_code("declaration_channels", value),
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.text("0123456789.-+eE:TZ ", max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=5,
)
odd_values = st.binary() | st.decimals() | st.builds(msgspec.Raw, st.binary())


@pytest.mark.parametrize("name", COMPILED)
def test_compiled_modules_are_loaded(name: str) -> None:
    module = import_module(f"core_ext.{name}")
    assert module.__file__ is not None and not module.__file__.endswith(".py")


def test_all_is_exact() -> None:
    public = {n for n in vars(fields) if not n.startswith("_") and n != "annotations"}
    assert set(fields.__all__) == public


def test_error_shape() -> None:
    error = FieldError("length", "too short")
    assert str(error) == "too short (length)"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("check", CHECKS)
@given(value=json_values | odd_values)
def test_any_input_gives_a_result_or_a_documented_field_error(
    check: Callable[[object], object], value: object
) -> None:
    try:
        check(value)
    except FieldError as exc:
        assert exc.reason in REASONS


def test_decimal_inputs_do_not_depend_on_the_decimal_context() -> None:
    with decimal.localcontext() as context:
        context.prec = 3
        assert fields.parse_fixed(Decimal("12345.6789"), 19, 5) == 1234567890
