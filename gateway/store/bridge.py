"""The one crossing between trio and the asyncio loop that runs asyncpg.

asyncpg needs asyncio; the gateway runs on trio. A dedicated thread runs a
uvloop event loop, and ``LoopThread.call`` runs a coroutine there and awaits
its result from trio without blocking a trio thread: the asyncio task's done
callback wakes a trio Event through the TrioToken.

Cancellation: if the trio caller is cancelled, the asyncio task is cancelled
too and the caller waits (shielded) until it has unwound, so nothing the call
started (a transaction, a checked-out connection) outlives the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import trio
import uvloop

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self._loop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="eport-store", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn()`` on the store loop and return its result (or raise its error)."""
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()
        tasks: list[asyncio.Task[T]] = []

        def wake(_: object) -> None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(done.set)

        def start() -> None:
            task = self._loop.create_task(_as_coroutine(fn))
            task.add_done_callback(wake)
            tasks.append(task)

        self._loop.call_soon_threadsafe(start)
        try:
            await done.wait()
        finally:
            if not done.is_set():
                # call_soon_threadsafe is FIFO, so start() has run before this.
                self._loop.call_soon_threadsafe(lambda: tasks[0].cancel())
                with trio.CancelScope(shield=True):
                    await done.wait()
        return tasks[0].result()

    async def aclose(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        await trio.to_thread.run_sync(self._thread.join)
        self._loop.close()


async def _as_coroutine(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()
