from __future__ import annotations

import os
from types import ModuleType

from hypothesis import given
from hypothesis import strategies as st

from core_ext import _sm3_pure
from tests.kat import load


def test_known_answers(sm3_impl: ModuleType) -> None:
    records = load("sm3.txt")
    assert len(records) == 2
    for record in records:
        message, expected = bytes.fromhex(record["Msg"]), record["MD"]
        assert sm3_impl.digest(message).hex() == expected
        assert sm3_impl.SM3(message).hexdigest() == expected


def test_incremental_and_copy(sm3_impl: ModuleType) -> None:
    data = os.urandom(1000)
    hasher = sm3_impl.SM3()
    for start in range(0, len(data), 37):
        hasher.update(data[start : start + 37])
    fork = hasher.copy()
    fork.update(b"tail")
    assert hasher.digest() == sm3_impl.digest(data)
    assert fork.digest() == sm3_impl.digest(data + b"tail")
    assert hasher.digest() == hasher.digest()  # digest() does not consume the state


def test_accepts_any_contiguous_buffer(sm3_impl: ModuleType) -> None:
    data = os.urandom(100)
    expected = sm3_impl.digest(data)
    assert sm3_impl.digest(bytearray(data)) == expected
    assert sm3_impl.digest(memoryview(data)) == expected


def test_compiled_matches_pure_at_every_length_around_blocks(sm3_compiled: ModuleType) -> None:
    for length in [*range(0, 200), 4095, 4096, 4097, 70_000]:  # 4096+: the no-GIL path
        data = os.urandom(length)
        assert sm3_compiled.digest(data) == _sm3_pure.digest(data), length


@given(data=st.binary(max_size=600), cuts=st.lists(st.integers(0, 600), max_size=6))
def test_any_split_gives_the_one_shot_digest(data: bytes, cuts: list[int]) -> None:
    from core_ext import sm3

    hasher = sm3.SM3()
    previous = 0
    for cut in sorted(min(cut, len(data)) for cut in cuts):
        hasher.update(data[previous:cut])
        previous = cut
    hasher.update(data[previous:])
    assert hasher.digest() == sm3.digest(data) == _sm3_pure.digest(data)
