"""The gmssl package (pure-Python SM2) as a reference: slow, so only a few calls are timed."""

import os
import secrets
from dataclasses import dataclass

from gmssl import sm2 as gmssl_sm2

from bench.timing import rate

CURVE = gmssl_sm2.default_ecc_table
ORDER = int(CURVE["n"], 16)


@dataclass(frozen=True)
class GmsslSpeed:
    sign_per_second: float
    verify_per_second: float


def _crypt(private_hex: str, public_xy_hex: str) -> gmssl_sm2.CryptSM2:
    crypt = gmssl_sm2.CryptSM2(private_key=private_hex, public_key="")
    # Set after construction: the constructor's public_key.lstrip("04") would also eat
    # the leading 0 and 4 digits of an x coordinate that follows the 04 prefix.
    crypt.public_key = public_xy_hex
    return crypt


def keypair() -> tuple[str, str]:
    """A random (private key hex, public key x||y hex) pair."""
    private = secrets.randbelow(ORDER - 2) + 1
    public_xy: str = _crypt("", "")._kg(private, CURVE["g"])
    return f"{private:064x}", public_xy


def sign(private_hex: str, public_xy_hex: str, message: bytes) -> bytes:
    """Raw r||s over `message` with the default uid (gmssl's ZA always uses it)."""
    crypt = _crypt(private_hex, public_xy_hex)
    while True:  # gmssl returns None for the rare nonce that gives r = 0 or s = 0
        signature: str | None = crypt.sign_with_sm3(message)
        if signature:
            return bytes.fromhex(signature)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Verify raw r||s; `public_key` is 04||x||y or x||y."""
    crypt = _crypt("", public_key[-64:].hex())
    return bool(crypt.verify_with_sm3(signature.hex(), message))


def speed(seconds: float) -> GmsslSpeed:
    """sign/s and verify/s (each call takes milliseconds, so quick mode makes few)."""
    private_hex, public_hex = keypair()
    public_key, message = bytes.fromhex("04" + public_hex), os.urandom(20)
    signature = sign(private_hex, public_hex, message)

    def verifies(n: int) -> None:
        for _ in range(n):
            if not verify(public_key, message, signature):
                raise RuntimeError("gmssl rejected its own signature")

    def signs(n: int) -> None:
        for _ in range(n):
            sign(private_hex, public_hex, message)

    return GmsslSpeed(rate(signs, seconds), rate(verifies, seconds))
