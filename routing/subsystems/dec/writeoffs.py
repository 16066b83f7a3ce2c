"""Licence write-offs and certificates of origin of a declaration's goods items.

Field rule (no I/O): a write-off is in the item's unit or first legal unit, for a
positive quantity no larger than the item's quantity in that unit, and names a
licence line once per item.

Commit ops (the networked cross-check, 联网核查):
- per licence drawn on, one Require: ``valid``, held by the consignor, in date on
  the receive day (China), of a kind this direction writes off (licence/kinds.py),
  and having every line used with the item's HS code and the write-off's unit;
- per licence line, one Debit of the quantities of all items drawing on it (never
  below zero: LEDGER_INSUFFICIENT), in key order so that two declarations
  drawing on the same lines lock them in one order;
- per certificate of origin an item names, a Require: a valid certificate of the
  consignor, in date, for the item's origin country and HS code.
The declaration's rejection, deletion or withdrawal gives the debits back
(routing.ops.Restore, in actions.py).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from routing.errors import FieldInvalid, RuleViolation
from routing.ops import Debit, Op, Require
from routing.subsystems.dec.rules import QUANTITY, fixed
from routing.subsystems.dec.schema import Declaration, Goods, WriteOff
from routing.subsystems.licence.kinds import (
    LICENCE_LEDGER,
    ORIGIN_CERTIFICATE,
    line_key,
    written_off_by,
)

IN_DATE = "$.valid_from <= $day && $.valid_to >= $day"


def write_offs_are_sound(body: Declaration) -> None:
    for index, item in enumerate(body.items):
        seen: set[tuple[str, int]] = set()
        for number, write_off in enumerate(item.licences):
            within_item(item, write_off, index, number)
            if (write_off.licence, write_off.line) in seen:
                raise RuleViolation("a licence line is written off twice by one item",
                                    path=f"{write_off_path(index, number)}.line")
            seen.add((write_off.licence, write_off.line))


def write_off_path(index: int, number: int) -> str:
    return f"$.body.items[{index}].licences[{number}]"


def within_item(item: Goods, write_off: WriteOff, index: int, number: int) -> None:
    amounts = {item.legal_unit: item.legal_quantity, item.unit: item.quantity}
    if write_off.unit not in amounts:
        raise RuleViolation("a write-off is in the item's unit or its first legal unit",
                            path=f"{write_off_path(index, number)}.unit")
    scaled = fixed(QUANTITY, write_off.quantity, f"{write_off_path(index, number)}.quantity")
    if scaled <= 0:
        raise FieldInvalid("a write-off quantity is positive",
                           path=f"{write_off_path(index, number)}.quantity")
    if scaled > QUANTITY.parse(amounts[write_off.unit]):
        raise RuleViolation(f"writes off more than the item's {amounts[write_off.unit]}",
                            path=f"{write_off_path(index, number)}.quantity")


def write_off_ops(body: Declaration, day: str) -> list[Op]:
    """The Requires and Debits of every write-off, then the origin certificate checks."""
    lines: dict[str, list[dict[str, object]]] = {}
    first_use: dict[str, tuple[int, int]] = {}
    totals: dict[str, int] = {}
    first_debit: dict[str, tuple[int, int]] = {}
    for index, item in enumerate(body.items):
        for number, write_off in enumerate(item.licences):
            licence = write_off.licence
            if licence not in lines:
                lines[licence], first_use[licence] = [], (index, number)
            lines[licence].append(
                {"line": write_off.line, "hs_code": item.hs_code, "unit": write_off.unit})
            key = line_key(licence, write_off.line)
            totals[key] = totals.get(key, 0) + QUANTITY.parse(write_off.quantity)
            first_debit.setdefault(key, (index, number))
    ops: list[Op] = [
        licence_covers(body, licence, used, f"{write_off_path(*first_use[licence])}.licence", day)
        for licence, used in lines.items()]
    ops += [Debit(LICENCE_LEDGER, key, Decimal(totals[key]).scaleb(-QUANTITY.scale),
                  path=f"{write_off_path(*first_debit[key])}.quantity") for key in sorted(totals)]
    ops += origin_checks(body, day)
    return ops


def licence_covers(body: Declaration, licence: str, lines: list[dict[str, object]], path: str,
                   day: str) -> Require:
    """The licence is valid, the consignor's, in date, of a kind this direction writes
    off, and has every line used ({"line", "hs_code", "unit"})."""
    return Require("licence", ("valid",), key=licence,
                   contains={"holder": body.consignor, "lines": lines},
                   where=in_date_of_kind(body.import_export), vars={"day": day}, path=path,
                   message=f"{licence} is not a valid licence of the consignor for these "
                           "goods, lines and units on this day")


@cache
def in_date_of_kind(import_export: str) -> str:
    kinds = " || ".join(f'$.kind == "{kind}"' for kind in written_off_by(import_export))
    return f"{IN_DATE} && ({kinds})"


def origin_checks(body: Declaration, day: str) -> list[Op]:
    return [Require(
        "licence", ("valid",), key=certificate,
        contains={"holder": body.consignor, "kind": ORIGIN_CERTIFICATE,
                  "origin_country": item.origin_country, "lines": [{"hs_code": item.hs_code}]},
        where=IN_DATE, vars={"day": day},
        path=f"$.body.items[{index}].origin_certificates[{number}]",
        message=f"{certificate} is not a valid certificate of origin of the consignor "
                f"for {item.origin_country} and HS {item.hs_code}")
        for index, item in enumerate(body.items)
        for number, certificate in enumerate(item.origin_certificates)]
