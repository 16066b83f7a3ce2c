"""Fixed-point specs and the quantity x unit price = total check, in exact integers.

Values are scaled integers as ``parse_fixed`` returns them (``12.5`` at scale 5 is
``1250000``). The product of a quantity and a unit price is exact at scale
``quantity_scale + price_scale``; it is brought to the declared total's scale with
ROUND_HALF_UP (ties away from zero, as ``decimal.ROUND_HALF_UP`` and the customs
practice of 四舍五入) and must then equal the declared total exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from core_ext._fixed import format_fixed, parse_fixed
from core_ext.field_error import FieldError


@dataclass(frozen=True, slots=True)
class FixedSpec:
    """N(precision, scale): at most ``precision`` digits, ``scale`` of them after the point."""

    precision: int
    scale: int
    signed: bool = False

    def __post_init__(self) -> None:
        if not (1 <= self.precision <= 19 and 0 <= self.scale <= self.precision):
            raise ValueError(f"unsupported fixed-point spec N{self.precision},{self.scale}")

    def parse(self, value: object) -> int:
        """``value`` * 10**scale, exactly; FieldError if it does not fit this spec."""
        return parse_fixed(value, self.precision, self.scale, self.signed)

    def format(self, units: int) -> str:
        return format_fixed(units, self.scale)

    def __str__(self) -> str:
        return f"N{self.precision},{self.scale}"


def round_half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero; denominator > 0."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def scale_product(a: int, a_scale: int, b: int, b_scale: int, scale: int) -> int:
    """(a / 10**a_scale) * (b / 10**b_scale) as a scaled integer at ``scale``, ROUND_HALF_UP."""
    shift = a_scale + b_scale - scale
    factor: int = 10 ** abs(shift)
    if shift <= 0:
        return a * b * factor
    return round_half_up_div(a * b, factor)


def check_line_total(
    quantity: int,
    quantity_scale: int,
    unit_price: int,
    price_scale: int,
    total: int,
    total_scale: int,
) -> None:
    """Raise FieldError("total_mismatch") unless quantity x unit price rounds to ``total``."""
    expected = scale_product(quantity, quantity_scale, unit_price, price_scale, total_scale)
    if expected != total:
        raise FieldError(
            "total_mismatch",
            f"quantity {format_fixed(quantity, quantity_scale)} x unit price "
            f"{format_fixed(unit_price, price_scale)} = {format_fixed(expected, total_scale)}, "
            f"declared total is {format_fixed(total, total_scale)}",
        )
