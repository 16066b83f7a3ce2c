"""Differential test against OpenSSL's command line and the gmssl package.

For EPORT_DIFF_N random (key, message, uid) cases (default 100; seed EPORT_DIFF_SEED,
default 0): OpenSSL's and gmssl's signatures must verify with ours (compiled; the pure
oracle every 10th case), and ours must verify with OpenSSL and gmssl. The full run:

    EPORT_DIFF_N=5000 EPORT_DIFF_SEED=1 python -m pytest -q tests/test_sm2_differential.py &
    EPORT_DIFF_N=5000 EPORT_DIFF_SEED=2 python -m pytest -q tests/test_sm2_differential.py

The key files use the fixed DER layouts OpenSSL itself writes for SM2 keys
(PKCS#8 PrivateKeyInfo and SubjectPublicKeyInfo, curve OID 1.2.156.10197.1.301).
"""

from __future__ import annotations

import base64
import os
import random
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from gmssl import sm2 as gmssl_sm2

from core_ext import _sm2_pure, _sm3_pure

DEFAULT_UID = b"1234567812345678"
CASES = int(os.environ.get("EPORT_DIFF_N", "100"))
SEED = int(os.environ.get("EPORT_DIFF_SEED", "0"))
_ALGORITHM = bytes.fromhex("301306072a8648ce3d020106082a811ccf5501822d")  # ecPublicKey, SM2

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"\n".join(
        [f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode(), b""]
    )


def _pkcs8(private_key: bytes, public_key: bytes) -> bytes:
    ec_key = (
        bytes.fromhex("306b0201010420") + private_key + bytes.fromhex("a144034200") + public_key
    )
    return _pem("PRIVATE KEY", bytes.fromhex("308187020100") + _ALGORITHM + b"\x04\x6d" + ec_key)


def _spki(public_key: bytes) -> bytes:
    return _pem("PUBLIC KEY", b"\x30\x59" + _ALGORITHM + b"\x03\x42\x00" + public_key)


class OpenSSL:
    """`openssl pkeyutl` on files in one scratch directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _run(self, *arguments: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["openssl", "pkeyutl", *arguments], cwd=self.directory, capture_output=True, check=False
        )

    def _files(self, message: bytes, **pems: bytes) -> None:
        (self.directory / "message").write_bytes(message)
        for name, pem in pems.items():
            (self.directory / name).write_bytes(pem)

    def sign(self, private_key: bytes, public_key: bytes, message: bytes, uid: bytes) -> bytes:
        self._files(message, key=_pkcs8(private_key, public_key))
        result = self._run(
            "-sign",
            "-inkey",
            "key",
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            f"hexdistid:{uid.hex()}",
            "-in",
            "message",
            "-out",
            "signature",
        )
        assert result.returncode == 0, result.stderr
        return (self.directory / "signature").read_bytes()

    def verify(self, public_key: bytes, message: bytes, signature: bytes, uid: bytes) -> bool:
        self._files(message, pub=_spki(public_key))
        (self.directory / "signature").write_bytes(signature)
        result = self._run(
            "-verify",
            "-pubin",
            "-inkey",
            "pub",
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            f"hexdistid:{uid.hex()}",
            "-in",
            "message",
            "-sigfile",
            "signature",
        )
        return result.returncode == 0 and b"Verified Successfully" in result.stdout


class Gmssl:
    """gmssl.sm2.CryptSM2 (raw r||s as hex). Its *_with_sm3 helpers hard-code the
    default uid, so for other uids it signs and verifies e = SM3(Z_A || M) with Z_A
    from our pure oracle."""

    def __init__(self, private_key: bytes, public_key: bytes, rng: random.Random) -> None:
        self.crypt = gmssl_sm2.CryptSM2(private_key=private_key.hex(), public_key="")
        # set after construction: CryptSM2 strips a "04" prefix with str.lstrip("04"),
        # which also eats leading '0' and '4' digits of X
        self.crypt.public_key = public_key[1:].hex()
        self.public_key, self.rng = public_key, rng

    def _digest(self, message: bytes, uid: bytes) -> bytes:
        return _sm3_pure.digest(_sm2_pure.za(self.public_key, uid) + message)

    def sign(self, message: bytes, uid: bytes) -> bytes:
        while True:
            nonce = f"{self.rng.randrange(1, _sm2_pure.N):064x}"
            if uid == DEFAULT_UID:
                signature = self.crypt.sign_with_sm3(message, nonce)
            else:
                signature = self.crypt.sign(self._digest(message, uid), nonce)
            if signature is not None:  # gmssl returns None for the rare rejected nonce
                return bytes.fromhex(signature)

    def verify(self, message: bytes, signature: bytes, uid: bytes) -> bool:
        if uid == DEFAULT_UID:
            return bool(self.crypt.verify_with_sm3(signature.hex(), message))
        return bool(self.crypt.verify(signature.hex(), self._digest(message, uid)))


def _disagreements(case: int, rng: random.Random, openssl: OpenSSL, ours: ModuleType) -> list[str]:
    private_key = rng.randrange(1, _sm2_pure.N - 1).to_bytes(32, "big")
    message = rng.randbytes(rng.randrange(0, 300))
    uid = DEFAULT_UID if rng.random() < 0.4 else rng.randbytes(rng.randrange(1, 33))
    public_key = ours.public_key(private_key)
    gmssl = Gmssl(private_key, public_key, rng)
    found = []
    checks = [
        (
            "openssl signature, ours",
            ours.verify,
            openssl.sign(private_key, public_key, message, uid),
        ),
        ("gmssl signature, ours", ours.verify, gmssl.sign(message, uid)),
    ]
    if case % 10 == 0:
        checks += [(f"{label} (pure)", _sm2_pure.verify, sig) for label, _, sig in checks]
    for label, verify, signature in checks:
        if not verify(public_key, message, signature, uid=uid):
            found.append(label)
    our_signature = ours.sign(private_key, message, uid=uid)
    if not openssl.verify(public_key, message, ours.sig_to_der(our_signature), uid):
        found.append("our signature, openssl")
    if not gmssl.verify(message, our_signature, uid):
        found.append("our signature, gmssl")
    return [f"case {case} (d={private_key.hex()}, uid={uid.hex()}): {label}" for label in found]


def test_openssl_and_gmssl_agree_with_us(sm2_compiled: ModuleType, tmp_path: Path) -> None:
    rng, openssl = random.Random(SEED), OpenSSL(tmp_path)
    disagreements = []
    for case in range(CASES):
        disagreements += _disagreements(case, rng, openssl, sm2_compiled)
    print(f"differential: {CASES} cases (seed {SEED}), {len(disagreements)} disagreements")
    assert not disagreements


def test_openssl_and_gmssl_verify_what_a_presigner_signs(
    sm2_compiled: ModuleType, tmp_path: Path
) -> None:
    """150 nonces prepared at once: the C code makes them in chunks of 64 (two full
    chunks and part of a third), each chunk's points made affine together."""
    rng, openssl = random.Random(SEED), OpenSSL(tmp_path)
    private_key = rng.randrange(1, _sm2_pure.N - 1).to_bytes(32, "big")
    public_key = sm2_compiled.public_key(private_key)
    gmssl = Gmssl(private_key, public_key, rng)
    presigner = sm2_compiled.Presigner(private_key, 150)
    assert presigner.prepare(150) == 150
    for uid in (DEFAULT_UID, rng.randbytes(20)):
        messages = [rng.randbytes(rng.randrange(0, 300)) for _ in range(75)]
        signatures = presigner.sign_many(messages, uid=uid)
        assert all(gmssl.verify(m, s, uid) for m, s in zip(messages, signatures, strict=True))
        assert all(openssl.verify(public_key, m, sm2_compiled.sig_to_der(s), uid)
                   for m, s in list(zip(messages, signatures, strict=True))[:3])


def test_openssl_rejects_a_tampered_signature_of_ours(
    sm2_compiled: ModuleType, tmp_path: Path
) -> None:
    private_key = sm2_compiled.generate_private_key()
    public_key = sm2_compiled.public_key(private_key)
    signature = sm2_compiled.sig_to_der(sm2_compiled.sign(private_key, b"doc"))
    openssl = OpenSSL(tmp_path)
    assert openssl.verify(public_key, b"doc", signature, DEFAULT_UID)
    assert not openssl.verify(public_key, b"doc!", signature, DEFAULT_UID)
    assert not openssl.verify(public_key, b"doc", signature, b"other uid")
