"""Field-level validation primitives shared by every document schema.

Error contract
--------------
Every check either returns (a value, or None) or raises ``FieldError``. Nothing
else escapes on any input, whatever its type. A FieldError carries a stable
``reason`` (one of ``REASONS``: tests and metrics key on it) and a ``detail`` for
humans, but no JSON path: the caller that knows the path maps it, e.g.
``except FieldError as e: raise FieldInvalid(str(e), path="$.body.items[3].hs_code")``.
core_ext never imports ``routing``.

Contents (compiled parts in the ``_*.pyx`` modules, whose docstrings give the
exact rules and the reasons for each choice)
- check characters: ``check_uscc``, ``uscc_check_char`` (GB 32100),
  ``check_org_code``, ``org_code_check_char`` (GB 11714)
- identifiers: ``check_customs_code`` (10-character registration code, shape
  only), ``check_entry_number`` / ``parse_entry_number`` (18 digits),
  ``check_district_code`` and ``check_hs_code`` (shape plus table)
- codes: ``check_code(table, value)`` for any table in ``TABLE_SPECS``
- fixed point: ``parse_fixed``, ``format_fixed``, ``FixedSpec``, ``scale_product``,
  ``check_line_total`` (exact integers, ROUND_HALF_UP)
- time: ``parse_rfc3339`` (UTC epoch microseconds), ``format_rfc3339``,
  ``parse_date`` (YYYY-MM-DD), ``parse_compact_date`` (YYYYMMDD),
  ``parse_customs_datetime`` (YYYYMMDDhhmmss at +08:00)

The table-aware checks take an optional ``CodeTables``; by default they use
``default_tables()``, which honours ``EPORT_CODES_DIR``.
"""

from __future__ import annotations

from collections.abc import KeysView as _KeysView

from core_ext._checkchars import check_org_code, check_uscc, org_code_check_char, uscc_check_char
from core_ext._fixed import format_fixed, parse_fixed
from core_ext._shapes import (
    EntryNumber,
    check_customs_code,
    check_district_shape,
    check_entry_number,
    check_hs_shape,
    parse_entry_number,
)
from core_ext._timestamps import (
    format_rfc3339,
    parse_compact_date,
    parse_customs_datetime,
    parse_date,
    parse_rfc3339,
)
from core_ext.amounts import FixedSpec, check_line_total, round_half_up_div, scale_product
from core_ext.code_tables import (
    TABLE_SPECS,
    CodeTable,
    CodeTableError,
    CodeTables,
    TableName,
    default_tables,
)
from core_ext.field_error import REASONS, FieldError

# The default tables' code sets, by table: a check is a dict lookup and a set test
# (tables never change once loaded, and default_tables() is one per process).
_DEFAULT_CODES: dict[str, _KeysView[str]] = {}

__all__ = [
    "REASONS",
    "TABLE_SPECS",
    "CodeTable",
    "CodeTableError",
    "CodeTables",
    "EntryNumber",
    "FieldError",
    "FixedSpec",
    "TableName",
    "check_code",
    "check_customs_code",
    "check_district_code",
    "check_district_shape",
    "check_entry_number",
    "check_hs_code",
    "check_hs_shape",
    "check_line_total",
    "check_org_code",
    "check_uscc",
    "default_tables",
    "format_fixed",
    "format_rfc3339",
    "hs_legal_units",
    "org_code_check_char",
    "parse_compact_date",
    "parse_customs_datetime",
    "parse_date",
    "parse_entry_number",
    "parse_fixed",
    "parse_rfc3339",
    "round_half_up_div",
    "scale_product",
    "uscc_check_char",
]


def check_code(table: TableName, value: object, tables: CodeTables | None = None) -> None:
    """Raise FieldError unless ``value`` is a code of ``table`` (exact, case-sensitive)."""
    if not isinstance(value, str):
        raise FieldError("not_string", f"a {table} code must be a string")
    if tables is None:
        codes = _DEFAULT_CODES.get(table)
        if codes is None:
            codes = _DEFAULT_CODES[table] = default_tables()[table].codes
    else:
        codes = tables[table].codes
    if value not in codes:
        raise FieldError("unknown_code", f"{value[:20]!r} is not in {table}")


def check_district_code(value: object, tables: CodeTables | None = None) -> None:
    """Raise FieldError unless ``value`` is a 4-digit customs district code in the table."""
    check_code("customs_districts", check_district_shape(value), tables)


def check_hs_code(value: object, tables: CodeTables | None = None) -> None:
    """Raise FieldError unless ``value`` is 10 digits whose first 8 are an HS table line.

    The last two digits are the supplementary code (附加编码); no table of them is
    shipped, so any two digits pass.
    """
    line = check_hs_shape(value)[:8]
    if line not in (tables or default_tables())["hs_codes"].codes:
        raise _unknown_hs(line)


def hs_legal_units(value: object, tables: CodeTables | None = None) -> tuple[str, str | None]:
    """The legal (first, second) unit codes of a 10-digit HS code; second is None if absent."""
    line = check_hs_shape(value)[:8]
    row = (tables or default_tables())["hs_codes"].row(line)
    if row is None:
        raise _unknown_hs(line)
    return row["first_unit"], row["second_unit"] or None


def _unknown_hs(line: str) -> FieldError:
    return FieldError("unknown_code", f"HS code {line} is not in hs_codes")
