"""verify_batch, the Presigner, the public-key cache, and argument types."""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

import pytest


def _signed(sm2_impl: ModuleType, count: int) -> list[tuple[bytes, bytes, bytes]]:
    items = []
    for index in range(count):
        private_key = sm2_impl.generate_private_key()
        message = f"document {index}".encode()
        items.append(
            (sm2_impl.public_key(private_key), message, sm2_impl.sign(private_key, message))
        )
    return items


def test_batch_matches_single_verification(sm2_impl: ModuleType) -> None:
    good = _signed(sm2_impl, 3)
    key, message, signature = good[0]
    items = [
        *good,
        (key, message + b"x", signature),
        (key[:10], message, signature),
        (key, message, signature[:-1]),
        (bytearray(key), memoryview(message), signature),
    ]
    assert sm2_impl.verify_batch(items) == [True, True, True, False, False, False, True]
    assert sm2_impl.verify_batch([]) == []
    assert sm2_impl.verify_batch(iter(good)) == [True] * 3


def test_presigner_signs_with_prepared_nonces_then_as_sign_does(sm2_impl: ModuleType) -> None:
    private_key = sm2_impl.generate_private_key()
    public_key = sm2_impl.public_key(private_key)
    presigner = sm2_impl.Presigner(private_key, 4)
    assert (presigner.capacity, presigner.available) == (4, 0)
    assert presigner.prepare(3) == 3 and presigner.prepare(9) == 1 and presigner.prepare(1) == 0
    messages = [b"", b"document", b"document", bytearray(b"bytearray"), memoryview(b"view"),
                b"document"]
    signatures = presigner.sign_many(iter(messages))  # four prepared, two as sign() does
    assert presigner.available == 0
    assert len(signatures) == len(messages) and len(set(signatures)) == len(messages)
    assert all(sm2_impl.verify(public_key, bytes(m), s)
               for m, s in zip(messages, signatures, strict=True))
    assert not sm2_impl.verify(public_key, b"document", signatures[0])
    presigner.prepare(1)
    (other_uid,) = presigner.sign_many([b"document"], uid=b"other uid")
    assert sm2_impl.verify(public_key, b"document", other_uid, uid=b"other uid")
    assert not sm2_impl.verify(public_key, b"document", other_uid)
    assert presigner.sign_many([]) == []
    with pytest.raises(ValueError):
        sm2_impl.Presigner(b"\x00" * 32, 4)
    with pytest.raises(ValueError):
        sm2_impl.Presigner(private_key, -1)


def test_prepared_nonces_never_repeat_across_presigners_and_threads(sm2_impl: ModuleType) -> None:
    """r = (e + x(kG)) mod n: for one message, a repeated nonce repeats r."""
    private_key = sm2_impl.generate_private_key()
    presigners = [sm2_impl.Presigner(private_key, 64) for _ in range(2)]
    threads = [threading.Thread(target=p.prepare, args=(64,)) for p in presigners for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.available for p in presigners] == [64, 64]
    signatures = [s for p in presigners for s in p.sign_many([b"same"] * 64)]
    assert len({s[:32] for s in signatures}) == 128


@pytest.mark.parametrize("item", [("key", b"m", b"s"), (b"key", b"m"), 5])
def test_batch_rejects_wrong_types(sm2_impl: ModuleType, item: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        sm2_impl.verify_batch([item])


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.verify("04ab", b"m", b"s"),
        lambda m: m.verify(b"k", b"m", b"s", uid=None),
        lambda m: m.sign(b"\x01" * 32, "text"),
        lambda m: m.sign(b"\x01" * 32, b"m", uid=None),
        lambda m: m.Presigner(None, 1),
        lambda m: m.Presigner(b"\x01" * 32, 1).sign_many([b"m", "text"]),
        lambda m: m.Presigner(b"\x01" * 32, 1).sign_many([b"m", None]),
        lambda m: m.Presigner(b"\x01" * 32, 1).sign_many([b"m"], uid=None),
        lambda m: m.public_key(None),
        lambda m: m.za("04ab"),
        lambda m: m.sig_to_der(64),
        lambda m: m.sig_from_der(None),
    ],
)
def test_wrong_argument_types_raise_type_error(sm2_impl: ModuleType, call: Any) -> None:
    with pytest.raises(TypeError):
        call(sm2_impl)


def test_two_threads_share_the_cache_correctly(sm2_compiled: ModuleType) -> None:
    items = _signed(sm2_compiled, 4) * 50
    tampered = [(key, message + b"!", signature) for key, message, signature in items]
    results: dict[str, list[bool]] = {}

    def run(name: str, batch: list[tuple[bytes, bytes, bytes]]) -> None:
        results[name] = sm2_compiled.verify_batch(batch)

    threads = [
        threading.Thread(target=run, args=(name, batch))
        for name, batch in [("good", items), ("bad", tampered)]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"good": [True] * len(items), "bad": [False] * len(items)}


def test_cache_eviction_keeps_results_right(sm2_compiled: ModuleType) -> None:
    first = _signed(sm2_compiled, 1)[0]
    assert sm2_compiled.verify(*first) and sm2_compiled.verify(*first)  # cached with its table
    others = [
        (sm2_compiled.public_key(sm2_compiled.generate_private_key()), b"m", first[2])
        for _ in range(4200)
    ]  # more keys than the cache holds: `first` is evicted
    assert not any(sm2_compiled.verify_batch(others))
    assert sm2_compiled.verify(*first)
    assert not sm2_compiled.verify(first[0], first[1] + b"x", first[2])
