"""gateway.accept: listeners on one socket take connections by least open connections.

Each listener stands for a worker process; here they share one trio run and one
socket (duplicated, as a worker inherits it), and trio's mock clock times the grace.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from multiprocessing import get_context

import trio
import trio.testing

from gateway.accept import GRACE_S, ConnectionTable, LeastConnectionsListener


@contextmanager
def listening() -> Iterator[tuple[socket.socket, list[socket.socket]]]:
    """A listening socket on loopback, and a list that connections go into."""
    with ExitStack() as stack:
        server = stack.enter_context(socket.socket())
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        clients: list[socket.socket] = []
        stack.callback(lambda: [c.close() for c in clients])
        yield server, clients


def connect(server: socket.socket, clients: list[socket.socket], n: int) -> None:
    for _ in range(n):
        clients.append(socket.create_connection(server.getsockname()))


async def take(listeners: list[LeastConnectionsListener], n: int) -> list[int]:
    """Run every listener's accept loop at once until ``n`` connections are taken; how
    many each took."""
    taken = [0] * len(listeners)

    async def accepting(i: int, listener: LeastConnectionsListener) -> None:
        while True:
            await listener.accept()
            taken[i] += 1
            if sum(taken) == n:
                nursery.cancel_scope.cancel()

    async with trio.open_nursery() as nursery:
        for i, listener in enumerate(listeners):
            nursery.start_soon(accepting, i, listener)
    return taken


async def test_a_burst_of_connections_splits_evenly_between_two_workers() -> None:
    table = ConnectionTable(get_context("spawn"), 2)
    with listening() as (server, clients):
        first = LeastConnectionsListener(server.dup(), table, 0)
        second = LeastConnectionsListener(server.dup(), table, 1)
        connect(server, clients, 10)
        assert await take([first, second], 10) == [5, 5]
        assert table.open_connections() == [5, 5]
        await first.aclose()
        await second.aclose()


async def test_a_worker_that_does_not_accept_holds_a_connection_up_for_the_grace_only(
        autojump_clock: trio.testing.MockClock) -> None:
    table = ConnectionTable(get_context("spawn"), 2)
    with listening() as (server, clients):
        busy = LeastConnectionsListener(server.dup(), table, 0)
        idle = LeastConnectionsListener(server.dup(), table, 1)
        connect(server, clients, 3)
        started = trio.current_time()
        await busy.accept()
        assert trio.current_time() == started  # no more connections than the other
        await busy.accept()
        await busy.accept()
        # Ahead of a worker that accepts none, it waited out the grace each time.
        assert trio.current_time() - started >= 2 * GRACE_S
        assert table.open_connections() == [3, 0]
        # A worker that stopped accepting is out of the table: no more waiting.
        await idle.aclose()
        connect(server, clients, 1)
        before = trio.current_time()
        await busy.accept()
        assert trio.current_time() == before
        assert table.open_connections() == [4]
        await busy.aclose()


async def test_the_next_connection_goes_to_the_worker_with_fewer_open(
        autojump_clock: trio.testing.MockClock) -> None:
    table = ConnectionTable(get_context("spawn"), 2)
    with listening() as (server, clients):
        early = LeastConnectionsListener(server.dup(), table, 0)
        connect(server, clients, 2)
        assert await take([early], 2) == [2]  # alone in the table
        late = LeastConnectionsListener(server.dup(), table, 1)
        assert table.open_connections() == [2, 0]
        connect(server, clients, 2)
        assert await take([early, late], 2) == [0, 2]
        early.closed()
        early.closed()
        assert table.open_connections() == [0, 2]
        connect(server, clients, 1)
        before = trio.current_time()
        assert await take([early, late], 1) == [1, 0]
        assert trio.current_time() == before  # the one with fewer takes it at once
        assert table.open_connections() == [1, 2]
        await early.aclose()
        await late.aclose()
