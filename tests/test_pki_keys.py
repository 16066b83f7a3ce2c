"""SM2 key encodings, round-tripped through the openssl command line in both directions."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core_ext import sm2
from core_ext.keys import (
    KeyPair,
    load_private_key,
    load_public_key,
    private_key_to_der,
    private_key_to_pem,
    public_key_from_hex,
    public_key_to_der,
    public_key_to_hex,
    public_key_to_pem,
    write_private_key,
)
from core_ext.pki import PKIError
from tests.openssl_cli import DISTID, openssl

MESSAGE = b'{"id": "DEC-2026-000001", "type": "dec.declaration"}'


@pytest.fixture
def openssl_key(tmp_path: Path) -> Path:
    openssl("genpkey -algorithm SM2 -out key.pem", cwd=tmp_path)
    openssl("pkey -in key.pem -pubout -out key.pub.pem", cwd=tmp_path)
    return tmp_path / "key.pem"


def test_openssl_keys_load_and_reencode_byte_identical(openssl_key: Path) -> None:
    private_pem = openssl_key.read_bytes()
    public_pem = openssl_key.with_name("key.pub.pem").read_bytes()
    private_key = load_private_key(private_pem)
    public_key = load_public_key(public_pem)
    assert sm2.public_key(private_key) == public_key
    assert private_key_to_pem(private_key) == private_pem
    assert public_key_to_pem(public_key) == public_pem


def test_openssl_der_and_sec1_forms_load(openssl_key: Path) -> None:
    cwd = openssl_key.parent
    openssl("pkcs8 -topk8 -nocrypt -in key.pem -outform DER -out key.der", cwd=cwd)
    openssl("pkey -in key.pem -pubout -outform DER -out pub.der", cwd=cwd)
    openssl("ec -in key.pem -out sec1.pem", cwd=cwd)
    # OpenSSL writes DER private keys in the traditional (SEC1) form.
    openssl("pkey -in key.pem -outform DER -out sec1.der", cwd=cwd)
    private_key = load_private_key(openssl_key.read_bytes())
    sec1_pem = (cwd / "sec1.pem").read_bytes()
    assert b"-----BEGIN SM2 PRIVATE KEY-----" in sec1_pem  # what OpenSSL 3.0 labels it
    ec_labelled = sec1_pem.replace(b"SM2 PRIVATE KEY", b"EC PRIVATE KEY")
    for form in (
        (cwd / "key.der").read_bytes(),
        sec1_pem,
        ec_labelled,
        (cwd / "sec1.der").read_bytes(),
    ):
        assert load_private_key(form) == private_key
    pub_der = (cwd / "pub.der").read_bytes()
    assert load_public_key(pub_der) == sm2.public_key(private_key)
    assert public_key_to_der(load_public_key(pub_der)) == pub_der
    assert private_key_to_der(private_key) == (cwd / "key.der").read_bytes()


def test_openssl_signature_verifies_with_loaded_public_key(openssl_key: Path) -> None:
    cwd = openssl_key.parent
    (cwd / "msg").write_bytes(MESSAGE)
    openssl(
        f"pkeyutl -sign -rawin -digest sm3 -pkeyopt {DISTID} -inkey key.pem -in msg -out sig",
        cwd=cwd,
    )
    public_key = load_public_key((cwd / "key.pub.pem").read_bytes())
    signature = (cwd / "sig").read_bytes()
    assert sm2.verify(public_key, MESSAGE, signature)
    assert not sm2.verify(public_key, MESSAGE + b" ", signature)


def test_our_keys_sign_and_verify_in_openssl(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    public_path = pair.save(tmp_path / "KEY.pem")
    assert public_path == tmp_path / "KEY.pub.pem"
    (tmp_path / "msg").write_bytes(MESSAGE)
    (tmp_path / "ours.sig").write_bytes(sm2.sig_to_der(sm2.sign(pair.private_key, MESSAGE)))
    verified = openssl(
        f"pkeyutl -verify -rawin -digest sm3 -pkeyopt {DISTID} "
        "-pubin -inkey KEY.pub.pem -in msg -sigfile ours.sig",
        cwd=tmp_path,
    )
    assert "Signature Verified Successfully" in verified
    openssl(
        "pkeyutl -sign -rawin -digest sm3 -pkeyopt "
        f"{DISTID} -inkey KEY.pem -in msg -out theirs.sig",
        cwd=tmp_path,
    )
    assert sm2.verify(pair.public_key, MESSAGE, (tmp_path / "theirs.sig").read_bytes())


def test_public_key_hex_round_trip() -> None:
    public_key = KeyPair.generate().public_key
    text = public_key_to_hex(public_key)
    assert len(text) == 130 and text == text.lower()
    assert public_key_from_hex(text.upper()) == public_key


@pytest.mark.parametrize(
    "text",
    ["", "04", "05" + "00" * 64, "04" + "00" * 64, "04" + "zz" * 64, "04 " + "00" * 64],
)
def test_public_key_hex_rejects(text: str) -> None:
    with pytest.raises(PKIError):
        public_key_from_hex(text)


def test_point_off_the_curve_is_refused_in_every_encoding() -> None:
    public_key = bytearray(KeyPair.generate().public_key)
    public_key[-1] ^= 1
    with pytest.raises(PKIError, match="not a point on the SM2 curve"):
        public_key_to_der(bytes(public_key))
    good_der = public_key_to_der(KeyPair.generate().public_key)
    with pytest.raises(PKIError, match="not a point on the SM2 curve"):
        load_public_key(good_der[:-1] + bytes([good_der[-1] ^ 1]))


@pytest.mark.parametrize(
    ("genpkey_args", "message"),
    [
        (("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"), "not an SM2 key"),
        (("-algorithm", "SM2", "-aes256", "-pass", "pass:x"), "encrypted private keys"),
    ],
)
def test_foreign_and_encrypted_keys_are_refused(
    tmp_path: Path, genpkey_args: tuple[str, ...], message: str
) -> None:
    openssl(f"genpkey {' '.join(genpkey_args)} -out key.pem", cwd=tmp_path)
    with pytest.raises(PKIError, match=message):
        load_private_key((tmp_path / "key.pem").read_bytes())


def test_embedded_public_key_must_match(openssl_key: Path) -> None:
    der = bytearray(private_key_to_der(load_private_key(openssl_key.read_bytes())))
    der[40] ^= 1  # inside the 32-byte scalar, which precedes the embedded point
    with pytest.raises(PKIError, match="does not match"):
        load_private_key(bytes(der))


def test_pem_must_hold_exactly_one_block_with_the_right_label(openssl_key: Path) -> None:
    pem = openssl_key.read_bytes()
    with pytest.raises(PKIError, match="one PEM block"):
        load_private_key(pem + pem)
    with pytest.raises(PKIError, match="unexpected PEM label"):
        load_public_key(pem)


def test_private_key_file_is_owner_only_and_not_overwritten(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    path = tmp_path / "admin.key"
    write_private_key(path, pair.private_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_private_key(path.read_bytes()) == pair.private_key
    with pytest.raises(FileExistsError):
        write_private_key(path, pair.private_key)


def test_overwriting_tightens_an_existing_files_mode(tmp_path: Path) -> None:
    path = tmp_path / "old.key"
    path.write_bytes(b"stale")
    path.chmod(0o644)
    private_key = KeyPair.generate().private_key
    write_private_key(path, private_key, overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_private_key(path.read_bytes()) == private_key


def test_key_pair_repr_hides_the_private_key() -> None:
    pair = KeyPair.generate()
    shown = repr(pair)
    assert repr(pair.private_key) not in shown and pair.private_key.hex() not in shown
    assert "public_key" in shown


@pytest.mark.parametrize("scalar", [b"\0" * 32, b"\xff" * 32, b"\x01" * 31])
def test_key_pair_rejects_out_of_range_scalars(scalar: bytes) -> None:
    with pytest.raises(PKIError):
        KeyPair(scalar)
