"""Banks and licensing departments with real cards, on top of a declaration Trade."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.gateway import Gateway
from tests.e2e.trade import Party, Trade

VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
HS_PHONES = "8517130000"  # the example declaration's goods, unit 001


def department(gateway: Gateway, kind: str) -> Party:
    code = gateway.enterprise("department", department_kind=kind)
    return Party(code, gateway.card(code, "department"))


def random_vin() -> str:
    return "".join(secrets.choice(VIN_CHARS) for _ in range(17))


def validity(days: int = 30) -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {"valid_from": (today - timedelta(days=1)).isoformat(),
            "valid_to": (today + timedelta(days=days)).isoformat()}


@dataclass
class Ledgers:
    trade: Trade
    bank: Party
    mofcom: Party
    ccpit: Party
    police: Party

    @classmethod
    def onboard(cls, gateway: Gateway) -> Ledgers:
        return cls(Trade.onboard(gateway), department(gateway, "bank"),
                   department(gateway, "mofcom"), department(gateway, "ccpit"),
                   department(gateway, "public_security"))

    def issue(self, issuer: Party, kind: str, *lines: tuple[str, str], **extra: Any) -> str:
        """A licence to the trader with lines of (quantity, unit) for the example goods."""
        body = {"kind": kind, "holder": self.trade.trader.code, "number": "26-AA-000001",
                **validity(), **extra,
                "lines": [{"hs_code": HS_PHONES, "quantity": quantity, "unit": unit}
                          for quantity, unit in lines]}
        receipt = self.trade.send(issuer, "licence.issue", body)
        assert receipt["status"] == "accepted", receipt
        key: str = receipt["ref"]["licence"]
        return key

    def licence(self, key: str, reader: Party | None = None) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of the signed licence query."""
        reader = reader or self.trade.trader
        with self.trade.gateway.client() as client:
            reply = client.get(f"/v1/licences/{key}", reader.card)
        found: dict[str, Any] = reply.json()
        return reply.status, found

    def balances(self, key: str) -> list[str]:
        status, found = self.licence(key)
        assert status == 200, found
        return [line["balance"] for line in found["lines"]]

    def vehicle(self, vin: str, reader: Party) -> tuple[int, dict[str, Any]]:
        with self.trade.gateway.client() as client:
            reply = client.get(f"/v1/licences/vehicle/{vin}", reader.card)
        found: dict[str, Any] = reply.json()
        return reply.status, found

    def agreement(self, payer: Party | None = None) -> str:
        body: dict[str, Any] = {"bank": self.bank.code, "customs_office": self.trade.customs.code,
                                "account": "6222020200112233445"}
        if payer is not None:
            body["payer"] = payer.code
        receipt = self.trade.send(self.trade.trader, "payment.agreement", body)
        assert receipt["status"] == "accepted", receipt
        key: str = receipt["ref"]["agreement"]
        return key

    def taxed(self, *amounts: str) -> tuple[str, list[str]]:
        """A declaration accepted with tax bills of ``amounts``: its key and the bills."""
        key, _ = self.trade.declare()
        self.trade.act("dec.accept", key)
        due = self.trade.act("dec.tax_due", key, bills=[
            {"tax_type": tax_type, "amount": amount}
            for tax_type, amount in zip(("duty", "vat", "consumption"), amounts, strict=False)])
        assert due["status"] == "accepted", due
        bills: list[str] = due["ref"]["tax_bills"]
        return key, bills

    def instruct(self, declaration: str, bill: str, amount: str, agreement: str,
                 payer: Party | None = None) -> dict[str, Any]:
        return self.trade.send(payer or self.trade.trader, "payment.instruct", {
            "bill": bill, "declaration": declaration, "consignor": self.trade.trader.code,
            "amount": amount, "agreement": agreement, "bank": self.bank.code})

    def confirm(self, declaration: str, bill: str, instruction: str,
                amount: str) -> dict[str, Any]:
        return self.trade.send(self.bank, "payment.bank_confirm", {
            "bill": bill, "declaration": declaration, "consignor": self.trade.trader.code,
            "instruction": instruction, "amount": amount, "bank_reference": "ICBC-1"})

    def pay(self, declaration: str, bill: str, amount: str, agreement: str) -> dict[str, Any]:
        """Instruct and confirm; the confirmation's receipt."""
        instructed = self.instruct(declaration, bill, amount, agreement)
        assert instructed["status"] == "accepted", instructed
        return self.confirm(declaration, bill, instructed["ref"]["instruction"], amount)
