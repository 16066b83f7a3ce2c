"""The document mix: which types a corpus holds, how often, who signs them, and
how large their bodies are. Weights are our estimate of a business day (goods
declarations and the customs actions on them dominate; DOMAIN.md gives the
scale, not the split). Only types the registry knows are used, the weights
renormalised, so the mix grows as subsystems land.

Root types get a fresh valid body per document from ``GENERATORS``: a trader's
declaration to a registered customs office, its entrustment of a registered
broker, its paperless agreement with that office, a mofcom licence issued to a
registered trader, enterprises and cards from the platform. The other types of
the mix follow a root in a business thread (chains.py: the customs office
accepts, taxes, releases and closes the declaration, the trader pays its bill
and the bank confirms, the broker confirms the entrustment, customs approves
the agreement), and their weights here are what those threads add up to. A
registered type of the mix with neither is refused when a corpus is planned
(``missing_generators``): bodies made from examples name documents and parties
that do not exist, and most of such a mix was rejected by business rules.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core_ext.fields import org_code_check_char, uscc_check_char
from routing.registry import DocSpec
from routing.subsystems.dec.example import example_declaration, example_item

DISTRICT = example_declaration(1)["declare_district"]  # where declarations are declared
PHONE = example_item(1)  # the goods declarations carry
YEAR_DAYS = 365
_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_PROVINCES = ("11", "12", "31", "32", "33", "35", "37", "44", "50", "51")


@dataclass(frozen=True)
class Items:
    """Item count per body: geometric with ``mean``, clipped to [low, high]."""

    low: int
    high: int
    mean: float

    def draw(self, rng: random.Random) -> int:
        value = self.low + int(rng.expovariate(1.0 / max(self.mean - self.low, 1e-9)))
        return min(value, self.high)


@dataclass(frozen=True)
class MixEntry:
    type: str
    weight: float
    role: str  # "trader", "broker", or a department kind ("platform", "customs", ...)
    items: Items | None = None


MIX: tuple[MixEntry, ...] = (
    MixEntry("dec.declaration", 25, "trader", Items(1, 50, 5)),
    MixEntry("dec.accept", 6, "customs"),
    MixEntry("dec.tax_due", 4, "customs"),
    MixEntry("dec.inspect", 1, "customs"),
    MixEntry("dec.release", 6, "customs"),
    MixEntry("dec.close", 4, "customs"),
    MixEntry("dec.reject", 0.5, "customs"),
    MixEntry("dec.withdraw", 0.2, "trader"),
    MixEntry("agent.entrust", 3, "trader"),
    MixEntry("agent.confirm", 3, "broker"),
    MixEntry("paperless.sign", 0.2, "trader"),
    MixEntry("paperless.approve", 0.2, "customs"),
    MixEntry("payment.instruct", 4, "trader"),
    MixEntry("payment.bank_confirm", 4, "bank"),
    MixEntry("licence.issue", 2, "mofcom", Items(1, 20, 3)),
    MixEntry("export_fx.submit", 4, "trader", Items(1, 20, 2)),
    MixEntry("export_fx.verify", 4, "safe"),
    MixEntry("import_fx.submit", 3, "trader"),
    MixEntry("import_fx.writeoff", 3, "bank"),
    MixEntry("tax_refund.submit", 4, "trader", Items(1, 20, 2)),
    MixEntry("tax_refund.accept", 4, "tax"),
    MixEntry("express.manifest", 5, "trader", Items(1, 200, 20)),
    MixEntry("express.release", 5, "customs"),
    MixEntry("vessel.arrival", 0.5, "trader"),
    MixEntry("vessel.departure", 0.5, "trader"),
    MixEntry("road.manifest", 2, "trader", Items(1, 10, 2)),
    MixEntry("road.pass", 2, "customs"),
    MixEntry("archive.tag", 1, "trader"),
    MixEntry("identity.enterprise_register", 0.5, "platform"),
    MixEntry("identity.card_issue", 1, "platform"),
)


def available(specs: dict[str, DocSpec[Any]]) -> list[MixEntry]:
    """The mix entries whose type is registered, each with a role its rights allow."""
    return [MixEntry(e.type, e.weight, signer_role(e, specs[e.type]), e.items)
            for e in MIX if e.type in specs]


def signer_role(entry: MixEntry, spec: DocSpec[Any]) -> str:
    if spec.card_kinds <= {"department"}:
        kinds = spec.department_kinds or frozenset({"platform"})
        return entry.role if entry.role in kinds else sorted(kinds)[0]
    return entry.role if entry.role in ("trader", "broker", "processor") else "trader"


def uscc(rng: random.Random) -> str:
    """A unified social credit code: "91", a 6-digit division, a GB 11714 organisation
    code with its check character, and the GB 32100 check character."""
    org = "".join(rng.choice(_ORG_CHARS) for _ in range(8))
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + org + \
        org_code_check_char(org)
    return body + uscc_check_char(body)


def customs_code(rng: random.Random) -> str:
    """A registration code: province, 3 digits, 5 of 0-9A-Z (``check_customs_code``)."""
    return (rng.choice(_PROVINCES) + "".join(rng.choice("0123456789") for _ in range(3))
            + "".join(rng.choice(_CODE_CHARS) for _ in range(5)))


@dataclass(frozen=True)
class BodyContext:
    rng: random.Random
    sender: str
    traders: Sequence[str]  # registered traders a body may name (card, licence holder)
    public_keys: Sequence[str]  # valid SM2 points (hex) for card bodies
    customs: Sequence[str]  # registered customs departments a declaration may name
    brokers: Sequence[str]  # registered brokers an entrustment may name
    day: date  # the corpus's business day (in China): validity starts on it
    items: int | None = None  # goods items drawn for this document, if its type has any


def enterprise_register(ctx: BodyContext) -> dict[str, Any]:
    code = customs_code(ctx.rng)
    return {"code": code, "uscc": uscc(ctx.rng), "name": f"负载测试企业 {code}",
            "type": "trader"}


def card_issue(ctx: BodyContext) -> dict[str, Any]:
    return {"enterprise": ctx.rng.choice(ctx.traders), "kind": "operator",
            "holder": f"操作员{ctx.rng.randrange(10**6):06d}",
            "public_key": ctx.rng.choice(ctx.public_keys)}


def declaration(ctx: BodyContext) -> dict[str, Any]:
    """The trader's own declaration to one of the registered customs offices."""
    return example_declaration(ctx.items or 1, consignor=ctx.sender,
                               customs_office=ctx.rng.choice(ctx.customs))


def entrust(ctx: BodyContext) -> dict[str, Any]:
    """The trader entrusts a broker with its declarations for a year; the broker confirms."""
    return {"trader": ctx.sender, "broker": ctx.rng.choice(ctx.brokers), "scope": "period",
            "direction": "B", "valid_from": ctx.day.isoformat(),
            "valid_to": (ctx.day + timedelta(days=YEAR_DAYS)).isoformat(), "goods": "手机及配件"}


def paperless_sign(ctx: BodyContext) -> dict[str, Any]:
    return {"district": DISTRICT, "customs_office": ctx.rng.choice(ctx.customs)}


def licence_issue(ctx: BodyContext) -> dict[str, Any]:
    """An import licence (mofcom's kind) for a registered trader's smartphones."""
    lines = [{"hs_code": PHONE["hs_code"], "unit": PHONE["unit"],
              "quantity": str(1000 * ctx.rng.randint(1, 100))} for _ in range(ctx.items or 1)]
    return {"kind": "import_licence", "holder": ctx.rng.choice(ctx.traders),
            "number": f"LT-{ctx.rng.randrange(10**8):08d}", "valid_from": ctx.day.isoformat(),
            "valid_to": (ctx.day + timedelta(days=YEAR_DAYS)).isoformat(), "lines": lines}


GENERATORS: dict[str, Callable[[BodyContext], dict[str, Any]]] = {
    "identity.enterprise_register": enterprise_register,
    "identity.card_issue": card_issue,
    "dec.declaration": declaration,
    "agent.entrust": entrust,
    "paperless.sign": paperless_sign,
    "licence.issue": licence_issue,
}


def missing_generators(roots: list[MixEntry]) -> list[str]:
    """The root types of the mix that have no body generator."""
    return [entry.type for entry in roots if entry.type not in GENERATORS]


def body(entry: MixEntry, ctx: BodyContext) -> dict[str, Any]:
    return GENERATORS[entry.type](ctx)
