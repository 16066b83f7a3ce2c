"""The driver contract: a transport submits one unit (one document, or a batch)
and returns one outcome per document. Transports are safe to call concurrently
from many trio tasks and open their connections lazily.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit

from loadtest.corpus_store import Card
from loadtest.outcomes import Outcome

DriverName = Literal["http1", "httpx", "http2", "batch", "ws"]
DRIVERS: tuple[DriverName, ...] = ("http1", "httpx", "http2", "batch", "ws")
# One request at a time per connection: ``Target.connections`` caps what is in flight.
CAPPED_BY_CONNECTIONS: tuple[DriverName, ...] = ("http1", "batch", "httpx")
SINGLE = "/v1/documents"
BATCH = "/v1/documents:batch"


@dataclass(frozen=True)
class Unit:
    """Documents sent in one request: corpus indices start..start+len(envelopes)."""

    start: int
    envelopes: list[bytes]
    sender: str


class Transport(Protocol):
    async def submit(self, unit: Unit) -> list[Outcome]: ...


@runtime_checkable
class PerSender(Protocol):
    """A transport whose connections belong to senders (the stream) reports on each."""

    def by_sender(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Target:
    url: str
    connections: int  # connection cap (HTTP/1.1) or connection count (HTTP/2)
    timeout_s: float = 30.0
    streams: int = 1  # ws: streams per sending enterprise at most (opened as credit runs out)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80


@asynccontextmanager
async def open_transport(driver: DriverName, target: Target,
                         cards: dict[str, Card]) -> AsyncIterator[Transport]:
    # Imported here so that one driver's dependencies never load for another.
    if driver in ("http1", "batch"):
        from loadtest.http1 import open_http1

        async with open_http1(target, batch=driver == "batch") as transport:
            yield transport
    elif driver == "httpx":
        from loadtest.httpx_driver import open_httpx

        async with open_httpx(target) as transport:
            yield transport
    elif driver == "http2":
        from loadtest.http2 import open_http2

        async with open_http2(target) as transport:
            yield transport
    else:
        from loadtest.ws import open_ws

        async with open_ws(target, cards) as transport:
            yield transport
