"""SM2 (GB/T 32918) in plain Python: the readable, obviously correct oracle for `_sm2`.

Affine points, Python integers, `pow(x, -1, m)` for inverses; nothing here is fast or
constant-time, which is why production refuses to run on it (see `sm2.require_compiled`).
The reasons and their order are the ones documented in `core_ext.sm2`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator

from core_ext import _sig_der_pure
from core_ext._sm3_pure import digest as sm3

__all__ = [
    "DEFAULT_UID",
    "generate_private_key",
    "public_key",
    "sig_from_der",
    "sig_to_der",
    "sign",
    "verify",
    "verify_batch",
    "verify_reason",
    "za",
]

DEFAULT_UID = b"1234567812345678"

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = P - 3
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)
MAX_UID_BYTES = 0xFFFF // 8  # ENTL is the uid's length in bits, on 16 bits

Point = tuple[int, int] | None  # None is the point at infinity

sig_to_der = _sig_der_pure.encode
sig_from_der = _sig_der_pure.decode


def _add(p1: Point, p2: Point) -> Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        slope = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def _multiply(k: int, point: Point) -> Point:
    result: Point = None
    for bit in bin(k)[2:]:
        result = _add(result, result)
        if bit == "1":
            result = _add(result, point)
    return result


def _encode_point(point: tuple[int, int]) -> bytes:
    return b"\x04" + point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def _parse_public_key(key: bytes) -> tuple[int, int] | str:
    if len(key) == 65:
        if key[0] != 0x04:
            return "key_prefix"
        key = key[1:]
    elif len(key) != 64:
        return "key_length"
    x, y = int.from_bytes(key[:32], "big"), int.from_bytes(key[32:], "big")
    if x >= P or y >= P:
        return "key_coordinate_range"
    if x == 0 and y == 0:
        return "key_infinity"
    if (y * y - (x * x * x + A * x + B)) % P:
        return "key_not_on_curve"
    return x, y


def _za_of_point(point: tuple[int, int], uid: bytes) -> bytes:
    curve = b"".join(v.to_bytes(32, "big") for v in (A, B, *G))
    return sm3((len(uid) * 8).to_bytes(2, "big") + uid + curve + _encode_point(point)[1:])


def _valid_key(public_key: bytes) -> tuple[int, int]:
    point = _parse_public_key(bytes(memoryview(public_key)))
    if isinstance(point, str):
        raise ValueError(f"invalid SM2 public key: {point}")
    return point


def za(public_key: bytes, uid: bytes = DEFAULT_UID) -> bytes:
    """Z_A = SM3(ENTL || uid || a || b || xG || yG || xA || yA); ValueError on a bad key."""
    uid = bytes(memoryview(uid))
    if len(uid) > MAX_UID_BYTES:
        raise ValueError("uid longer than 8191 bytes")
    return _za_of_point(_valid_key(public_key), uid)


def _parse_signature(signature: bytes) -> tuple[int, int] | str:
    if len(signature) != 64:
        if not 8 <= len(signature) <= 72:
            return "sig_length"
        try:
            signature = sig_from_der(signature)
        except ValueError:
            return "sig_der"
    return int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")


def verify_reason(
    public_key: bytes, message: bytes, signature: bytes, *, uid: bytes = DEFAULT_UID
) -> str | None:
    """None if `signature` is a valid SM2 signature of `message`, else the reason name."""
    key, message = bytes(memoryview(public_key)), bytes(memoryview(message))
    signature, uid = bytes(memoryview(signature)), bytes(memoryview(uid))
    point = _parse_public_key(key)
    if isinstance(point, str):
        return point
    if len(uid) > MAX_UID_BYTES:
        return "uid_length"
    rs = _parse_signature(signature)
    if isinstance(rs, str):
        return rs
    r, s = rs
    if not (1 <= r < N and 1 <= s < N):
        return "sig_range"
    t = (r + s) % N
    if t == 0:
        return "sig_r_plus_s_zero"
    e = int.from_bytes(sm3(_za_of_point(point, uid) + message), "big")
    sum_point = _add(_multiply(s, G), _multiply(t, point))
    if sum_point is None or (e + sum_point[0]) % N != r:
        return "sig_mismatch"
    return None


def verify(
    public_key: bytes, message: bytes, signature: bytes, *, uid: bytes = DEFAULT_UID
) -> bool:
    """True only for a valid signature; never raises on bad bytes."""
    return verify_reason(public_key, message, signature, uid=uid) is None


def verify_batch(items: Iterable[tuple[bytes, bytes, bytes]]) -> list[bool]:
    """verify() over (public_key, message, signature) tuples, with the default uid."""
    return [verify(key, message, signature) for key, message, signature in items]


def _private_scalar(private_key: bytes) -> int:
    private_key = bytes(memoryview(private_key))
    d = int.from_bytes(private_key, "big")
    if len(private_key) != 32 or not 1 <= d <= N - 2:
        raise ValueError("an SM2 private key is 32 bytes, big-endian, in [1, n-2]")
    return d


def public_key(private_key: bytes) -> bytes:
    """The 65-byte uncompressed public key 04||X||Y of `private_key`."""
    point = _multiply(_private_scalar(private_key), G)
    assert point is not None  # d in [1, n-2] is never a multiple of the group order
    return _encode_point(point)


def generate_private_key() -> bytes:
    """A fresh private key from os.urandom, uniform in [1, n-2]."""
    while True:
        candidate = os.urandom(32)
        if 1 <= int.from_bytes(candidate, "big") <= N - 2:
            return candidate


def _hmac_sm3(key: bytes, message: bytes) -> bytes:
    key = key.ljust(64, b"\x00")
    inner = sm3(bytes(b ^ 0x36 for b in key) + message)
    return sm3(bytes(b ^ 0x5C for b in key) + inner)


def _hmac_nonces(d: int, seed: bytes) -> Iterator[int]:
    """HMAC-SM3(d, seed || counter) for counter = 0, 1, ..., rejection-sampled to [1, n-1]."""
    key, counter = d.to_bytes(32, "big"), 0
    while True:
        candidate = int.from_bytes(_hmac_sm3(key, seed + counter.to_bytes(4, "big")), "big")
        counter += 1
        if 1 <= candidate < N:
            yield candidate


def _nonces(d: int, e: int) -> Iterator[int]:
    """Hedged nonces: HMAC-SM3(d, e || 32 fresh random bytes || counter)."""
    return _hmac_nonces(d, e.to_bytes(32, "big") + os.urandom(32))


def _x1(k: int) -> int:
    """x(kG) mod n, for k in [1, n-1] (never the point at infinity)."""
    return _multiply(k, G)[0] % N  # type: ignore[index]


def _sign_with(d: int, e: int, k: int, x1: int) -> bytes | None:
    """The signature of digest e with nonce k and x1 = x(kG) mod n; None if this nonce
    must be rejected (r = 0, r + k = n or s = 0)."""
    r = (e + x1) % N
    if r == 0 or r + k == N:
        return None
    s = pow(1 + d, -1, N) * (k - r * d) % N
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") if s else None


def _sign_digest(d: int, e: int, nonces: Iterable[int]) -> bytes:
    for k in nonces:
        signature = _sign_with(d, e, k, _x1(k))
        if signature:
            return signature
    raise ValueError("nonce source exhausted")


def _message_digest(d: int, message: bytes, uid: bytes) -> int:
    point = _multiply(d, G)
    assert point is not None
    return int.from_bytes(sm3(za(_encode_point(point), uid) + bytes(memoryview(message))), "big")


def sign(private_key: bytes, message: bytes, *, uid: bytes = DEFAULT_UID) -> bytes:
    """Sign `message` (hedged random nonce); returns the 64-byte raw r||s."""
    d = _private_scalar(private_key)
    e = _message_digest(d, message, uid)
    return _sign_digest(d, e, _nonces(d, e))


class Presigner:
    """Nonces prepared ahead of the messages, as the compiled Presigner: here they only
    let the known-answer and cross checks run against the pure oracle too."""

    def __init__(self, private_key: bytes, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("capacity must not be negative")
        self._d = _private_scalar(private_key)
        self.capacity = capacity
        self._pool: list[tuple[int, int]] = []
        self._made = 0
        self._lock = threading.Lock()

    @property
    def available(self) -> int:
        return len(self._pool)

    def prepare(self, count: int) -> int:
        """Make up to `count` nonces, as many as there is room for; return how many."""
        with self._lock:
            return self._prepare(count)

    def _prepare(self, count: int) -> int:
        count = max(0, min(count, self.capacity - len(self._pool)))
        moment = time.time_ns().to_bytes(8, "big")
        for _ in range(count):
            seed = os.urandom(32) + self._made.to_bytes(8, "big") + moment
            self._made += 1
            k = next(_hmac_nonces(self._d, seed))
            self._pool.append((k, _x1(k)))
        return count

    def sign_many(self, messages: Iterable[bytes], *, uid: bytes = DEFAULT_UID) -> list[bytes]:
        """sign() over each of `messages`, each with a prepared nonce while any is left."""
        signatures = []
        for message in list(messages):
            e = _message_digest(self._d, message, uid) % N
            prepared = self._take()
            signature = _sign_with(self._d, e, *prepared) if prepared else None
            signatures.append(signature or _sign_digest(self._d, e, _nonces(self._d, e)))
        return signatures

    def _take(self) -> tuple[int, int] | None:
        with self._lock:
            return self._pool.pop() if self._pool else None


def _sign_with_nonce_for_tests(
    private_key: bytes, message: bytes, k: bytes, *, uid: bytes = DEFAULT_UID
) -> bytes:
    """Deterministic signing with a caller-chosen nonce: only for known-answer tests."""
    d = _private_scalar(private_key)
    return _sign_digest(d, _message_digest(d, message, uid), [int.from_bytes(k, "big")])
