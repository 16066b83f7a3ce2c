"""SM2 key encodings: PKCS#8 and SEC1 private keys, SubjectPublicKeyInfo and hex public keys.

Private keys are 32-byte big-endian scalars; public keys are 65-byte
uncompressed points ``04||X||Y``. The encodings are the ones OpenSSL 3.0
reads and writes for ``openssl genpkey -algorithm SM2`` / ``openssl pkey``:
algorithm id-ecPublicKey with the SM2 named curve as its parameter.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import keys

from core_ext import sm2
from core_ext.asn1_sm2 import SM2_CURVE, PKIError, der_from, hostile_input, load_strict, to_pem

# GB/T 32918.5 curve parameters, for checking that a decoded point is on the curve.
_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A = _P - 3
_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123

_HEX_DIGITS = frozenset(string.hexdigits)

PRIVATE_KEY_LABELS = ("PRIVATE KEY", "EC PRIVATE KEY", "SM2 PRIVATE KEY")


def check_public_key(public_key: bytes) -> bytes:
    """Return ``public_key`` if it is a 65-byte uncompressed point on the SM2 curve."""
    if len(public_key) != 65 or public_key[0] != 0x04:
        raise PKIError("public key must be a 65-byte uncompressed point 04||X||Y")
    x = int.from_bytes(public_key[1:33], "big")
    y = int.from_bytes(public_key[33:], "big")
    if x >= _P or y >= _P or (y * y - (x * x + _A) * x - _B) % _P:
        raise PKIError("public key is not a point on the SM2 curve")
    return public_key


def check_private_key(private_key: bytes) -> bytes:
    """Return ``private_key`` if it is 32 bytes in [1, n-2], the range SM2 signing allows."""
    if len(private_key) != 32 or not 1 <= int.from_bytes(private_key, "big") <= _N - 2:
        raise PKIError("private key must be 32 bytes in [1, n-2]")
    return private_key


def _curve() -> keys.ECDomainParameters:
    return keys.ECDomainParameters({"named": SM2_CURVE})


def _is_sm2(parameters: keys.ECDomainParameters | None) -> bool:
    return (
        parameters is not None
        and parameters.name == "named"
        and parameters.chosen.native == SM2_CURVE
    )


# --- public keys ---------------------------------------------------------------------


def public_key_to_der(public_key: bytes) -> bytes:
    """SubjectPublicKeyInfo DER, as ``openssl pkey -pubout -outform DER`` writes."""
    algorithm = keys.PublicKeyAlgorithm({"algorithm": "ec", "parameters": _curve()})
    info = keys.PublicKeyInfo({"algorithm": algorithm, "public_key": check_public_key(public_key)})
    der: bytes = info.dump()
    return der


def public_key_to_pem(public_key: bytes) -> bytes:
    return to_pem("PUBLIC KEY", public_key_to_der(public_key))


def public_key_from_info(info: keys.PublicKeyInfo) -> bytes:
    """The 65-byte point of a decoded SubjectPublicKeyInfo, checked to be an SM2 key."""
    with hostile_input("public key"):
        algorithm = info["algorithm"]
        if algorithm["algorithm"].native != "ec" or not _is_sm2(algorithm["parameters"]):
            raise PKIError("public key is not an SM2 key")
        point = bytes(info["public_key"].native)
    return check_public_key(point)


def load_public_key(data: bytes) -> bytes:
    """Read a PEM or DER SubjectPublicKeyInfo and return the 65-byte point."""
    _, der = der_from(data, ("PUBLIC KEY",), "public key")
    return public_key_from_info(load_strict(keys.PublicKeyInfo, der, "public key"))


def public_key_to_hex(public_key: bytes) -> str:
    return check_public_key(public_key).hex()


def public_key_from_hex(text: str) -> bytes:
    """Read the wire form ``04||X||Y`` in hex (either case)."""
    if not isinstance(text, str) or len(text) != 130 or not set(text) <= _HEX_DIGITS:
        raise PKIError("public key hex must be 130 hexadecimal digits")
    return check_public_key(bytes.fromhex(text))


# --- private keys --------------------------------------------------------------------


def _ec_private_key(private_key: bytes) -> keys.ECPrivateKey:
    inner = keys.ECPrivateKey(
        {
            "version": "ecPrivkeyVer1",
            "private_key": int.from_bytes(check_private_key(private_key), "big"),
            "public_key": sm2.public_key(private_key),
        }
    )
    inner.set_key_size(32)
    return inner


def private_key_to_der(private_key: bytes) -> bytes:
    """PKCS#8 PrivateKeyInfo DER, the layout ``openssl genpkey -algorithm SM2`` writes."""
    info = keys.PrivateKeyInfo(
        {
            "version": 0,
            "private_key_algorithm": {"algorithm": "ec", "parameters": _curve()},
            "private_key": _ec_private_key(private_key),
        }
    )
    der: bytes = info.dump()
    return der


def private_key_to_pem(private_key: bytes) -> bytes:
    return to_pem("PRIVATE KEY", private_key_to_der(private_key))


def _scalar_from_ec(inner: keys.ECPrivateKey, curve_known: bool) -> bytes:
    with hostile_input("private key"):
        if inner["version"].native != "ecPrivkeyVer1":
            raise PKIError("EC private key version must be 1")
        if not curve_known and not _is_sm2(inner["parameters"]):
            raise PKIError("private key is not an SM2 key")
        encoded = bytes(inner["private_key"].contents)
        embedded = inner["public_key"]
        point = None if embedded.native is None else bytes(embedded.native)
    # SEC1 fixes the width at 32 bytes; some encoders drop leading zero bytes anyway.
    if not 1 <= len(encoded) <= 32:
        raise PKIError("private key scalar must be at most 32 bytes")
    scalar = check_private_key(encoded.rjust(32, b"\0"))
    if point is not None and point != sm2.public_key(scalar):
        raise PKIError("private key does not match its embedded public key")
    return scalar


def _scalar_from_pkcs8(info: keys.PrivateKeyInfo) -> bytes:
    with hostile_input("private key"):
        if info["version"].native != 0:
            raise PKIError("PKCS#8 version must be 0")
        algorithm = info["private_key_algorithm"]
        if algorithm["algorithm"].native != "ec" or not _is_sm2(algorithm["parameters"]):
            raise PKIError("private key is not an SM2 key")
        inner = info["private_key"].parsed
    return _scalar_from_ec(inner, curve_known=True)


def _scalar_from_der(der: bytes) -> bytes:
    # PKCS#8 and SEC1 differ in structure (version 0 + algorithm vs version 1 + octets),
    # so whichever parses is the form; the other is never tried on a parsed key.
    try:
        info = load_strict(keys.PrivateKeyInfo, der, "private key")
    except PKIError:
        return _scalar_from_ec(load_strict(keys.ECPrivateKey, der, "private key"), False)
    return _scalar_from_pkcs8(info)


def load_private_key(data: bytes) -> bytes:
    """Read a PKCS#8 (PEM or DER) or SEC1 "EC/SM2 PRIVATE KEY" and return the 32-byte scalar.

    Encrypted keys are refused with ``PKIError``.
    """
    if isinstance(data, bytes) and b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data:
        raise PKIError("encrypted private keys are not supported; decrypt with openssl pkey")
    label, der = der_from(data, PRIVATE_KEY_LABELS, "private key")
    if label == "PRIVATE KEY":
        return _scalar_from_pkcs8(load_strict(keys.PrivateKeyInfo, der, "private key"))
    if label is not None:
        return _scalar_from_ec(load_strict(keys.ECPrivateKey, der, "private key"), False)
    return _scalar_from_der(der)


def write_private_key(path: Path, private_key: bytes, *, overwrite: bool = False) -> None:
    """Write PKCS#8 PEM readable only by its owner (created 0600, never group/world readable)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        # An existing file keeps its old mode under O_TRUNC: tighten it before writing.
        os.fchmod(out.fileno(), 0o600)
        out.write(private_key_to_pem(private_key))


@dataclass(frozen=True)
class KeyPair:
    """An SM2 key pair; the public key is derived, and ``repr`` never shows the private one."""

    private_key: bytes = field(repr=False)
    public_key: bytes = field(init=False)

    def __post_init__(self) -> None:
        check_private_key(self.private_key)
        object.__setattr__(self, "public_key", sm2.public_key(self.private_key))

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(sm2.generate_private_key())

    @classmethod
    def load(cls, data: bytes) -> KeyPair:
        """Read any private key form ``load_private_key`` accepts."""
        return cls(load_private_key(data))

    def save(self, path: Path, *, overwrite: bool = False) -> Path:
        """Write ``path`` (private, 0600) and ``<stem>.pub.pem`` beside it; return the latter."""
        public_path = path.with_name(f"{path.stem}.pub.pem")
        write_private_key(path, self.private_key, overwrite=overwrite)
        public_path.write_bytes(public_key_to_pem(self.public_key))
        return public_path
