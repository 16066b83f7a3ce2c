"""FieldError: the one exception the field checks raise on a bad value.

A field check knows the value, not where it came from, so a FieldError carries a
stable ``reason`` token (one of REASONS) and a human ``detail``, but no JSON
path. The caller that knows the path translates it at the border into the error
tree of ``routing.errors``::

    try:
        check_uscc(body.consignee_uscc)
    except FieldError as exc:
        raise FieldInvalid(str(exc), path="$.body.consignee_uscc") from exc

Tests rely on ``reason``; clients see ``str(exc)``, which is ``"<detail> (<reason>)"``.
"""

from __future__ import annotations

REASONS: frozenset[str] = frozenset(
    {
        # any field
        "not_string",  # a str was required (JSON string)
        "length",  # wrong number of characters
        "charset",  # a character outside the field's alphabet
        "unknown_code",  # well-formed, but not in the code table
        # check characters (GB 32100 USCC, GB 11714 organisation code)
        "check_char",  # USCC position 18 does not match
        "org_check_char",  # organisation code check character does not match
        "region",  # administrative-division part malformed
        # entry numbers
        "year",  # year part out of range
        "direction",  # import/export flag is neither 1 nor 0
        # fixed-point decimals
        "not_number",  # a JSON float, bool, null, ... where an exact number was required
        "empty",
        "syntax",  # not of the form -?(0|[1-9][0-9]*)(\.[0-9]+)?
        "plus_sign",
        "exponent",
        "leading_zero",
        "negative",
        "too_many_digits",  # integer part longer than precision - scale
        "too_many_decimals",  # more fraction digits than scale
        "not_finite",  # NaN or Infinity
        "total_mismatch",  # quantity x unit price does not give the declared total
        # dates and times
        "date",  # no such calendar date
        "time",  # hour, minute or second out of range
        "leap_second",  # second 60: refused, see core_ext._timestamps
        "offset",  # UTC offset malformed or out of range
        "fraction",  # more than 9 fraction digits
    }
)


class FieldError(ValueError):
    """A field value failed a check; ``reason`` is stable, ``detail`` is for humans."""

    __slots__ = ("detail", "reason")

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.detail} ({self.reason})"

    def __repr__(self) -> str:
        return f"FieldError({self.reason!r}, {self.detail!r})"
