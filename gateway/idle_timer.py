"""hypercorn's keep-alive timer, with one task a connection instead of one a request.

hypercorn times an idle connection out with a task (``TCPServer.idle_task``):
every request stops it (the task is cancelled) and every answer restarts it (a
new task, started and waited for). In a single-document load test, ``restart``
and ``stop`` were 5.7% and 3.5% of a worker's main thread (py-spy, GIL samples),
before the cancelled tasks unwound.

``IdleTimer`` keeps one task and moves the deadline of the scope it waits in:
``restart`` arms it (``keep_alive_timeout`` from now), ``stop`` disarms it. It
does what hypercorn's timer does: an idle connection closes when its time is
up, or at once when the worker terminates; one that is answering a request as
the worker terminates closes once it is idle again. ``end`` ends the task, as
hypercorn's ``stop`` did, so that a connection whose peer has gone can finish.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import trio
from hypercorn.trio.worker_context import TrioSingleTask
from hypercorn.typing import Event, TaskGroup


class IdleTimer(TrioSingleTask):
    def __init__(self, timeout: float, terminated: Event,
                 close: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self._timeout = timeout
        self._terminated = terminated
        self._close = close
        self._deadline = math.inf  # when the connection closes if it stays idle
        self._task: trio.CancelScope | None = None  # the waiting task's, while it runs
        self._waiting: trio.CancelScope | None = None
        self._idle_again: trio.Event | None = None

    async def restart(self, task_group: TaskGroup, action: Callable[..., object]) -> None:
        """Arm the timer. ``action`` is hypercorn's ``_idle_timeout``: this timer does
        what it does, with ``close`` as its last step."""
        self._move(trio.current_time() + self._timeout)
        if self._idle_again is not None:
            self._idle_again.set()
        if self._task is None:
            self._task = trio.CancelScope()
            task_group.spawn(self._watch, self._task)

    async def stop(self) -> None:
        """Disarm the timer: a request is in flight."""
        self._move(math.inf)

    def end(self) -> None:
        """End the waiting task; a later ``restart`` starts another."""
        if self._task is not None:
            self._task.cancel()
        self._task = self._waiting = self._idle_again = None
        self._deadline = math.inf

    def _move(self, deadline: float) -> None:
        self._deadline = deadline
        if self._waiting is not None:
            self._waiting.deadline = deadline

    async def _watch(self, task: trio.CancelScope) -> None:
        with task:
            while True:
                with trio.CancelScope(deadline=self._deadline) as self._waiting:
                    await self._terminated.wait()
                self._waiting = None
                if self._deadline != math.inf:
                    break  # idle until its deadline, or idle as the worker terminates
                # Terminated, or its time up just as a request came in: wait for the answer.
                self._idle_again = trio.Event()
                await self._idle_again.wait()
                self._idle_again = None
            self._task = None
            with trio.CancelScope(shield=True):
                await self._close()
