"""Hypothesis properties: sign -> verify round trips, and any mutation fails.

The compiled module runs many examples and now and then cross-checks with the
pure oracle both ways; the pure oracle (slow) runs a few examples on its own.
"""

from __future__ import annotations

from types import ModuleType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_ext import _sm2_pure

N = _sm2_pure.N
private_keys = st.integers(1, N - 2).map(lambda d: d.to_bytes(32, "big"))
messages = st.binary(max_size=300)
uids = st.one_of(st.just(b"1234567812345678"), st.binary(max_size=40))
many = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
few = settings(max_examples=8, deadline=None)


def _round_trip(sm2_impl: ModuleType, data: st.DataObject) -> None:
    private_key = data.draw(private_keys)
    message, uid = data.draw(messages), data.draw(uids)
    public_key = sm2_impl.public_key(private_key)
    signature = sm2_impl.sign(private_key, message, uid=uid)
    assert sm2_impl.verify_reason(public_key, message, signature, uid=uid) is None
    assert sm2_impl.verify(public_key[1:], message, sm2_impl.sig_to_der(signature), uid=uid)
    if sm2_impl is not _sm2_pure and data.draw(st.integers(0, 9)) == 0:  # slow oracle, sometimes
        assert _sm2_pure.verify(public_key, message, signature, uid=uid)
        oracle_signature = _sm2_pure.sign(private_key, message, uid=uid)
        assert sm2_impl.verify(public_key, message, oracle_signature, uid=uid)


def _flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def _mutation_fails(sm2_impl: ModuleType, data: st.DataObject) -> None:
    private_key = data.draw(private_keys)
    message, uid = data.draw(messages), data.draw(uids)
    public_key = sm2_impl.public_key(private_key)
    signature = sm2_impl.sign(private_key, message, uid=uid)
    target = data.draw(st.sampled_from(["message", "uid", "signature", "extend", "truncate"]))
    if target == "message":
        message = (
            _flip(message, data.draw(st.integers(0, 8 * len(message) - 1))) if message else b"x"
        )
    elif target == "uid":
        uid = _flip(uid, data.draw(st.integers(0, 8 * len(uid) - 1))) if uid else b"x"
    elif target == "signature":
        signature = _flip(signature, data.draw(st.integers(0, 511)))
    elif target == "extend":
        message += data.draw(st.binary(min_size=1, max_size=4))
    else:
        signature = signature[: data.draw(st.integers(0, 63))]
    assert not sm2_impl.verify(public_key, message, signature, uid=uid)


@given(data=st.data())
@many
def test_round_trip_compiled(sm2_compiled: ModuleType, data: st.DataObject) -> None:
    _round_trip(sm2_compiled, data)


@given(data=st.data())
@few
def test_round_trip_pure(data: st.DataObject) -> None:
    _round_trip(_sm2_pure, data)


@given(data=st.data())
@many
def test_any_mutation_fails_compiled(sm2_compiled: ModuleType, data: st.DataObject) -> None:
    _mutation_fails(sm2_compiled, data)


@given(data=st.data())
@few
def test_any_mutation_fails_pure(data: st.DataObject) -> None:
    _mutation_fails(_sm2_pure, data)


@given(raw=st.binary(min_size=64, max_size=64))
def test_der_round_trip(raw: bytes) -> None:
    from core_ext import sm2

    der = sm2.sig_to_der(raw)
    assert sm2.sig_from_der(der) == raw == _sm2_pure.sig_from_der(der)
    assert der == _sm2_pure.sig_to_der(raw)


@given(key=st.binary(max_size=70), signature=st.binary(max_size=80), uid=st.binary(max_size=20))
def test_hostile_bytes_never_raise(key: bytes, signature: bytes, uid: bytes) -> None:
    from core_ext import sm2

    assert sm2.verify_reason(key, b"message", signature, uid=uid) in sm2.REASONS
    try:
        raw = sm2.sig_from_der(signature)
    except ValueError:
        raw = None
    assert raw is None or len(raw) == 64
