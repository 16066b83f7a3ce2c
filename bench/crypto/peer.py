"""The SM2 implementation that exchanges signatures with BouncyCastle (a correctness guard).

Ours when core_ext.sm2 is importable; until it is, gmssl stands in so the exchange
itself (encoding, uid, ZA) is still exercised.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass

from bench.crypto import gmssl_ref
from bench.crypto.dataset import MESSAGE_SIZE, Signed
from bench.crypto.ours import Sm2


@dataclass(frozen=True)
class Peer:
    name: str
    sample: Signed  # a signature of the peer's, for the reference to verify
    verify: Callable[[Signed], bool]


def ours(sm2: Sm2, sample: Signed) -> Peer:
    return Peer(
        "core_ext.sm2",
        sample,
        lambda signed: sm2.verify(signed.public_key, signed.message, signed.signature),
    )


def gmssl() -> Peer:
    private_hex, public_hex = gmssl_ref.keypair()
    message = os.urandom(MESSAGE_SIZE)
    signature = gmssl_ref.sign(private_hex, public_hex, message)
    return Peer(
        "gmssl",
        Signed(bytes.fromhex("04" + public_hex), message, signature),
        lambda signed: gmssl_ref.verify(signed.public_key, signed.message, signed.signature),
    )
