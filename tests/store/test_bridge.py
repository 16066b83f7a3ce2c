"""The trio <-> asyncio bridge: results, errors, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import trio

from gateway.store.bridge import LoopThread


@pytest.fixture
async def loop() -> AsyncIterator[LoopThread]:
    thread = LoopThread()
    yield thread
    await thread.aclose()


async def test_returns_the_coroutine_result(loop: LoopThread) -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert await loop.call(answer) == 42


async def test_raises_the_coroutine_error(loop: LoopThread) -> None:
    async def fail() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await loop.call(fail)


async def test_cancellation_waits_until_the_asyncio_side_has_unwound(loop: LoopThread) -> None:
    unwound = False

    async def slow() -> None:
        nonlocal unwound
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.05)  # e.g. a ROLLBACK on the way out
            unwound = True

    with trio.move_on_after(0.05) as scope:
        await loop.call(slow)
    assert scope.cancelled_caught
    assert unwound


async def test_many_concurrent_calls_do_not_block_trio(loop: LoopThread) -> None:
    results: list[int] = []

    async def echo(n: int) -> int:
        await asyncio.sleep(0.01)
        return n

    async def one(n: int) -> None:
        results.append(await loop.call(lambda: echo(n)))

    with trio.fail_after(2):  # 200 x 10 ms in sequence would take 2 s
        async with trio.open_nursery() as nursery:
            for n in range(200):
                nursery.start_soon(one, n)
    assert sorted(results) == list(range(200))
