"""httpx over HTTP/1.1: the reference client, kept to measure what h11 saves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from loadtest import outcomes
from loadtest.outcomes import Outcome
from loadtest.transport import SINGLE, Target, Unit

HEADERS = {"content-type": "application/json"}


class HttpxTransport:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def submit(self, unit: Unit) -> list[Outcome]:
        try:
            response = await self._client.post(SINGLE, content=unit.envelopes[0],
                                               headers=HEADERS)
        except httpx.HTTPError as exc:
            return [outcomes.failure(exc)]
        return [outcomes.single(response.status_code, response.content)]


@asynccontextmanager
async def open_httpx(target: Target) -> AsyncIterator[HttpxTransport]:
    limits = httpx.Limits(max_connections=target.connections,
                          max_keepalive_connections=target.connections)
    async with httpx.AsyncClient(base_url=target.url, limits=limits,
                                 timeout=target.timeout_s) as client:
        yield HttpxTransport(client)
