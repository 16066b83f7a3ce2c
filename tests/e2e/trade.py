"""The parties of a declaration scenario, with real cards, and how they send documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.client import Signer, new_id
from routing.subsystems.dec.example import example_declaration
from tests.e2e.gateway import Gateway


@dataclass
class Party:
    code: str
    card: Signer


@dataclass
class Trade:
    gateway: Gateway
    trader: Party
    broker: Party
    customs: Party

    @classmethod
    def onboard(cls, gateway: Gateway) -> Trade:
        trader, broker = gateway.enterprise("trader"), gateway.enterprise("broker")
        customs = gateway.enterprise("department", department_kind="customs")
        return cls(gateway, Party(trader, gateway.card(trader, "legal")),
                   Party(broker, gateway.card(broker, "legal")),
                   Party(customs, gateway.card(customs, "department")))

    def envelope(self, party: Party, doc_type: str, body: dict[str, Any],
                 doc_id: str | None = None) -> bytes:
        return party.card.document(doc_type, party.code, body, doc_id=doc_id)

    def send(self, party: Party, doc_type: str, body: dict[str, Any],
             doc_id: str | None = None, *, url: str | None = None) -> dict[str, Any]:
        """Submit one document; return its receipt (whatever the status)."""
        with self.gateway.client() as client:
            reply = client.submit(self.envelope(party, doc_type, body, doc_id))
        assert reply.status in (201, 422), reply.body
        receipt: dict[str, Any] = reply.json()["receipt"]
        return receipt

    def declaration(self, **head: Any) -> dict[str, Any]:
        return example_declaration(**{"customs_office": self.customs.code,
                                      "consignor": self.trader.code, **head})

    def declare(self, party: Party | None = None, **head: Any) -> tuple[str, dict[str, Any]]:
        """(declaration key, receipt) of a new declaration sent by ``party`` (the trader)."""
        party = party or self.trader
        doc_id = new_id("dec")
        return f"{party.code}/{doc_id}", self.send(party, "dec.declaration",
                                                   self.declaration(**head), doc_id)

    def act(self, doc_type: str, declaration: str, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"declaration": declaration, "consignor": self.trader.code,
                                "customs_office": self.customs.code}
        if doc_type == "dec.accept":
            body |= {"declare_district": "2200", "import_export": "I"}
        body |= extra
        sender = self.customs if doc_type != "dec.withdraw" else self.party_of(declaration)
        return self.send(sender, doc_type, body)

    def party_of(self, key: str) -> Party:
        return self.trader if key.startswith(self.trader.code) else self.broker

    def entrust(self, trader: Party | None = None, **changes: Any) -> str:
        """An entrustment proposed by the broker and confirmed by the trader; its key."""
        trader = trader or self.trader
        today = datetime.now(UTC).date()
        body = {"trader": trader.code, "broker": self.broker.code, "scope": "period",
                "direction": "B", "valid_from": (today - timedelta(days=1)).isoformat(),
                "valid_to": (today + timedelta(days=30)).isoformat(), **changes}
        proposed = self.send(self.broker, "agent.entrust", body)
        assert proposed["status"] == "accepted", proposed
        key: str = proposed["ref"]["entrustment"]
        confirmed = self.send(trader, "agent.confirm", {"entrustment": key})
        assert confirmed["ref"]["state"] == "active", confirmed
        return key


def outcome(receipt: dict[str, Any]) -> tuple[str, str]:
    return receipt["status"], receipt["code"]
