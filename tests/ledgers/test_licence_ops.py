"""Licence documents, declaration write-offs, restores and VIN certificates (unit level)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from routing.ops import Create, Credit, Debit, Open, Restore, Transition
from routing.subsystems.dec.example import example_declaration, example_vehicle_declaration
from routing.subsystems.dec.states import DECLARATION_TRANSITIONS
from routing.subsystems.licence.states import LICENCE_TRANSITIONS
from routing.subsystems.licence.vehicles import vin_digest
from tests.dec.judging import CUSTOMS, TRADER, ops_of, rejection, requires, verdict

MOFCOM = "1100M00001"
LICENCE = f"{MOFCOM}/LIC-1"
CERTIFICATE = "1100P00001/COO-1"
VINS = ["LSVAU2180N2183294", "LSVAU2180N2183295"]


def issue_body(**changes: Any) -> dict[str, Any]:
    return {"kind": "import_licence", "holder": TRADER, "number": "26-AA-1",
            "valid_from": "2026-01-01", "valid_to": "2026-12-31",
            "lines": [{"hs_code": "8517130000", "quantity": "100", "unit": "001"},
                      {"hs_code": "8517130000", "quantity": "0.5", "unit": "035"}], **changes}


def by(department: str, doc_type: str, body: dict[str, Any], sender: str = MOFCOM) -> Any:
    return verdict(doc_type, body, sender=sender, kind="department", department=department,
                   doc_id="LIC-1")


def test_issue_creates_the_licence_and_opens_one_ledger_line_per_line() -> None:
    result = by("mofcom", "licence.issue", issue_body())
    (created,) = ops_of(result, Create)
    assert (created.key, created.state, created.owner) == (LICENCE, "valid", TRADER)
    assert created.data["lines"][1] == {"line": 2, "hs_code": "8517130000", "unit": "035",
                                        "issued": "0.5"}
    assert [(o.ledger, o.key, o.amount, o.owner) for o in ops_of(result, Open)] == [
        ("licence", f"{LICENCE}#1", Decimal("100"), TRADER),
        ("licence", f"{LICENCE}#2", Decimal("0.5"), TRADER)]
    assert requires(result, "enterprise")[0].key == TRADER


@pytest.mark.parametrize(("kind", "department"), [("import_licence", "mee"),
                                                  ("environmental_permit", "mofcom"),
                                                  ("ata_carnet", "mee")])
def test_only_the_kinds_issuer_issues_it(kind: str, department: str) -> None:
    assert by(department, "licence.issue", issue_body(kind=kind)).path == "$.body.kind"


@pytest.mark.parametrize(("changes", "expected"), [
    ({"valid_to": "2025-12-31"}, ("RULE_VIOLATION", "$.body.valid_to")),
    ({"valid_from": "2026-02-30"}, ("FIELD_INVALID", "$.body.valid_from")),
    ({"kind": "origin_certificate"}, ("FIELD_INVALID", "$.body.origin_country")),
    ({"origin_country": "USA"}, ("FIELD_INVALID", "$.body.origin_country")),
    ({"lines": [{"hs_code": "0000000000", "quantity": "1", "unit": "001"}]},
     ("FIELD_INVALID", "$.body.lines[0].hs_code")),
    ({"lines": [{"hs_code": "8517130000", "quantity": "0", "unit": "001"}]},
     ("FIELD_INVALID", "$.body.lines[0].quantity")),
    ({"lines": [{"hs_code": "8517130000", "quantity": "1", "unit": "XYZ"}]},
     ("FIELD_INVALID", "$.body.lines[0].unit")),
])
def test_issue_field_rules(changes: dict[str, Any], expected: tuple[str, str]) -> None:
    assert rejection("licence.issue", issue_body(**changes), sender=MOFCOM, kind="department",
                     department="mofcom") == expected


def test_amend_moves_balances_and_validity_of_the_senders_licence_only() -> None:
    body = {"licence": LICENCE, "holder": TRADER, "valid_to": "2027-06-30", "changes": [
        {"line": 1, "change": "increase", "quantity": "20"},
        {"line": 2, "change": "decrease", "quantity": "0.25"}]}
    result = by("mofcom", "licence.amend", body)
    issued, validity = requires(result, "licence")
    assert issued.vars == {"me": MOFCOM, "holder": TRADER}
    assert validity.vars == {"to": "2027-06-30"}
    (credit,), (debit,) = ops_of(result, Credit), ops_of(result, Debit)
    assert (credit.key, credit.amount) == (f"{LICENCE}#1", Decimal("20"))
    assert (debit.key, debit.amount) == (f"{LICENCE}#2", Decimal("0.25"))
    (move,) = ops_of(result, Transition)
    assert move.patch["valid_to"] == "2027-06-30"
    assert rejection("licence.amend", {"licence": LICENCE, "holder": TRADER}, sender=MOFCOM,
                     kind="department", department="mofcom") == ("RULE_VIOLATION", "$.body")


@pytest.mark.parametrize("doc_type", sorted(LICENCE_TRANSITIONS))
def test_licence_documents_follow_the_table(doc_type: str) -> None:
    rule = LICENCE_TRANSITIONS[doc_type]
    body: dict[str, Any] = {"licence": LICENCE, "holder": TRADER}
    body |= {"reason": "撤销"} if doc_type == "licence.revoke" else {"valid_to": "2027-01-01"}
    (move,) = ops_of(by("mofcom", doc_type, body), Transition)
    assert (move.key, move.from_states, move.to_state) == (LICENCE, rule.from_states,
                                                          rule.to_state)


def with_write_offs(*write_offs: dict[str, Any], item: int = 0, **head: Any) -> dict[str, Any]:
    body = example_declaration(3, **head)
    body["items"][item]["licences"] = list(write_offs)
    return body


def write_off(line: int = 1, quantity: str = "50", unit: str = "001",
              licence: str = LICENCE) -> dict[str, Any]:
    return {"licence": licence, "line": line, "quantity": quantity, "unit": unit}


def test_write_offs_require_a_covering_licence_and_debit_each_line_once() -> None:
    body = with_write_offs(write_off(2), write_off(1, "20"))
    body["items"][2]["licences"] = [write_off(2, "30")]
    result = verdict("dec.declaration", body, doc_id="DEC-9")
    (covers,) = requires(result, "licence")
    assert covers.key == LICENCE and covers.states == ("valid",)
    assert covers.contains == {"holder": TRADER, "lines": [
        {"line": 2, "hs_code": "8517130000", "unit": "001"},
        {"line": 1, "hs_code": "8517130000", "unit": "001"},
        {"line": 2, "hs_code": "8517130000", "unit": "001"}]}
    assert covers.vars == {"day": "2026-11-28"} and "$.valid_to >= $day" in (covers.where or "")
    assert '"import_licence"' in (covers.where or "")
    assert '"export_licence"' not in (covers.where or "")
    # Summed per line, in key order.
    assert [(d.key, d.amount) for d in ops_of(result, Debit)] == [
        (f"{LICENCE}#1", Decimal("20")), (f"{LICENCE}#2", Decimal("80"))]


def test_exports_write_off_export_licences_not_import_licences() -> None:
    result = verdict("dec.declaration", with_write_offs(write_off(), import_export="E"))
    where = requires(result, "licence")[0].where or ""
    assert '"export_licence"' in where and '"import_licence"' not in where


@pytest.mark.parametrize(("entry", "path"), [
    (write_off(unit="035"), "$.body.items[0].licences[0].unit"),
    (write_off(quantity="100.00001"), "$.body.items[0].licences[0].quantity"),
])
def test_a_write_off_stays_within_its_item(entry: dict[str, Any], path: str) -> None:
    assert rejection("dec.declaration", with_write_offs(entry)) == ("RULE_VIOLATION", path)


def test_a_write_off_quantity_is_positive_and_a_line_is_named_once_per_item() -> None:
    assert rejection("dec.declaration", with_write_offs(write_off(quantity="0"))) == (
        "FIELD_INVALID", "$.body.items[0].licences[0].quantity")
    assert rejection("dec.declaration", with_write_offs(write_off(), write_off())) == (
        "RULE_VIOLATION", "$.body.items[0].licences[1].line")


def test_the_legal_unit_may_be_written_off_in_the_legal_quantity() -> None:
    body = with_write_offs(write_off(quantity="200", unit="001"), item=1)
    body["items"][1]["unit"] = "011"
    assert verdict("dec.declaration", body).status == "accepted"


def test_origin_certificates_are_checked_item_by_item() -> None:
    body = example_declaration(2)
    body["items"][1]["origin_certificates"] = [CERTIFICATE]
    (check,) = requires(verdict("dec.declaration", body), "licence")
    assert (check.key, check.path) == (CERTIFICATE, "$.body.items[1].origin_certificates[0]")
    assert check.contains == {"holder": TRADER, "kind": "origin_certificate",
                              "origin_country": "USA", "lines": [{"hs_code": "8517130000"}]}
    assert check.vars == {"day": "2026-11-28"} and "$.valid_to >= $day" in (check.where or "")


def action(doc_type: str, **extra: Any) -> dict[str, Any]:
    body = {"declaration": f"{TRADER}/DEC-9", "consignor": TRADER, "customs_office": CUSTOMS,
            **extra}
    if doc_type == "dec.accept":
        body |= {"declare_district": "2200", "import_export": "I"}
    if doc_type == "dec.tax_due":
        body["bills"] = [{"tax_type": "duty", "amount": "1"}]
    return body


@pytest.mark.parametrize("doc_type", sorted(DECLARATION_TRANSITIONS))
def test_ending_without_release_restores_the_write_offs(doc_type: str) -> None:
    customs = DECLARATION_TRANSITIONS[doc_type].actor == "customs"
    result = verdict(doc_type, action(doc_type), sender=CUSTOMS if customs else TRADER,
                     kind="department" if customs else "operator")
    restores = ops_of(result, Restore)
    expected = doc_type in ("dec.reject", "dec.delete", "dec.withdraw")
    assert restores == ([Restore("licence", f"{TRADER}/DEC-9", "$.body.declaration")]
                        if expected else [])


def test_a_vehicle_declaration_records_the_digest_of_its_vins() -> None:
    result = verdict("dec.declaration", example_vehicle_declaration(VINS))
    assert result.status == "accepted", result
    (created,) = ops_of(result, Create)
    assert created.data["vin_digest"] == vin_digest(reversed(VINS))
    plain = ops_of(verdict("dec.declaration", example_declaration()), Create)[0]
    assert "vin_digest" not in plain.data


def test_release_restates_the_vins_and_certifies_each() -> None:
    result = verdict("dec.release", action("dec.release", vins=VINS), sender=CUSTOMS,
                     kind="department")
    digest = [r for r in requires(result, "declaration") if r.path == "$.body.vins"]
    assert digest[0].vars == {"vd": vin_digest(VINS)}
    certificates = ops_of(result, Create)
    assert [(c.kind, c.key, c.state, c.owner) for c in certificates] == [
        ("automobile_certificate", vin, "issued", TRADER) for vin in VINS]
    assert certificates[0].data["declaration"] == f"{TRADER}/DEC-9"
    bare = verdict("dec.release", action("dec.release"), sender=CUSTOMS, kind="department")
    (none,) = [r for r in requires(bare, "declaration") if r.path == "$.body.vins"]
    assert none.where == "!(exists($.vin_digest))" and not ops_of(bare, Create)
