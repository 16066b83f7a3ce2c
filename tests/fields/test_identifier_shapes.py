"""Customs registration codes, entry numbers, district and HS code shapes.

Sources for the structures (see core_ext/_shapes.pyx for the strictness chosen):
- registration code: https://www.newton.com.tw/wiki/海關註冊號/10051512 (positions 1-4
  administrative division, 5 economic zone, 6 enterprise kind, 7-10 serial); a Qingdao
  customs answer quoted at https://176study.cn/wmzs/2007198.html (economic zone 1-7, 9);
  https://100test.com/kao_ti2020/478/2021_2022_H883_E7_B3_BB_E7_BB_9F_c32_478762.htm gives
  the example 4404140001 and the entry number example 576020031603050000.
- entry number: http://1bjqnw.com/life/2022/0920/21822.html (district 4 + year 4 +
  1 import / 0 export + 9-digit serial).
"""

import pytest

from core_ext.fields import (
    EntryNumber,
    FieldError,
    check_customs_code,
    check_district_code,
    check_entry_number,
    check_hs_code,
    hs_legal_units,
    parse_entry_number,
)


@pytest.mark.parametrize("code", ["4404140001", "1101910123", "3122440A12", "650190000B"])
def test_registration_codes_pass(code: str) -> None:
    check_customs_code(code)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1101910123, "not_string"),
        ("110191012", "length"),
        ("11019101234", "length"),
        ("A101910123", "charset"),
        ("1101A10123", "charset"),
        ("110191012a", "charset"),
        ("110191012-", "charset"),
        ("9901910123", "region"),
        ("0001910123", "region"),
    ],
)
def test_registration_code_rejections(value: object, reason: str) -> None:
    with pytest.raises(FieldError) as info:
        check_customs_code(value)
    assert info.value.reason == reason


def test_entry_number_parts() -> None:
    assert parse_entry_number("576020031603050000") == EntryNumber("5760", 2003, True, 603050000)
    assert parse_entry_number("220020260000000001") == EntryNumber("2200", 2026, False, 1)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "not_string"),
        ("57602003160305000", "length"),
        ("5760200316030500a0", "charset"),
        ("576019991603050000", "year"),
        ("576021001603050000", "year"),
        ("576020032603050000", "direction"),
    ],
)
def test_entry_number_rejections(value: object, reason: str) -> None:
    with pytest.raises(FieldError) as info:
        check_entry_number(value)
    assert info.value.reason == reason


def test_district_codes_come_from_the_table() -> None:
    check_district_code("2300")  # 南京海关, added with sources SCOO and S365_NOTE
    check_district_code("5300")
    with pytest.raises(FieldError) as info:
        check_district_code("9999")
    assert info.value.reason == "unknown_code"
    with pytest.raises(FieldError) as info:
        check_district_code("23OO")
    assert info.value.reason == "charset"


def test_hs_codes_use_the_first_eight_digits() -> None:
    check_hs_code("0101210010")
    check_hs_code("0101210099")  # any supplementary code
    assert hs_legal_units("0101210010") == ("035", "009")
    assert hs_legal_units("0101290010") == ("035", "009")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("01012100", "length"),
        ("010121001O", "charset"),
        ("9999999900", "unknown_code"),
        (101210010, "not_string"),
    ],
)
def test_hs_code_rejections(value: object, reason: str) -> None:
    with pytest.raises(FieldError) as info:
        check_hs_code(value)
    assert info.value.reason == reason


def test_hs_code_without_second_unit() -> None:
    first, second = hs_legal_units("2709000000")
    assert first and second is None
