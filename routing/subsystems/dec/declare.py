"""dec.declaration: a declaring enterprise submits a declaration to customs.

The declaration becomes an entity ``declaration:<declarant>/<doc id>`` in state
``submitted``; its data holds the parties (consignor, declarant, receiving
customs office), the head fields later documents are checked against and the
digest of its VINs (licence/vehicles.py). Its licence write-offs are debited in
the same commit (writeoffs.py).
"""

from __future__ import annotations

from typing import Any

from routing.ops import Create
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.dec.example import example_declaration
from routing.subsystems.dec.parties import china_day, declaration_parties
from routing.subsystems.dec.rules import RULES
from routing.subsystems.dec.schema import Declaration
from routing.subsystems.dec.types import doc_key, recipients
from routing.subsystems.dec.writeoffs import write_off_ops, write_offs_are_sound
from routing.subsystems.licence.vehicles import vin_digest


def declare(ctx: DocContext, body: Declaration) -> Decision:
    key = doc_key(ctx.sender, ctx.doc_id)
    data: dict[str, Any] = {
        "consignor": body.consignor,
        "declarant": ctx.sender,
        "customs_office": body.customs_office,
        "import_export": body.import_export,
        "declare_district": body.declare_district,
        "entry_type": body.entry_type,
        "trade_mode": body.trade_mode,
        "bill_of_lading": body.bill_of_lading,
        "entrustment": body.entrustment,
        "items": len(body.items),
    }
    vins = [vin for item in body.items for vin in item.vins]
    if vins:
        data["vin_digest"] = vin_digest(vins)
    ops = (*declaration_parties(body, ctx.sender, ctx.received_at),
           *write_off_ops(body, china_day(ctx.received_at)),
           Create("declaration", key, "submitted", body.consignor, data, path="$.body"))
    ref = {"declaration": key, "state": "submitted"}
    event = Event(recipients(ctx.sender, body.consignor, body.customs_office), ctx.sender,
                  ctx.doc_id, ctx.doc_type, ref)
    return Decision(ref=ref, ops=ops, event=event)


SPEC: DocSpec[Any] = DocSpec(
    type="dec.declaration",
    body=Declaration,
    handler=declare,
    rules=(*RULES, write_offs_are_sound),
    card_kinds=frozenset({"legal", "operator", "declarant"}),
    description="报关单: an import or export declaration, head and 1-50 goods items.",
    example=example_declaration,
)
