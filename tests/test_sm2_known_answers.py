"""GB/T 32918.5 Annex A and a real E-port IC-card signature, on both implementations."""

from __future__ import annotations

import base64
import os
from types import ModuleType

import pytest

from core_ext import _sm2_pure, _sm3_pure
from tests.kat import load

ANNEX_A = load("sm2_sign.txt")[0]
CARD = load("sm2_eport_card.txt")[0]


def test_annex_a_public_key_and_za(sm2_impl: ModuleType) -> None:
    private_key = bytes.fromhex(ANNEX_A["D"])
    public_key = sm2_impl.public_key(private_key)
    assert public_key == b"\x04" + bytes.fromhex(ANNEX_A["Pub"])
    assert sm2_impl.za(public_key, bytes.fromhex(ANNEX_A["ID"])).hex() == ANNEX_A["Za"]


def test_annex_a_digest_e() -> None:
    za, message = bytes.fromhex(ANNEX_A["Za"]), bytes.fromhex(ANNEX_A["Msg"])
    assert _sm3_pure.digest(za + message).hex() == ANNEX_A["E"]


def test_annex_a_signature_with_the_given_nonce(sm2_impl: ModuleType) -> None:
    signature = sm2_impl._sign_with_nonce_for_tests(
        bytes.fromhex(ANNEX_A["D"]),
        bytes.fromhex(ANNEX_A["Msg"]),
        bytes.fromhex(ANNEX_A["K"]),
        uid=bytes.fromhex(ANNEX_A["ID"]),
    )
    assert signature.hex() == ANNEX_A["R"] + ANNEX_A["S"]


@pytest.mark.parametrize("form", ["raw", "der"])
def test_annex_a_signature_verifies(sm2_impl: ModuleType, form: str) -> None:
    raw = bytes.fromhex(ANNEX_A["R"] + ANNEX_A["S"])
    signature = raw if form == "raw" else sm2_impl.sig_to_der(raw)
    public_key = bytes.fromhex(ANNEX_A["Pub"])
    message = bytes.fromhex(ANNEX_A["Msg"])
    for _ in range(3):  # first sight, table build, cached table
        assert sm2_impl.verify_reason(public_key, message, signature) is None
        assert sm2_impl.verify_reason(public_key, message + b"!", signature) == "sig_mismatch"


def test_eport_card_signature(sm2_impl: ModuleType) -> None:
    public_key = b"\x04" + bytes.fromhex(CARD["Pub"])
    message = bytes.fromhex(CARD["Msg"])
    signature = base64.b64decode(CARD["Sig"])
    assert CARD["Valid"] == "true" and len(signature) == 64
    assert sm2_impl.verify(public_key, message, signature, uid=bytes.fromhex(CARD["ID"]))
    assert sm2_impl.verify(public_key, message, signature)  # the ID is the default uid
    assert sm2_impl.verify_reason(public_key, message, signature, uid=b"") == "sig_mismatch"
    assert not sm2_impl.verify(public_key, message, signature, uid=b"1234567812345679")


def test_sign_verifies_and_is_randomised(sm2_impl: ModuleType) -> None:
    private_key = bytes.fromhex(ANNEX_A["D"])
    public_key = sm2_impl.public_key(private_key)
    first, second = (sm2_impl.sign(private_key, b"doc") for _ in range(2))
    assert first != second
    assert sm2_impl.verify(public_key, b"doc", first)
    assert sm2_impl.verify(public_key, b"doc", sm2_impl.sig_to_der(second))


@pytest.mark.parametrize("uid", [None, b"", b"ALICE123@YAHOO.COM"])
def test_hedged_signature_is_the_pure_one_for_the_same_random_bytes(
    sm2_compiled: ModuleType, monkeypatch: pytest.MonkeyPatch, uid: bytes | None
) -> None:
    """The compiled signer keeps Z_A and the nonce's HMAC key blocks per key; with
    the same 32 random bytes it must give the pure signer's bytes exactly."""
    private_key = bytes.fromhex(ANNEX_A["D"])
    extra = {} if uid is None else {"uid": uid}
    for message in (b"", b"doc", bytes(range(256)) * 3):
        fixed = os.urandom(32)
        with monkeypatch.context() as patch:
            patch.setattr(os, "urandom", lambda size, fixed=fixed: fixed[:size])
            compiled = sm2_compiled.sign(private_key, message, **extra)
            pure = _sm2_pure.sign(private_key, message, **extra)
        assert compiled == pure


def test_generated_private_keys_are_valid(sm2_impl: ModuleType) -> None:
    keys = {sm2_impl.generate_private_key() for _ in range(5)}
    assert len(keys) == 5
    for key in keys:
        assert len(key) == 32 and len(sm2_impl.public_key(key)) == 65


@pytest.mark.parametrize(
    "private_key",
    [
        b"",
        bytes(32),
        bytes.fromhex("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122"),
        b"\xff" * 32,
        b"\x01" * 31,
    ],
)
def test_invalid_private_keys_raise_value_error(sm2_impl: ModuleType, private_key: bytes) -> None:
    with pytest.raises(ValueError):
        sm2_impl.public_key(private_key)
    with pytest.raises(ValueError):
        sm2_impl.sign(private_key, b"doc")


def test_za_rejects_bad_keys_and_long_uids(sm2_impl: ModuleType) -> None:
    public_key = bytes.fromhex(ANNEX_A["Pub"])
    with pytest.raises(ValueError):
        sm2_impl.za(public_key[:-1])
    with pytest.raises(ValueError):
        sm2_impl.za(public_key, b"u" * 8192)
    assert len(sm2_impl.za(public_key, b"u" * 8191)) == 32
