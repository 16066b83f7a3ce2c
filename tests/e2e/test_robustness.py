"""Concurrency, hostile bytes and a database outage, against a real gateway."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest
import trio
from pgserver import get_server

from gateway.client import now_ts
from tests.e2e.gateway import (
    Gateway,
    connections_held,
    random_customs_code,
    random_uscc,
    start_gateway,
    stop_gateway,
)
from tests.hostile import corpus
from tests.store.conftest import PrivateServer
from tests.store.helpers import Sql

JSON = {"content-type": "application/json"}
BAD_POST = (b"POST /v1/documents HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            b"Content-Length: 22\r\n\r\n{\"not\": \"an envelope\"}")


def register_doc(gateway: Gateway, doc_id: str | None = None) -> dict[str, object]:
    code = random_customs_code()
    return {"id": doc_id or f"R-{code}", "type": "identity.enterprise_register",
            "sender": gateway.platform_code, "ts": now_ts(),
            "body": {"code": code, "uscc": random_uscc(), "name": f"企业 {code}",
                     "type": "trader"}}


async def rows(url: str, query: str, *args: object) -> int:
    sql = Sql(url)
    try:
        return int(await sql.fetchval(query, *args))
    finally:
        await sql.aclose()


@pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "http2"])
async def test_64_concurrent_identical_submissions_store_one_row(gateway: Gateway,
                                                                 http2: bool) -> None:
    doc = register_doc(gateway)
    envelope = gateway.admin.envelope(json.dumps(doc).encode())
    replies: list[httpx.Response] = []
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=gateway.url, http1=not http2, http2=http2,
                                 limits=limits, timeout=30) as client:

        async def one() -> None:
            replies.append(await client.post("/v1/documents", content=envelope, headers=JSON))

        async with trio.open_nursery() as nursery:
            for _ in range(64):
                nursery.start_soon(one)
    assert {r.http_version for r in replies} == {"HTTP/2" if http2 else "HTTP/1.1"}
    assert sorted(r.status_code for r in replies) == [200] * 63 + [201]
    assert len({r.content for r in replies}) == 1
    assert await rows(gateway.database_url,
                      "SELECT count(*) FROM documents WHERE sender = $1 AND doc_id = $2",
                      doc["sender"], doc["id"]) == 1


async def test_hostile_inputs_over_http_are_4xx_and_store_nothing(gateway: Gateway) -> None:
    valid = register_doc(gateway, doc_id="HOSTILE-1")

    def sign(doc: bytes) -> bytes:
        return gateway.admin.envelope(doc)

    items = corpus(valid, sign, envelope_limit=1 << 20)
    assert len(items) >= 2_000
    before = await rows(gateway.database_url, "SELECT count(*) FROM doc_keys")
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        limiter = trio.Semaphore(16)

        async def one(data: bytes) -> None:
            async with limiter:
                reply = await client.post("/v1/documents", content=data, headers=JSON)
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            if reply.status_code < 422:
                assert reply.headers["content-type"] == "application/problem+json"
                assert reply.json()["code"]

        async with trio.open_nursery() as nursery:
            for data in items:
                nursery.start_soon(one, data)
    assert all(400 <= status < 500 for status in statuses), statuses
    assert sum(statuses.values()) == len(items)
    print(f"hostile: {len(items)} inputs, answers by status {dict(sorted(statuses.items()))}")
    # Schema and field rejections are stored receipts (they consume their id); nothing else is.
    stored = await rows(gateway.database_url, "SELECT count(*) FROM doc_keys") - before
    assert stored == statuses.get(422, 0)
    assert await rows(gateway.database_url,
                      "SELECT count(*) FROM documents WHERE status = 'accepted' "
                      "AND doc_id = 'HOSTILE-1'") == 0


async def test_database_outage_answers_503_and_recovers_without_losing_anything(
    tmp_path: Path, pg_dir: Path
) -> None:
    server = get_server(pg_dir / "pgdata", cleanup_mode="delete")
    private = PrivateServer(server)
    gateway = await trio.to_thread.run_sync(lambda: start_gateway(
        tmp_path, server.get_uri(), env={"EPORT_STORE_TIMEOUT_S": "2"}))
    acknowledged: list[tuple[str, str]] = []
    statuses: dict[int, int] = {}
    retry_after: set[str] = set()
    try:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:

            async def writer(stop: trio.Event) -> None:
                while not stop.is_set():
                    doc = register_doc(gateway)
                    reply = await client.post("/v1/documents", headers=JSON,
                                              content=gateway.admin.envelope(
                                                  json.dumps(doc).encode()))
                    statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
                    if reply.status_code == 201:
                        acknowledged.append((str(doc["sender"]), str(doc["id"])))
                    elif reply.status_code == 503:
                        retry_after.add(reply.headers.get("retry-after", ""))
                        assert reply.json()["code"] == "UNAVAILABLE"
                        await trio.sleep(0.05)

            stop = trio.Event()
            async with trio.open_nursery() as nursery:
                for _ in range(8):
                    nursery.start_soon(writer, stop)
                await trio.sleep(1.5)
                await private.stop()
                await trio.sleep(4)
                ready_while_down = (await client.get("/readyz")).status_code
                await private.start()
                recovered = await wait_for_201(client, gateway)
                await trio.sleep(1)
                stop.set()
    finally:
        await trio.to_thread.run_sync(stop_gateway, gateway)
    try:
        assert ready_while_down == 503
        assert recovered
        assert statuses.get(503, 0) > 0 and 500 not in statuses, statuses
        assert retry_after and "" not in retry_after
        keys = await stored_keys(server.get_uri(), acknowledged)
        assert keys == len(acknowledged) > 0
        print(f"outage: answers by status {statuses}, {len(acknowledged)} acknowledged, "
              f"{keys} of them stored, Retry-After {sorted(retry_after)}")
    finally:
        server.cleanup()


async def wait_for_201(client: httpx.AsyncClient, gateway: Gateway) -> bool:
    with trio.move_on_after(30):
        while True:
            reply = await client.post("/v1/documents", headers=JSON, content=gateway.admin
                                      .envelope(json.dumps(register_doc(gateway)).encode()))
            if reply.status_code == 201:
                return True
            await trio.sleep(0.2)
    return False


async def stored_keys(url: str, keys: list[tuple[str, str]]) -> int:
    return await rows(url, "SELECT count(*) FROM documents d JOIN unnest($1::text[], $2::text[])"
                           " AS k(sender, doc_id) USING (sender, doc_id)",
                      [s for s, _ in keys], [i for _, i in keys])


def closing_waits(gateway: Gateway) -> int:
    """Connections whose peer has closed and the gateway has not (CLOSE_WAIT)."""
    return sum(held.count(psutil.CONN_CLOSE_WAIT) for held in connections_held(gateway))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_connection_closed_by_the_client_after_a_post_closes_at_once(
        gateway: Gateway, twin_gateway: Gateway, workers: int) -> None:
    # hypercorn alone held each one open for the keep-alive timeout (75 s).
    serving = gateway if workers == 1 else twin_gateway
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", serving.port), timeout=30) as conn:
            conn.sendall(BAD_POST)
            assert conn.recv(4096).startswith(b"HTTP/1.1 400")
    deadline = time.monotonic() + 5
    while closing_waits(serving) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert closing_waits(serving) == 0


def test_a_keep_alive_connection_closes_after_its_idle_time_and_not_before(
        gateway: Gateway, tmp_path: Path) -> None:
    with own_gateway(gateway, tmp_path, {"EPORT_KEEP_ALIVE_S": "2"}) as port, \
            socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        for _ in range(4):  # 4 s in all: each answer gives the connection 2 s again
            conn.sendall(BAD_POST)
            assert read_answer(conn).startswith(b"HTTP/1.1 400")
            time.sleep(1)
        idle_since = time.monotonic() - 1
        assert conn.recv(4096) == b""
        assert 1.5 < time.monotonic() - idle_since < 15


def test_an_answer_leaves_in_one_write(gateway: Gateway) -> None:
    # Its head and body in one segment: the first read has all of it.
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=30) as conn:
        conn.sendall(BAD_POST)
        data = conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert len(body) == content_length(head) > 0


def read_answer(conn: socket.socket) -> bytes:
    """One whole HTTP/1.1 answer with a Content-Length, head and body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    while len(body) < content_length(head):
        body += conn.recv(4096)
    return head + b"\r\n\r\n" + body


def content_length(head: bytes) -> int:
    return int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")))


def test_each_read_has_the_body_timeout_and_a_stalled_body_is_cut(
        gateway: Gateway, tmp_path: Path) -> None:
    head, _, body = BAD_POST.partition(b"\r\n\r\n")
    with own_gateway(gateway, tmp_path, {"EPORT_BODY_TIMEOUT_S": "1"}) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head + b"\r\n\r\n")
            for start in range(0, len(body), 6):  # 2 s in all, 0.5 s between reads
                time.sleep(0.5)
                conn.sendall(body[start:start + 6])
            assert read_answer(conn).startswith(b"HTTP/1.1 400")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head + b"\r\n\r\n" + body[:5])
            stalled_at = time.monotonic()
            answer = read_answer(conn)
            assert 0.5 < time.monotonic() - stalled_at < 15
            assert answer.startswith(b"HTTP/1.1 400") and b"before the body was complete" in answer
            assert conn.recv(4096) == b""


@contextmanager
def own_gateway(gateway: Gateway, tmp: Path, env: dict[str, str]) -> Iterator[int]:
    """A gateway process of its own with settings from ``env``, on the session's
    database and home; yields its port."""
    (tmp / "home").symlink_to(gateway.home)
    serving = start_gateway(tmp, gateway.database_url, env=env)
    try:
        yield serving.port
    finally:
        stop_gateway(serving)
