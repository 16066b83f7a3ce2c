"""Signed messages for the verify timings, built before any clock starts."""

import os
from dataclasses import dataclass
from typing import Protocol

MESSAGE_SIZE = 20  # what `openssl speed sm2` signs, so per-call work is comparable


class Signer(Protocol):
    """The part of core_ext.sm2 needed to build data."""

    def generate_private_key(self) -> bytes: ...
    def public_key(self, private_key: bytes) -> bytes: ...
    def sign(self, private_key: bytes, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class Signed:
    public_key: bytes
    message: bytes
    signature: bytes


def build(signer: Signer, count: int) -> list[Signed]:
    """`count` signatures, each by its own fresh key over its own random message."""
    items = []
    for _ in range(count):
        private_key, message = signer.generate_private_key(), os.urandom(MESSAGE_SIZE)
        items.append(
            Signed(signer.public_key(private_key), message, signer.sign(private_key, message))
        )
    return items
