"""Signing for the corpus, in worker processes: a document's bytes are signed and
spliced verbatim into the envelope (PROTOCOL.md §2, as ``gateway.client.Signer``
does; repeated here so that workers import nothing but SM2).
"""

from __future__ import annotations

import base64
import multiprocessing
from collections.abc import Sequence
from multiprocessing.pool import Pool

from core_ext import sm2

SignTask = tuple[bytes, int, bool]  # document bytes, card number, corrupt the signature
_keys: list[bytes] = []


def envelope(doc: bytes, signature: bytes, cert: str) -> bytes:
    return (b'{"doc":' + doc + b',"sig":"' + base64.b64encode(signature) + b'","cert":"'
            + cert.encode() + b'"}')


def _init(keys: list[bytes]) -> None:
    _keys[:] = keys


def sign(task: SignTask) -> bytes:
    """The raw r||s signature; a corrupt one has its last byte flipped, so it is
    well-formed but does not verify."""
    doc, card, corrupt = task
    signature = sm2.sign(_keys[card], doc)
    if corrupt:
        signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
    return signature


def signing_pool(keys: Sequence[bytes], processes: int) -> Pool:
    # fork: workers inherit the imported modules, so they start at once.
    return multiprocessing.get_context("fork").Pool(processes, _init, (list(keys),))
