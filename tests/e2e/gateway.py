"""A real gateway for end-to-end tests: `eport serve` in a subprocess on loopback."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from core_ext import fields
from core_ext.pki import KeyPair, public_key_to_hex
from gateway.client import Client, Signer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def random_customs_code() -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXY"
    return "11" + "".join(secrets.choice("0123456789") for _ in range(3)) + "".join(
        secrets.choice(alphabet) for _ in range(5))


def random_uscc() -> str:
    org = "".join(secrets.choice("0123456789") for _ in range(8))
    body = "91110000" + org + fields.org_code_check_char(org)
    return body + fields.uscc_check_char(body)


@dataclass
class Gateway:
    url: str
    home: Path
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def admin(self) -> Signer:
        admin = json.loads((self.home / "admin.json").read_text())
        return Signer(KeyPair.load((self.home / "admin.key").read_bytes()).private_key,
                      admin["cert"])

    @property
    def platform_code(self) -> str:
        return str(json.loads((self.home / "admin.json").read_text())["enterprise"])

    def client(self, *, http2: bool = False) -> Client:
        return Client(self.url, http2=http2)

    def admin_submit(self, doc_type: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.client() as client:
            reply = client.submit(self.admin.document(doc_type, self.platform_code, body))
        receipt: dict[str, Any] = reply.json()["receipt"]
        assert reply.status == 201, receipt
        return receipt

    def enterprise(self, type_: str = "trader", **extra: Any) -> str:
        code = random_customs_code()
        self.admin_submit("identity.enterprise_register", {
            "code": code, "uscc": random_uscc(), "name": f"企业 {code}", "type": type_, **extra})
        return code

    def card(self, enterprise: str, kind: str = "legal", *, key: bytes | None = None,
             days: int | None = None, not_before: datetime | None = None,
             grants: list[str] | None = None) -> Signer:
        pair = KeyPair(key) if key is not None else KeyPair.generate()
        body: dict[str, Any] = {"enterprise": enterprise, "kind": kind, "holder": "测试持卡人",
                                "public_key": public_key_to_hex(pair.public_key)}
        if days is not None:
            body["days"] = days
        if not_before is not None:
            body["not_before"] = not_before.isoformat()
        if grants is not None:
            body["grants"] = grants
        receipt = self.admin_submit("identity.card_issue", body)
        return Signer(pair.private_key, receipt["ref"]["cert"])


def batch(gateway: Gateway, envelopes: list[bytes]) -> list[dict[str, Any]]:
    """Submit in one batch request; each result's status and its receipt or problem."""
    with gateway.client() as client:
        reply = client.submit_batch(envelopes)
    assert reply.status == 200, reply.body
    results: list[dict[str, Any]] = reply.json()["results"]
    return results


def connections_held(gateway: Gateway) -> list[list[str]]:
    """The status of every connection on the gateway's port that each of its processes
    holds (the parent first, then its children), listening sockets left out."""
    port = gateway.port
    process = psutil.Process(gateway.process.pid)
    return [[c.status for c in p.net_connections("tcp")
             if c.laddr and c.laddr.port == port and c.status != psutil.CONN_LISTEN]
            for p in (process, *process.children())]


def start_gateway(tmp: Path, database_url: str | None, *, workers: int = 1,
                  env: dict[str, str] | None = None) -> Gateway:
    """``database_url=None``: the gateway starts its embedded PostgreSQL under its home."""
    home = tmp / "home"
    port = free_port()
    log = tmp / f"gateway-{port}.log"
    environment = {**os.environ, "EPORT_HOME": str(home), **(env or {})}
    environment.pop("EPORT_DATABASE_URL", None)
    if database_url is not None:
        environment["EPORT_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "gateway.cli", "serve", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=environment, stdout=out,
                                   stderr=subprocess.STDOUT)
    gateway = Gateway(f"http://127.0.0.1:{port}", home, database_url or "", process, log)
    wait_ready(gateway, workers)
    return gateway


def wait_ready(gateway: Gateway, workers: int = 1, timeout: float = 60.0) -> None:
    """Until ``/readyz`` answers 200 and every worker has logged that it serves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            raise RuntimeError(f"gateway exited: {gateway.log.read_text()[-3000:]}")
        try:
            if (httpx.get(gateway.url + "/readyz", timeout=1.0).status_code == 200
                    and gateway.log.read_text().count("Running on http://") >= workers):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"gateway not ready: {gateway.log.read_text()[-3000:]}")


def stop_gateway(gateway: Gateway) -> None:
    gateway.process.terminate()
    try:
        gateway.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        gateway.process.kill()
        gateway.process.wait()
