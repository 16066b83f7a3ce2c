"""A negative corpus built from the known answers: every case must be rejected with
its expected reason, by both implementations, without raising.

Expected reasons are derived here from the documented rules with plain integer
arithmetic (never by asking an implementation). The compiled module runs every
case; the pure oracle, which is slow, runs every PURE_STRIDE-th case.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from types import ModuleType

import pytest

from core_ext import _sm2_pure, sm2
from tests.kat import load

P, A, B, N = _sm2_pure.P, _sm2_pure.A, _sm2_pure.B, _sm2_pure.N
DEFAULT_UID = b"1234567812345678"
PURE_STRIDE = 100

Case = tuple[str, bytes, bytes, bytes, bytes, str]  # label, key, message, sig, uid, reason


def _int(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _der_integer(body: bytes) -> bytes:
    return b"\x02" + bytes([len(body)]) + body


def _der(r_body: bytes, s_body: bytes) -> bytes:
    content = _der_integer(r_body) + _der_integer(s_body)
    return b"\x30" + bytes([len(content)]) + content


def _minimal(value: int) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return b"\x00" + body if body[0] & 0x80 else body


def _raw_reason(raw: bytes) -> str:
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if not (1 <= r < N and 1 <= s < N):
        return "sig_range"
    return "sig_r_plus_s_zero" if (r + s) % N == 0 else "sig_mismatch"


def _framed(signature: bytes, reason: str) -> str:
    """The reason once the length rules apply: 64 bytes are raw r||s, DER is 8..72."""
    if len(signature) == 64:
        return _raw_reason(signature)
    return "sig_length" if not 8 <= len(signature) <= 72 else reason


def _key_reason(key: bytes) -> str:
    if len(key) == 65 and key[0] != 4:
        return "key_prefix"
    x, y = int.from_bytes(key[-64:-32], "big"), int.from_bytes(key[-32:], "big")
    if x >= P or y >= P:
        return "key_coordinate_range"
    if x == y == 0:
        return "key_infinity"
    on_curve = (y * y - x**3 - A * x - B) % P == 0
    return "sig_mismatch" if on_curve else "key_not_on_curve"


def _flips(data: bytes) -> Iterator[tuple[int, bytes]]:
    for bit in range(len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        yield bit, bytes(flipped)


def _signature_values(r: int, s: int) -> Iterator[tuple[str, int, int, str]]:
    for name, bad in [("0", 0), ("n", N), ("n+1", N + 1), ("2^256-1", 2**256 - 1)]:
        yield f"r={name}", bad, s, "sig_range"
        yield f"s={name}", r, bad, "sig_range"
    if r + N < 2**256:
        yield "r+n", r + N, s, "sig_range"
    if s + N < 2**256:
        yield "s+n", r, s + N, "sig_range"
    yield "r+s=0", r, N - r, "sig_r_plus_s_zero"
    yield "s+r=0", N - s, s, "sig_r_plus_s_zero"
    yield "swapped", s, r, "sig_mismatch"


def _der_forms(r: int, s: int) -> Iterator[tuple[str, bytes, str]]:
    rb, sb = _minimal(r), _minimal(s)
    good = _der(rb, sb)
    content = good[2:]
    yield "seq long form", b"\x30\x81" + bytes([len(content)]) + content, "sig_der"
    yield "seq indefinite", b"\x30\x80" + content + b"\x00\x00", "sig_der"
    yield (
        "int long form",
        b"\x30"
        + bytes([len(content) + 1])
        + b"\x02\x81"
        + bytes([len(rb)])
        + rb
        + _der_integer(sb),
        "sig_der",
    )
    yield "r extra 00", _der(b"\x00" + rb, sb), "sig_der"
    yield "s extra 00", _der(rb, b"\x00" + sb), "sig_der"
    if rb[0] == 0:
        yield "r missing 00 (negative)", _der(rb[1:], sb), "sig_der"
    if sb[0] == 0:
        yield "s missing 00 (negative)", _der(rb, sb[1:]), "sig_der"
    yield "r negative", _der(b"\xff" + rb, sb), "sig_der"
    yield "r empty", _der(b"", sb), "sig_der"
    yield "r 33 bytes", _der(b"\x01" + _int(r), sb), "sig_der"
    yield "wrong seq tag", b"\x31" + good[1:], "sig_der"
    yield "wrong int tag", good[:2] + b"\x03" + good[3:], "sig_der"
    yield "seq length +1", good[:1] + bytes([good[1] + 1]) + good[2:], "sig_der"
    yield "seq length -1", good[:1] + bytes([good[1] - 1]) + good[2:], "sig_der"
    yield "trailing inside", good[:1] + bytes([good[1] + 1]) + good[2:] + b"\x00", "sig_der"
    yield "trailing after", good + b"\x00", "sig_der"
    yield "three integers", good[:1] + bytes([good[1] + 3]) + good[2:] + b"\x02\x01\x01", "sig_der"
    yield "r = 0 (DER)", _der(b"\x00", sb), "sig_range"
    yield "r = n (DER)", _der(_minimal(N), sb), "sig_range"
    yield "r = 2^256-1 (DER)", _der(_minimal(2**256 - 1), sb), "sig_range"
    for length in range(len(good)):
        yield f"DER truncated to {length}", good[:length], "sig_der"


def _cases_for(name: str, key: bytes, message: bytes, raw: bytes, uid: bytes) -> Iterator[Case]:
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    for label, bad_r, bad_s, reason in _signature_values(r, s):
        yield f"{name} {label}", key, message, _int(bad_r) + _int(bad_s), uid, reason
        if bad_r < 2**256 and bad_s < 2**256:
            der = _der(_minimal(bad_r), _minimal(bad_s))
            yield f"{name} {label} (DER)", key, message, der, uid, reason
    for label, signature, reason in _der_forms(r, s):
        yield f"{name} {label}", key, message, signature, uid, _framed(signature, reason)
    for length in [*range(64), 65, 72, 73, 100]:
        signature = (raw * 2)[:length]
        reason = "sig_length" if length < 8 or length > 72 else "sig_der"
        yield f"{name} raw length {length}", key, message, signature, uid, reason
    for bit, signature in _flips(raw):
        yield f"{name} sig bit {bit}", key, message, signature, uid, _raw_reason(signature)
    for bit, flipped in _flips(message):
        yield f"{name} message bit {bit}", key, flipped, raw, uid, "sig_mismatch"
    for bit, flipped in _flips(uid):
        yield f"{name} uid bit {bit}", key, message, raw, flipped, "sig_mismatch"
    for bit, flipped in _flips(key):
        yield f"{name} key bit {bit}", flipped, message, raw, uid, _key_reason(flipped)
    yield f"{name} uid too long", key, message, raw, b"u" * 8192, "uid_length"
    yield from _bad_keys(name, key, message, raw, uid)


def _bad_keys(name: str, key: bytes, message: bytes, raw: bytes, uid: bytes) -> Iterator[Case]:
    x, y = int.from_bytes(key[-64:-32], "big"), int.from_bytes(key[-32:], "big")
    for label, bad_x, bad_y in [
        ("x=p", P, y),
        ("y=p", x, P),
        ("x=p+1", P + 1, y),
        ("y=2^256-1", x, 2**256 - 1),
        ("y+1", x, y + 1),
        ("x+1", x + 1, y),
        ("-y", x, P - y),
        ("y+p", x, y + P),
    ]:
        if bad_y < 2**256:
            bad = b"\x04" + _int(bad_x) + _int(bad_y)
            reason = "sig_mismatch" if label == "-y" else _key_reason(bad)
            yield f"{name} key {label}", bad, message, raw, uid, reason
    for bad, reason in [
        (bytes(64), "key_infinity"),
        (bytes(65), "key_prefix"),
        (b"\x04" + bytes(64), "key_infinity"),
    ]:
        yield f"{name} key zero {len(bad)}", bad, message, raw, uid, reason
    for length in [0, 1, 32, 33, 63, 66, 97, 130]:
        bad = (b"\x04" + key[-64:]) * 3
        yield f"{name} key length {length}", bad[:length], message, raw, uid, "key_length"
    for prefix in [0x00, 0x02, 0x03, 0x05, 0x06, 0x07, 0xFF]:
        bad = bytes([prefix]) + key[-64:]
        yield f"{name} key prefix {prefix:02x}", bad, message, raw, uid, "key_prefix"


def corpus() -> list[Case]:
    annex = load("sm2_sign.txt")[0]
    card = load("sm2_eport_card.txt")[0]
    cases = list(
        _cases_for(
            "annexA",
            b"\x04" + bytes.fromhex(annex["Pub"]),
            bytes.fromhex(annex["Msg"]),
            bytes.fromhex(annex["R"] + annex["S"]),
            bytes.fromhex(annex["ID"]),
        )
    )
    cases += _cases_for(
        "card",
        bytes.fromhex(card["Pub"]),
        bytes.fromhex(card["Msg"]),
        base64.b64decode(card["Sig"]),
        bytes.fromhex(card["ID"]),
    )
    return cases


CORPUS = corpus()


def test_corpus_is_large_and_covers_every_reason() -> None:
    assert len(CORPUS) >= 5000
    assert {case[5] for case in CORPUS} == set(sm2.REASONS)


def _check(implementation: ModuleType, cases: list[Case]) -> None:
    wrong = []
    for label, key, message, signature, uid, expected in cases:
        reason = implementation.verify_reason(key, message, signature, uid=uid)
        accepted = implementation.verify(key, message, signature, uid=uid)
        if reason != expected or accepted:
            wrong.append(f"{label}: got {reason!r} (accepted={accepted}), expected {expected!r}")
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:5]}"


def test_compiled_rejects_every_case_with_its_reason(sm2_compiled: ModuleType) -> None:
    _check(sm2_compiled, CORPUS)


def test_pure_rejects_a_sample_with_its_reason() -> None:
    _check(_sm2_pure, CORPUS[::PURE_STRIDE])


def test_strict_der_parser_raises_only_value_error(sm2_impl: ModuleType) -> None:
    for _label, _key, _message, signature, _uid, reason in CORPUS:
        if reason == "sig_der":
            with pytest.raises(ValueError):
                sm2_impl.sig_from_der(signature)
