"""Which database failures are worth a retry, mapped where asyncpg errors enter.

``Transient``: the batch did not commit (or, for ``CommitUnknown``, may have)
and the same batch can simply be tried again: the connection broke, the server
is restarting or refusing connections, a statement timed out, or PostgreSQL
chose this transaction as a deadlock or serialisation victim. Anything else is
a bug or bad data and is reported to the callers instead of being retried.
"""

from __future__ import annotations

import asyncio

import asyncpg


class Transient(Exception):
    """The database is unreachable or the transaction must be retried."""


class CommitUnknown(Transient):
    """The connection failed while COMMIT was in flight: it may have committed.

    ``sealed`` holds the receipts this attempt signed, by (sender, doc_id), so
    the retry can tell its own committed documents (stored receipt identical)
    from documents another process committed meanwhile.
    """

    def __init__(self, sealed: dict[tuple[str, str], bytes]) -> None:
        super().__init__("connection lost during COMMIT")
        self.sealed = sealed


_RETRYABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,  # class 08
    asyncpg.InterfaceError,  # connection closed / does not exist
    # A connection the server terminated while it sat idle in the pool fails its
    # next statement with a protocol-state error instead of a connection error.
    asyncpg.exceptions._base.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,  # 57P01 admin shutdown, 57P03 starting up
    asyncpg.exceptions.InsufficientResourcesError,  # 53300 too many connections
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, _RETRYABLE)
