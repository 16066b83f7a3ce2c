"""A corpus of malformed envelopes and bodies, built from one valid envelope.

Used against the pure pipeline and over HTTP: every item must be refused with a
4xx problem or a rejected receipt, never a 5xx, an unexpected exception or a
stored document.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

Signer = Callable[[bytes], bytes]  # doc bytes -> envelope bytes


def _truncations(data: bytes) -> Iterator[bytes]:
    step = max(1, len(data) // 200)
    for end in range(0, len(data), step):
        yield data[:end]


def _nested(depth: int, opener: str, closer: str) -> bytes:
    return (opener * depth + closer * depth).encode()


def _framing(valid: bytes) -> Iterator[bytes]:
    yield from _truncations(valid)
    yield b""
    yield b"null"
    yield b"[]"
    yield b'"doc"'
    yield b"{}"
    yield b"\xff\xfe\x00"
    yield valid + b"garbage"
    yield valid.replace(b'"doc"', b'"Doc"', 1)
    yield valid.replace(b'"sig"', b'"sig","sig"', 1)
    yield valid.replace(b"{", b"{\xc3\x28", 1)
    yield valid.replace(b'"cert":"', b'"cert":"\xed\xa0\x80', 1)
    for depth in (64, 1000, 100_000):
        yield _nested(depth, "[", "]")
        yield b'{"doc":' + _nested(depth, "[", "]") + b',"sig":"","cert":"a"}'
    for number in (b"1e999999", b"-" + b"9" * 5000, b"0." + b"0" * 5000 + b"1", b"NaN"):
        yield b'{"doc":' + number + b',"sig":"","cert":"a"}'
    rng = random.Random(20261128)
    for _ in range(300):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
        yield bytes(data)


_DOC_MUTATIONS: list[tuple[str, Any]] = [
    ("id", ""), ("id", "a" * 65), ("id", "a b"), ("id", "é"), ("id", 7), ("id", None),
    ("type", ""), ("type", "nodot"), ("type", "UP.per"), ("type", "no.such"), ("type", 1),
    ("sender", ""), ("sender", "110191012"), ("sender", "11019101234"), ("sender", 1101910123),
    ("ts", ""), ("ts", "2026-13-01T00:00:00Z"), ("ts", "2026-11-28 08:00:00"),
    ("ts", "2026-11-28T25:00:00Z"), ("ts", "2026-11-28T08:00:00"), ("ts", 0),
    ("ts", "2026-11-28T08:00:00+99:00"), ("ts", "1970-01-01T00:00:00Z"),
    ("ts", "9999-12-31T23:59:59Z"), ("body", None), ("body", "x"), ("body", []),
]


def _doc_level(doc: dict[str, Any], sign: Signer) -> Iterator[bytes]:
    for key, value in _DOC_MUTATIONS:
        changed = dict(doc)
        changed[key] = value
        yield sign(json.dumps(changed).encode())
    for key in doc:
        yield sign(json.dumps({k: v for k, v in doc.items() if k != key}).encode())
    yield sign(json.dumps({**doc, "extra": 1}).encode())


def _body_level(doc: dict[str, Any], sign: Signer) -> Iterator[bytes]:
    body = doc["body"]
    values: list[Any] = [None, True, 0, -1, 2**64, 1.5, 1e308, "", "x" * 10_000, [], {},
                         [[[]]], {"a": {"b": {}}}, "\u0000", "\ud800"]
    for key in [*body, "unknown_field"]:
        for value in values:
            yield sign(json.dumps({**doc, "body": {**body, key: value}}).encode())
    for key in body:
        yield sign(json.dumps({**doc, "body": {k: v for k, v in body.items() if k != key}})
                   .encode())


def corpus(valid_doc: dict[str, Any], sign: Signer, *, envelope_limit: int) -> list[bytes]:
    """At least 2,000 hostile inputs derived from one valid document."""
    valid = sign(json.dumps(valid_doc).encode())
    items = list(_framing(valid))
    items += list(_doc_level(valid_doc, sign))
    items += list(_body_level(valid_doc, sign))
    items.append(b'{"doc":"' + b"x" * (envelope_limit + 1) + b'","sig":"","cert":"a"}')
    rng = random.Random(7)
    while len(items) < 2_000:
        data = bytearray(rng.choice(items) or valid)
        data.insert(rng.randrange(len(data) + 1), rng.randrange(256))
        items.append(bytes(data))
    return items
