"""Start a baseline server as a subprocess on a free loopback port, and stop it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

Worker = Literal["trio", "asyncio"]
WORKERS: tuple[Worker, ...] = ("trio", "asyncio")
START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"baseline server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"baseline server not listening on {port} after {timeout_s} s")


@contextmanager
def echo_server(worker: Worker) -> Iterator[Server]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "loadtest.baselines.echo", "--worker", worker,
         "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
    try:
        wait_listening(port, process, START_TIMEOUT_S)
        yield Server(f"echo-{worker}", f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
