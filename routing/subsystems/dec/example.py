"""A valid dec.declaration body: `eport example dec.declaration`, tests and benchmarks.

Smartphones imported by sea into Shanghai; ``items`` goods lines (1-50), each
with its own quantity so that every line's total is exact.
"""

from __future__ import annotations

from typing import Any

EXAMPLE_CONSIGNOR = "1101910123"
EXAMPLE_CUSTOMS_OFFICE = "2200C00001"


def example_item(seq: int) -> dict[str, Any]:
    quantity = 100 * seq
    cents = quantity * 19999_50 // 100  # 199.9950 per phone, exact in integers
    return {
        "seq": seq, "hs_code": "8517130000", "name": "智能手机", "model": f"型号 X{seq}",
        "quantity": str(quantity), "unit": "001",
        "legal_quantity": str(quantity), "legal_unit": "001",
        "second_quantity": str(quantity // 5), "second_unit": "035",
        "unit_price": "199.9950", "total": f"{cents // 100}.{cents % 100:02d}",
        "currency": "USD", "origin_country": "USA", "destination_country": "CHN",
        "duty_mode": "1",
    }


def example_declaration(items: int = 2, **head: Any) -> dict[str, Any]:
    return {
        "import_export": "I", "entry_type": "0",
        "declare_district": "2200", "port_district": "2201",
        "customs_office": EXAMPLE_CUSTOMS_OFFICE, "consignor": EXAMPLE_CONSIGNOR,
        "trade_mode": "0110", "levy_nature": "101", "transport_mode": "2",
        "transaction_terms": "1", "bill_of_lading": "COSU6281234560",
        "contract_no": "SH-2026-0042", "trade_country": "USA", "currency": "502",
        "gross_weight": "1250.5", "net_weight": "1100.25", "packages": 120, "wrap_type": "22",
        "items": [example_item(seq) for seq in range(1, items + 1)],
        "containers": [{"number": "CSQU3054383", "type": "21", "goods_seqs": [1]}],
        "documents": [{"code": "A", "number": "CIQ2026000123"}],
        **head,
    }


def example_vehicle_declaration(vins: list[str], **head: Any) -> dict[str, Any]:
    """Saloon cars (HS 8703, 1500 kg each), one VIN per car."""
    body = example_declaration(1, **head)
    cars = len(vins)
    body["items"][0].update(hs_code="8703234100", name="小轿车", unit="003", legal_unit="003",
                            second_quantity=str(1500 * cars), second_unit="035",
                            quantity=str(cars), legal_quantity=str(cars),
                            unit_price="20000", total=str(20000 * cars), vins=vins)
    return body
