"""Every numeric constant in the C headers, recomputed from the curve parameters."""

from __future__ import annotations

import re
from pathlib import Path

from core_ext import _sm2_pure

INCLUDE = Path(__file__).parent.parent / "core_ext" / "include"
P, A, B, N, (GX, GY) = _sm2_pure.P, _sm2_pure.A, _sm2_pure.B, _sm2_pure.N, _sm2_pure.G
R = 2**256


def _headers() -> str:
    return "\n".join(path.read_text() for path in sorted(INCLUDE.glob("*.h")))


def _u256(name: str) -> int:
    match = re.search(rf"static const u256 {name} = \{{([^}}]*)\}}", _headers())
    assert match, name
    limbs = [int(limb.strip().removesuffix("ULL"), 16) for limb in match.group(1).split(",")]
    return sum(limb << (64 * index) for index, limb in enumerate(limbs))


def _define(name: str) -> int:
    match = re.search(rf"#define {name} (0x[0-9a-f]+)ULL", _headers())
    assert match, name
    return int(match.group(1), 16)


def test_moduli_and_montgomery_constants() -> None:
    assert _u256("SM2_P") == P
    assert sum(_define(f"FP{i}") << (64 * i) for i in range(4)) == P
    assert _u256("SM2_N") == N
    assert _u256("SM2_P_RR") == R * R % P
    assert _u256("SM2_N_RR") == R * R % N
    assert _define("SM2_N_N0") == -pow(N, -1, 2**64) % 2**64
    assert -pow(P, -1, 2**64) % 2**64 == 1  # why sm2_fp.h needs no quotient multiply
    assert _u256("SM2_ONE_MONT") == R % P
    assert _u256("SM2_B_MONT") == B * R % P
    assert _u256("exponent") == N - 2


def test_base_point() -> None:
    assert (_u256("SM2_GX"), _u256("SM2_GY")) == (GX, GY)


def test_sm3_round_constants() -> None:
    match = re.search(r"SM3_K\[64\] = \{([^}]*)\}", _headers())
    assert match
    table = [int(value, 16) for value in re.findall(r"0x[0-9a-f]{8}", match.group(1))]

    def rotl(x: int, n: int) -> int:
        n %= 32
        return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF

    assert table == [rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64)]


def test_za_curve_bytes() -> None:
    match = re.search(r"static const uint8_t curve\[128\] = \{([^}]*)\}", _headers())
    assert match
    data = bytes(int(value, 16) for value in re.findall(r"0x[0-9a-f]{2}", match.group(1)))
    assert data == b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))
