"""`eport serve --workers 2`: each worker listens on a socket of its own (SO_REUSEPORT), so
long-lived connections spread over the workers instead of piling onto one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import psutil

from tests.e2e.gateway import Gateway

CONNECTIONS = 24


def test_connections_spread_over_the_worker_processes(twin_gateway: Gateway) -> None:
    port = int(twin_gateway.url.rsplit(":", 1)[1])
    opened = []
    try:
        for _ in range(CONNECTIONS):  # all at once, as a client opening its pool does
            opened.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        for conn in opened:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        served = sorted(
            sum(1 for c in child.net_connections("tcp")
                if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED)
            for child in psutil.Process(twin_gateway.process.pid).children())
    finally:
        for conn in opened:
            conn.close()
    # Every connection is held by a worker, and by more than one worker: all 24 on one
    # of two sockets chosen by hash has a chance of 2 in 2**24.
    assert sum(served) == CONNECTIONS
    assert served[-2] > 0, served


def test_a_second_server_on_the_same_address_fails_at_once(twin_gateway: Gateway) -> None:
    bind = twin_gateway.url.removeprefix("http://")
    env = {**os.environ, "EPORT_HOME": str(twin_gateway.home),
           "EPORT_DATABASE_URL": twin_gateway.database_url}
    second = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--bind", bind, "--workers", "2"],
        env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "Address already in use" in second.stderr
