"""A stream's outbox: the credit, what the writer takes, and when it waits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio
import trio.testing

from gateway.stream_outbox import EVENTS_WAITING, Outbox


class Sink:
    """Records each write; while ``held``, a write waits for ``release``."""

    def __init__(self) -> None:
        self.writes: list[list[bytes]] = []
        self.held = False
        self._release = trio.Event()

    async def send(self, messages: list[bytes]) -> None:
        self.writes.append(messages)
        if self.held:
            await self._release.wait()

    def release(self) -> None:
        self.held = False
        self._release.set()


@pytest.fixture
async def nursery() -> AsyncIterator[trio.Nursery]:
    async with trio.open_nursery() as nursery:
        yield nursery
        nursery.cancel_scope.cancel()


def test_the_credit_runs_out() -> None:
    outbox = Outbox(2)
    assert outbox.take_credit() and outbox.take_credit()
    assert not outbox.take_credit()
    assert outbox.credit == 0


async def test_what_waits_goes_out_in_one_write_in_the_order_queued(
        nursery: trio.Nursery) -> None:
    outbox, sink = Outbox(4), Sink()
    for _ in range(3):
        outbox.take_credit()
    outbox.put_results([b"r1", b"r2"])
    await outbox.put_events([b"e1"])
    outbox.put_results([b"r3"])
    nursery.start_soon(outbox.write, sink)
    await trio.testing.wait_all_tasks_blocked()
    assert sink.writes == [[b"r1", b"r2", b"e1", b"r3"]]
    assert outbox.credit == 4


async def test_credit_comes_back_when_the_writer_takes_results_before_it_writes_them(
        nursery: trio.Nursery) -> None:
    outbox, sink = Outbox(1), Sink()
    sink.held = True
    nursery.start_soon(outbox.write, sink)
    outbox.take_credit()
    outbox.put_results([b"r1"])
    await trio.testing.wait_all_tasks_blocked()
    assert sink.writes == [[b"r1"]]  # the write has not returned
    assert outbox.take_credit()


async def test_answered_waits_until_every_result_is_taken(nursery: trio.Nursery) -> None:
    outbox, sink = Outbox(2), Sink()
    outbox.take_credit()
    outbox.take_credit()
    outbox.put_results([b"r1"])
    answered = trio.Event()

    async def drain() -> None:
        await outbox.answered()
        answered.set()

    nursery.start_soon(drain)
    nursery.start_soon(outbox.write, sink)
    await trio.testing.wait_all_tasks_blocked()
    assert sink.writes == [[b"r1"]] and not answered.is_set()  # one submit unanswered
    outbox.put_results([b"r2"])
    await trio.testing.wait_all_tasks_blocked()
    assert answered.is_set()


async def test_events_wait_while_the_writer_is_stuck(nursery: trio.Nursery) -> None:
    outbox, sink = Outbox(1), Sink()
    sink.held = True
    nursery.start_soon(outbox.write, sink)
    await outbox.put_events([b"e0"])
    await trio.testing.wait_all_tasks_blocked()  # the writer holds e0 in a stuck write
    put = trio.Event()

    async def events() -> None:
        await outbox.put_events([b"e"] * EVENTS_WAITING)
        put.set()

    nursery.start_soon(events)
    await trio.testing.wait_all_tasks_blocked()
    assert not put.is_set()
    sink.release()
    await trio.testing.wait_all_tasks_blocked()
    assert put.is_set()
    assert [len(write) for write in sink.writes] == [1, EVENTS_WAITING]
