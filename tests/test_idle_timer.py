"""IdleTimer: hypercorn's keep-alive timer kept as one task whose deadline moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio
import trio.testing
from hypercorn.trio.task_group import TaskGroup
from hypercorn.trio.worker_context import EventWrapper

from gateway.idle_timer import IdleTimer

TIMEOUT = 75.0


class _Connection:
    """What the timer acts on: a worker's ``terminated`` event and the close it calls."""

    def __init__(self) -> None:
        self.terminated = EventWrapper()
        self.closed_at: list[float] = []
        self.timer = IdleTimer(TIMEOUT, self.terminated, self.close)

    async def close(self) -> None:
        self.closed_at.append(trio.current_time())

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[TaskGroup]:
        """The connection's tasks, with the timer armed as hypercorn's connection arms
        it when it opens; a timer task that never ends fails the test."""
        with trio.fail_after(100 * TIMEOUT):
            async with TaskGroup() as group:
                await self.timer.restart(group, _never)
                yield group


async def _never() -> None:
    raise AssertionError("hypercorn's action is not run")


async def test_an_idle_connection_closes_when_its_time_is_up(
        autojump_clock: trio.testing.MockClock) -> None:
    connection = _Connection()
    async with connection.serving():
        await trio.sleep(TIMEOUT - 1)
        assert connection.closed_at == []
    assert connection.closed_at == [TIMEOUT]


@pytest.mark.parametrize("busy_s", [10, 10 * TIMEOUT])
async def test_a_request_in_flight_keeps_it_open_and_its_answer_starts_the_time_again(
        autojump_clock: trio.testing.MockClock, busy_s: float) -> None:
    connection = _Connection()
    async with connection.serving() as group:
        await trio.sleep(10)
        await connection.timer.stop()
        await trio.sleep(busy_s)
        assert connection.closed_at == []
        answered = trio.current_time()
        await connection.timer.restart(group, _never)
    assert connection.closed_at == [answered + TIMEOUT]


async def test_many_requests_use_one_task(autojump_clock: trio.testing.MockClock) -> None:
    connection = _Connection()
    async with connection.serving() as group:
        for _ in range(100):
            await connection.timer.stop()
            await trio.sleep(1)
            await connection.timer.restart(group, _never)
            await trio.sleep(1)
        assert group._nursery is not None and len(group._nursery.child_tasks) == 1
        connection.timer.end()
    assert connection.closed_at == []


async def test_an_idle_connection_closes_at_once_when_the_worker_terminates(
        autojump_clock: trio.testing.MockClock) -> None:
    connection = _Connection()
    async with connection.serving():
        await trio.sleep(5)
        await connection.terminated.set()
    assert connection.closed_at == [5]


async def test_a_busy_connection_closes_once_answered_when_the_worker_terminates(
        autojump_clock: trio.testing.MockClock) -> None:
    connection = _Connection()
    async with connection.serving() as group:
        await connection.timer.stop()
        await connection.terminated.set()
        await trio.sleep(30)
        assert connection.closed_at == []
        await connection.timer.restart(group, _never)
    assert connection.closed_at == [30]


async def test_end_lets_the_connection_finish_without_closing_it(
        autojump_clock: trio.testing.MockClock) -> None:
    connection = _Connection()
    async with connection.serving():
        await trio.sleep(1)
        connection.timer.end()
    assert trio.current_time() == 1
    assert connection.closed_at == []


async def test_a_restart_after_end_times_out_again(
        autojump_clock: trio.testing.MockClock) -> None:
    connection = _Connection()
    async with connection.serving() as group:
        connection.timer.end()
        await trio.sleep(1)
        await connection.timer.restart(group, _never)
    assert connection.closed_at == [1 + TIMEOUT]
