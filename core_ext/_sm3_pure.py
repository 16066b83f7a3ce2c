"""SM3 (GB/T 32905-2016) in plain Python: the readable oracle for the compiled `_sm3`.

Written straight from the standard, for clarity rather than speed.
"""

from __future__ import annotations

import struct

__all__ = ["SM3", "digest"]

_IV = (
    0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600,
    0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E,
)  # fmt: skip
_MASK = 0xFFFFFFFF
_BLOCK = 64


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


def _p0(x: int) -> int:
    return x ^ _rotl(x, 9) ^ _rotl(x, 17)


def _p1(x: int) -> int:
    return x ^ _rotl(x, 15) ^ _rotl(x, 23)


def _compress(v: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    w = list(struct.unpack(">16I", block))
    for j in range(16, 68):
        w.append(_p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    w1 = [w[j] ^ w[j + 4] for j in range(64)]
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        t = 0x79CC4519 if j < 16 else 0x7A879D8A
        ss1 = _rotl((_rotl(a, 12) + e + _rotl(t, j)) & _MASK, 7)
        ss2 = ss1 ^ _rotl(a, 12)
        if j < 16:
            ff, gg = a ^ b ^ c, e ^ f ^ g
        else:
            ff, gg = (a & b) | (a & c) | (b & c), (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + w1[j]) & _MASK
        tt2 = (gg + h + ss1 + w[j]) & _MASK
        a, b, c, d = tt1, a, _rotl(b, 9), c
        e, f, g, h = _p0(tt2), e, _rotl(f, 19), g
    return tuple(x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h), strict=True))


class SM3:
    """Incremental SM3 with the hashlib-style interface of the compiled module."""

    digest_size = 32
    block_size = _BLOCK

    def __init__(self, data: bytes = b"") -> None:
        self._state: tuple[int, ...] = _IV
        self._buffer = b""
        self._length = 0
        self.update(data)

    def update(self, data: bytes) -> None:
        data = bytes(data)
        self._length += len(data)
        buffer = self._buffer + data
        full = len(buffer) - len(buffer) % _BLOCK
        for offset in range(0, full, _BLOCK):
            self._state = _compress(self._state, buffer[offset : offset + _BLOCK])
        self._buffer = buffer[full:]

    def digest(self) -> bytes:
        bit_length = self._length * 8
        tail = self._buffer + b"\x80" + b"\x00" * ((55 - self._length) % _BLOCK)
        tail += bit_length.to_bytes(8, "big")
        state = self._state
        for offset in range(0, len(tail), _BLOCK):
            state = _compress(state, tail[offset : offset + _BLOCK])
        return struct.pack(">8I", *state)

    def hexdigest(self) -> str:
        return self.digest().hex()

    def copy(self) -> SM3:
        clone = SM3()
        clone._state, clone._buffer, clone._length = self._state, self._buffer, self._length
        return clone


def digest(data: bytes) -> bytes:
    """Return the 32-byte SM3 digest of `data`."""
    return SM3(data).digest()
