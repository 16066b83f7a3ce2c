"""dec.declaration's body: head, 1-50 goods items, containers, attached documents.

Field names are plain English for the QP declaration's fields (the Chinese name
is given once, here). Codes are checked against core_ext's code tables and
decimals against their fixed-point specs by ``rules.py``; this module fixes only
the shape.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from routing.subsystems.dec.types import Amount, CustomsCode, DocRef, Flag, Text

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=4)]
# Countries and currencies: the ISO alpha-3 form or the older 3-digit customs form.
CountryOrCurrency = Annotated[str, msgspec.Meta(pattern=r"^([A-Z]{3}|[0-9]{3})$")]
Vin = Annotated[str, msgspec.Meta(pattern=r"^[A-HJ-NPR-Z0-9]{17}$")]
ContainerNumber = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{4}[0-9]{7}$")]
# 报关单类型: 0 ordinary, L with a goods list, W paperless, D list + paperless,
# M paperless customs clearance (通关无纸化).
EntryType = Literal["0", "L", "W", "D", "M"]
PAPERLESS_ENTRY_TYPES = frozenset({"W", "D", "M"})


class WriteOff(msgspec.Struct, forbid_unknown_fields=True):
    """Quantity of this item drawn on one licence line (核销), in the line's unit."""

    licence: DocRef  # the licence, <issuer>/<doc id>
    line: Annotated[int, msgspec.Meta(ge=1, le=50)]
    quantity: Amount  # N19,5, > 0, at most the item's quantity in that unit
    unit: Code  # the item's unit or its first legal unit


class Goods(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    seq: Annotated[int, msgspec.Meta(ge=1, le=50)]  # 项号, 1..n in order
    hs_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{10}$")]  # 商品编号
    name: Text  # 商品名称
    model: Text  # 规格型号
    quantity: Amount  # 成交数量, N19,5
    unit: Code  # 成交计量单位
    legal_quantity: Amount  # 法定第一数量
    legal_unit: Code  # 法定第一计量单位 (the HS line's first unit)
    second_quantity: Amount | None = None  # 法定第二数量, when the HS line has one
    second_unit: Code | None = None
    unit_price: Amount  # 申报单价, N19,4
    total: Amount  # 申报总价, N19,2 = quantity x unit_price, rounded half up
    currency: CountryOrCurrency  # 币制
    origin_country: CountryOrCurrency  # 原产国(地区)
    destination_country: CountryOrCurrency  # 最终目的国(地区)
    duty_mode: Code  # 征减免税方式
    vins: list[Vin] = []  # 车架号, one per vehicle for HS 8703
    licences: Annotated[list[WriteOff], msgspec.Meta(max_length=5)] = []  # 许可证核销
    # 原产地证书: certificates of origin (licence keys) covering this item's origin and HS code
    origin_certificates: Annotated[list[DocRef], msgspec.Meta(max_length=5)] = []


class Container(msgspec.Struct, forbid_unknown_fields=True):
    number: ContainerNumber  # ISO 6346, check digit verified
    type: Code  # 集装箱规格
    goods_seqs: list[int] = []  # the items loaded in it


class AttachedDocument(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z]{1,2}$")]  # 随附单证代码
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=64,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")]


class Declaration(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    import_export: Flag  # 进出口标志
    entry_type: EntryType = "0"
    declare_district: Code  # 申报地海关 (4 digits): the entry number's district
    port_district: Code  # 进/出境关别
    customs_office: CustomsCode  # the customs department enterprise that receives it
    consignor: CustomsCode  # 境内收发货人
    owner: CustomsCode | None = None  # 消费使用单位 / 生产销售单位
    entrustment: DocRef | None = None  # required when a broker declares
    trade_mode: Code  # 监管方式
    levy_nature: Code  # 征免性质
    transport_mode: Code  # 运输方式
    transaction_terms: Code  # 成交方式
    bill_of_lading: Annotated[str, msgspec.Meta(min_length=1, max_length=32,
                                                pattern=r"^[^\x00-\x1f\x7f]+$")]  # 提运单号
    contract_no: Text  # 合同协议号
    trade_country: CountryOrCurrency  # 贸易国(地区)
    currency: CountryOrCurrency  # 币制 of freight and insurance
    gross_weight: Amount  # 毛重 kg, N19,5
    net_weight: Amount  # 净重 kg, N19,5
    packages: Annotated[int, msgspec.Meta(ge=1, le=99_999_999)]  # 件数
    wrap_type: Code  # 包装种类
    items: Annotated[list[Goods], msgspec.Meta(min_length=1, max_length=50)]
    containers: Annotated[list[Container], msgspec.Meta(max_length=200)] = []
    documents: Annotated[list[AttachedDocument], msgspec.Meta(max_length=50)] = []
