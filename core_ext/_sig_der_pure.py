"""Strict DER codec for SM2 signatures, in plain Python (the oracle for `_sm2`'s C parser).

A signature is `SEQUENCE { INTEGER r, INTEGER s }` with r, s < 2^256. Every length
fits the short form (at most 72 bytes in all), so any long-form length, indefinite
length, non-minimal or negative integer, or trailing byte is rejected.
"""

from __future__ import annotations

__all__ = ["decode", "encode"]

_SEQUENCE = 0x30
_INTEGER = 0x02


def _encode_integer(value: bytes) -> bytes:
    body = value.lstrip(b"\x00") or b"\x00"
    if body[0] & 0x80:
        body = b"\x00" + body
    return bytes((_INTEGER, len(body))) + body


def encode(raw: bytes) -> bytes:
    """DER-encode a raw 64-byte r||s signature."""
    raw = bytes(memoryview(raw))
    if len(raw) != 64:
        raise ValueError("a raw SM2 signature is exactly 64 bytes")
    content = _encode_integer(raw[:32]) + _encode_integer(raw[32:])
    return bytes((_SEQUENCE, len(content))) + content


def _decode_integer(der: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 2 > len(der) or der[offset] != _INTEGER:
        raise ValueError("expected a DER INTEGER")
    length = der[offset + 1]
    start, end = offset + 2, offset + 2 + length
    if length == 0 or length > 33 or end > len(der):
        raise ValueError("bad INTEGER length")
    body = der[start:end]
    if body[0] & 0x80:
        raise ValueError("negative INTEGER")
    if length > 1 and body[0] == 0 and not body[1] & 0x80:
        raise ValueError("non-minimal INTEGER")
    if length == 33 and body[0] != 0:
        raise ValueError("INTEGER larger than 256 bits")
    return body[-32:].rjust(32, b"\x00"), end


def decode(der: bytes) -> bytes:
    """Parse a strict-DER signature into raw 64-byte r||s; ValueError if not strict DER."""
    der = bytes(memoryview(der))
    if len(der) < 2 or der[0] != _SEQUENCE or der[1] != len(der) - 2 or der[1] >= 0x80:
        raise ValueError("expected a short-form DER SEQUENCE spanning the whole input")
    r, offset = _decode_integer(der, 2)
    s, offset = _decode_integer(der, offset)
    if offset != len(der):
        raise ValueError("trailing bytes inside the SEQUENCE")
    return r + s
