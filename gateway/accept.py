"""Least-connections accept across the worker processes of ``eport serve --workers N``.

Every worker accepts from one listening socket, and a table in shared memory holds
each worker's open connections. A worker takes a pending connection at once when it
holds no more connections than any other accepting worker; otherwise it leaves the
connection to them for up to ``GRACE_S`` and takes it itself if none did, so that a
worker whose event loop is blocked does not hold up new connections. A burst of
connections (a client opening its pool) thus splits evenly, and a worker started
again after a failure gets the next connections until it holds as many as the others.

Before this, each worker listened on a socket of its own (``SO_REUSEPORT``) and the
kernel chose one by a hash of the connection's addresses: the 8 connections of a batch
load run landed 4 and 4 or 5 and 3 from one run to the next, and in one run one worker
used 78% of a core and the other 22%.
"""

from __future__ import annotations

import errno
import socket
from multiprocessing.context import SpawnContext
from typing import Any

import trio

# From the connection's worker to the others: at most this long before it is taken
# anyway, in steps of this much.
GRACE_S = 0.05
STEP_S = 0.001
# accept(2) on Linux passes on these network errors of the pending connection; the
# connection is gone, the socket is fine (as trio's SocketListener ignores them).
_CONNECTION_GONE = {
    errno.ECONNABORTED, errno.EPROTO, errno.EPERM, errno.ENETDOWN, errno.ENOPROTOOPT,
    errno.EHOSTDOWN, errno.ENONET, errno.EHOSTUNREACH, errno.EOPNOTSUPP, errno.ENETUNREACH,
}
_ABSENT = -1


class ConnectionTable:
    """Each worker slot's open connections, or ``_ABSENT`` while no worker accepts in it.

    A slot has one writer at a time: its worker, or the parent once that worker has
    exited. The others only read it.
    """

    def __init__(self, context: SpawnContext, workers: int) -> None:
        self._counts: Any = context.RawArray("q", [_ABSENT] * workers)

    def publish(self, slot: int, open_connections: int) -> None:
        self._counts[slot] = open_connections

    def leave(self, slot: int) -> None:
        self._counts[slot] = _ABSENT

    def open_connections(self) -> list[int]:
        """Open connections per accepting worker (the table's slots in order)."""
        return [count for count in self._counts if count != _ABSENT]

    def is_least_loaded(self, slot: int) -> bool:
        mine = self._counts[slot]
        return all(count == _ABSENT or mine <= count
                   for other, count in enumerate(self._counts) if other != slot)


class LeastConnectionsListener(trio.abc.Listener[trio.SocketStream]):
    """Accepts from a listening socket shared with the other workers, in turn by load.

    Each stream it returns counts in ``table`` until the caller reports it ``closed``.
    """

    def __init__(self, sock: socket.socket, table: ConnectionTable, slot: int) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._table = table
        self._slot = slot
        self._open = 0
        self._accepting = True
        table.publish(slot, 0)

    async def accept(self) -> trio.SocketStream:
        while True:
            await trio.lowlevel.wait_readable(self._sock)
            deadline = trio.current_time() + GRACE_S
            while not self._table.is_least_loaded(self._slot) and trio.current_time() < deadline:
                await trio.sleep(STEP_S)
            try:
                conn, _ = self._sock.accept()
            except BlockingIOError:
                continue  # another worker took it
            except OSError as exc:
                if exc.errno in _CONNECTION_GONE:
                    continue
                raise
            self._open += 1
            self._table.publish(self._slot, self._open)
            return trio.SocketStream(trio.socket.from_stdlib_socket(conn))

    def closed(self) -> None:
        """One stream this listener returned is closed."""
        self._open -= 1
        if self._accepting:
            self._table.publish(self._slot, self._open)

    async def aclose(self) -> None:
        self._accepting = False
        self._table.leave(self._slot)
        trio.lowlevel.notify_closing(self._sock)
        self._sock.close()
        await trio.lowlevel.checkpoint()
