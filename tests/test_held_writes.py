"""held_writes: a task's frames leave in one write, in order, with other tasks' bytes after."""

from __future__ import annotations

import pytest
import trio
from hypercorn.events import Closed, Event, RawData, Updated

from gateway.held_writes import HoldingConnection, held_writes


class _Socket:
    """Stands for hypercorn's ``TCPServer.protocol_send``: records what it is given."""

    def __init__(self) -> None:
        self.sent: list[bytes | Event] = []

    async def protocol_send(self, event: Event) -> None:
        self.sent.append(event.data if isinstance(event, RawData) else event)


class _Connection(HoldingConnection, _Socket):
    def __init__(self) -> None:
        _Socket.__init__(self)


async def test_writes_outside_a_block_go_out_at_once() -> None:
    connection = _Connection()
    await connection.protocol_send(RawData(data=b"a"))
    await connection.protocol_send(RawData(data=b"b"))
    assert connection.sent == [b"a", b"b"]


async def test_an_empty_write_is_dropped() -> None:
    connection = _Connection()
    await connection.protocol_send(RawData(data=b""))
    async with held_writes():
        await connection.protocol_send(RawData(data=b""))
    assert connection.sent == []


async def test_a_block_writes_each_connection_once_when_it_ends() -> None:
    first, second = _Connection(), _Connection()
    async with held_writes():
        for data in (b"1", b"2", b"3"):
            await first.protocol_send(RawData(data=data))
        await second.protocol_send(RawData(data=b"x"))
        assert first.sent == [] and second.sent == []
    assert first.sent == [b"123"]
    assert second.sent == [b"x"]


async def test_another_tasks_bytes_follow_the_held_ones() -> None:
    connection = _Connection()
    holding, release = trio.Event(), trio.Event()

    async def writer() -> None:
        async with held_writes():
            await connection.protocol_send(RawData(data=b"frame1"))
            holding.set()
            await release.wait()
            await connection.protocol_send(RawData(data=b"frame2"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(writer)
        await holding.wait()
        await connection.protocol_send(RawData(data=b"pong"))  # not inside the block
        release.set()
    assert connection.sent == [b"frame1pong", b"frame2"]


async def test_a_close_writes_what_is_held_first() -> None:
    connection = _Connection()
    closed = Closed()
    async with held_writes():
        await connection.protocol_send(RawData(data=b"head"))
        await connection.protocol_send(RawData(data=b"body"))
        await connection.protocol_send(closed)
        assert connection.sent == [b"headbody", closed]


async def test_other_events_pass_at_once() -> None:
    connection = _Connection()
    updated = Updated(idle=True)
    async with held_writes():
        await connection.protocol_send(RawData(data=b"answer"))
        await connection.protocol_send(updated)
        assert connection.sent == [updated]
    assert connection.sent == [updated, b"answer"]


async def test_held_bytes_go_out_when_the_block_fails() -> None:
    connection = _Connection()
    with pytest.raises(RuntimeError):
        async with held_writes():
            await connection.protocol_send(RawData(data=b"frame"))
            raise RuntimeError("the sender failed")
    assert connection.sent == [b"frame"]
