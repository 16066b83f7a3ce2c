"""What one stream has yet to write, and the credit its client has left.

Results and events are queued as lists, without a scheduler round for each frame
(a memory channel's ``send`` is one), and the writer takes everything queued when
it wakes and writes it in one piece. A submit's credit comes back when the writer
takes its result, before the write, so a client that reads the result and submits
again never finds the server short of the credit it was given back. A client that
does not read stops the writer in its write: at most its credit in results waits
then, and the events task waits while ``EVENTS_WAITING`` events do.

Against a memory channel of frames, with two one-worker gateways served and
loaded at once (ws driver, 768 in flight, 60 s): 1,316 against 1,187 docs/s, and
1,129 against 1,023 with their ports swapped.
"""

from __future__ import annotations

from typing import Protocol

import trio

EVENTS_WAITING = 500


class Sink(Protocol):
    async def send(self, messages: list[bytes]) -> None:
        """Write the messages as frames, in one piece."""


class Outbox:
    def __init__(self, credit: int) -> None:
        self._granted = credit
        self.credit = credit  # submits the client may send before a result comes back
        self._frames: list[bytes] = []
        self._results = 0  # of the frames queued
        self._events = 0
        self._queued = trio.Event()
        self._taken = trio.Event()

    def take_credit(self) -> bool:
        """One submit's credit; False if the client has none left."""
        if not self.credit:
            return False
        self.credit -= 1
        return True

    def put_results(self, frames: list[bytes]) -> None:
        """Each frame answers a submit that took credit."""
        self._put(frames)
        self._results += len(frames)

    async def put_events(self, frames: list[bytes]) -> None:
        self._put(frames)
        self._events += len(frames)
        while self._events >= EVENTS_WAITING:
            await self._taken.wait()

    def _put(self, frames: list[bytes]) -> None:
        self._frames.extend(frames)
        self._queued.set()

    async def answered(self) -> None:
        """Returns once every submit taken has had its result taken by the writer (which
        holds the connection while it writes them, so a close frame goes after them)."""
        while self.credit < self._granted or self._frames:
            await self._taken.wait()

    async def write(self, ws: Sink) -> None:
        """The writer: run it for as long as the stream is served."""
        while True:
            if not self._frames:
                self._queued = trio.Event()
                await self._queued.wait()
            frames, self._frames = self._frames, []
            self.credit += self._results
            self._results = self._events = 0
            taken, self._taken = self._taken, trio.Event()
            taken.set()
            await ws.send(frames)
