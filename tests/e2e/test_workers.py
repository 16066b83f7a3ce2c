"""`eport serve --workers 2`: the workers take connections from one socket by least open
connections, so long-lived connections spread evenly instead of piling onto one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import psutil

from tests.e2e.gateway import Gateway, connections_held

CONNECTIONS = 24


def test_connections_split_evenly_over_the_worker_processes(twin_gateway: Gateway) -> None:
    port = twin_gateway.port
    # Connections of earlier tests that a worker still holds would count in the split.
    deadline = time.monotonic() + 10
    while any(connections_held(twin_gateway)) and time.monotonic() < deadline:
        time.sleep(0.05)
    opened = []
    try:
        for _ in range(CONNECTIONS):  # all at once, as a client opening its pool does
            opened.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        for conn in opened:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        statuses = connections_held(twin_gateway)
    finally:
        for conn in opened:
            conn.close()
    # A hash of each connection's addresses (a socket per worker, SO_REUSEPORT) splits
    # 24 connections 12 and 12 about one time in six.
    # (The parent and its other child, multiprocessing's resource tracker, hold none.)
    served = sorted(len(held) for held in statuses)
    assert served[-2:] == [CONNECTIONS // 2, CONNECTIONS // 2], statuses
    assert all(status == psutil.CONN_ESTABLISHED for held in statuses for status in held)


def test_a_second_server_on_the_same_address_fails_at_once(twin_gateway: Gateway) -> None:
    bind = twin_gateway.url.removeprefix("http://")
    env = {**os.environ, "EPORT_HOME": str(twin_gateway.home),
           "EPORT_DATABASE_URL": twin_gateway.database_url}
    second = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--bind", bind, "--workers", "2"],
        env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "Address already in use" in second.stderr
