"""Receipts and events as bytes (PROTOCOL.md §3).

A receipt's signature covers the exact bytes of its ``receipt`` member; the
envelope splices those bytes verbatim, as clients do with documents. Encoding is
deterministic (fixed member order), so the stored bytes are the only truth and a
replay returns them unchanged.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import msgspec


class ReceiptBody(msgspec.Struct, omit_defaults=True, kw_only=True):
    doc_id: str
    sender: str
    type: str
    status: str
    code: str
    message: str
    path: str | None = None
    ref: dict[str, Any]
    received_at: str
    seq: int
    doc_sm3: str
    cert: str


_encoder = msgspec.json.Encoder()


def encode_body(body: ReceiptBody) -> bytes:
    return _encoder.encode(body)


def envelope(body: bytes, signature: bytes, cert: str) -> bytes:
    sig = base64.b64encode(signature)
    return b'{"receipt":' + body + b',"sig":"' + sig + b'","cert":"' + cert.encode() + b'"}'


class _ReceiptEnvelope(msgspec.Struct, forbid_unknown_fields=True):
    receipt: msgspec.Raw
    sig: str
    cert: str


@dataclass(frozen=True, slots=True)
class OpenedReceipt:
    body: ReceiptBody
    body_bytes: bytes
    signature: bytes
    cert: str


_opener = msgspec.json.Decoder(_ReceiptEnvelope)


def open_envelope(data: bytes) -> OpenedReceipt:
    """Split a receipt envelope into its signed bytes, signature and decoded body."""
    outer = _opener.decode(data)
    body_bytes = bytes(outer.receipt)
    body = msgspec.json.decode(body_bytes, type=ReceiptBody)
    return OpenedReceipt(body, body_bytes, base64.b64decode(outer.sig, validate=True), outer.cert)
