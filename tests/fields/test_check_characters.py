"""GB 32100 (USCC) and GB 11714 (organisation code) check characters.

Published examples, cited by where they were found (search corpus ids as in
core_ext/codes/README.md):
- GB 32100-2015's own worked example, reproduced on https://www.yc00.com/web/1713075042a2177900.html
  and https://renrendoc.com/p-47802332.html: body 91350100M000100Y4 gives check "3"; the
  example's "91350100M000100Y4Z" is therefore invalid.
- REAL_USCCS: published codes from id 44555314042 (a public Java validator's test list)
  and id 71068869758 ("真实在册企业统一社会信用代码"). The list in 44555314042 also has
  "123456789012345678", which passes the GB 32100 check by coincidence but not GB 11714.
"""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_ext.fields import (
    FieldError,
    check_org_code,
    check_uscc,
    org_code_check_char,
    uscc_check_char,
)

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

REAL_USCCS = [
    "91350100M000100Y43",
    "91110105771583283D",
    "91110000802100433B",
    "91110108740084270C",
    "112302070019030687",
    "91110108735106340Y",
    "911101077776591113",
    "51610700305332460K",
    "91440300359143307G",
    "11610923MB2900168E",
    "1134082855783407XL",
    "91341000MA2N0ABGXX",
    "92510100MA61WJ3204",
    "52610500MJU60350X1",
    "1142092201131905X1",
    "913101135696449862",
    "91460600MA5RC30P9Y",
    "121526004609138637",
    "52440111MJK9980480",
    "52120000MJ0529018E",
    "91440300708461136T",
    "91110108551385082Q",
]


def oracle_uscc_check(body: str) -> str:
    """Straight from the standard: C18 = 31 - MOD(sum C_i * 3^(i-1) mod 31, 31)."""
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return ALPHABET[(31 - total % 31) % 31]


def oracle_org_check(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    head = draw(st.text(ALPHABET, min_size=2, max_size=2))
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    org = draw(st.text(ALPHABET, min_size=8, max_size=8))
    body = head + region + org + oracle_org_check(org)
    return body + oracle_uscc_check(body)


def test_standard_worked_example() -> None:
    assert uscc_check_char("91350100M000100Y4") == "3"
    with pytest.raises(FieldError) as info:
        check_uscc("91350100M000100Y4Z")
    assert info.value.reason == "charset"  # Z is not in the alphabet at all


@pytest.mark.parametrize("code", REAL_USCCS)
def test_published_codes_pass(code: str) -> None:
    check_uscc(code)
    check_org_code(code[8:17])
    assert uscc_check_char(code[:17]) == code[17]
    assert org_code_check_char(code[8:16]) == code[16]


def test_organisation_code_is_checked_inside_the_uscc() -> None:
    assert uscc_check_char("12345678901234567") == "8"
    with pytest.raises(FieldError) as info:
        check_uscc("123456789012345678")
    assert info.value.reason == "org_check_char"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "not_string"),
        (91350100, "not_string"),
        (b"91350100M000100Y43", "not_string"),
        ("", "length"),
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        ("91350100m000100Y43", "charset"),  # lower case
        ("9135010OM000100Y43", "charset"),  # O is excluded
        ("91350100M000100Y4\u0663", "charset"),  # an Arabic-Indic digit
        ("913501A0M000100Y43", "region"),
        ("91350100M000100Y44", "check_char"),
    ],
)
def test_uscc_rejections(value: object, reason: str) -> None:
    with pytest.raises(FieldError) as info:
        check_uscc(value)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "not_string"),
        ("77158328", "length"),
        ("77158328-3", "length"),
        ("7715832a3", "charset"),
        ("771583284", "org_check_char"),
    ],
)
def test_org_code_rejections(value: object, reason: str) -> None:
    with pytest.raises(FieldError) as info:
        check_org_code(value)
    assert info.value.reason == reason


def test_org_code_check_values_10_and_11() -> None:
    # bodies whose check values are 10 and 11, found by the oracle, written as X and 0
    x_body = next(b for b in (f"{n:08d}" for n in range(1000)) if oracle_org_check(b) == "X")
    zero_body = next(b for b in (f"{n:08d}" for n in range(1000)) if oracle_org_check(b) == "0")
    assert org_code_check_char(x_body) == "X"
    assert org_code_check_char(zero_body) == "0"
    check_org_code(x_body + "X")


@given(st.text(ALPHABET, min_size=17, max_size=17))
def test_uscc_check_char_matches_the_oracle(body: str) -> None:
    assert uscc_check_char(body) == oracle_uscc_check(body)


@given(st.text(string.digits + string.ascii_uppercase, min_size=8, max_size=8))
def test_org_check_char_matches_the_oracle(body: str) -> None:
    assert org_code_check_char(body) == oracle_org_check(body)


@given(valid_usccs())
def test_generated_codes_pass(code: str) -> None:
    check_uscc(code)


@given(valid_usccs(), st.integers(0, 17), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_detected(code: str, position: int, new: str) -> None:
    changed = code[:position] + new + code[position + 1 :]
    if changed == code:
        return
    with pytest.raises(FieldError):
        check_uscc(changed)


@given(valid_usccs(), st.integers(0, 16))
def test_any_adjacent_transposition_is_detected(code: str, position: int) -> None:
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    if swapped == code:
        return
    with pytest.raises(FieldError):
        check_uscc(swapped)
