"""README's gateway command: `eport serve` with no database configured, first start."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from tests.e2e.gateway import start_gateway, stop_gateway


def test_serve_on_the_embedded_database_initialises_and_is_ready() -> None:
    # pgserver (as root) hands its data directory to another user: keep it out of
    # pytest's tmp_path, whose parents a concurrent pytest run may close again.
    with tempfile.TemporaryDirectory(prefix="eport-embedded-") as tmp:
        gateway = start_gateway(Path(tmp), None)
        try:
            assert httpx.get(gateway.url + "/healthz").status_code == 200
            assert httpx.get(gateway.url + "/readyz").status_code == 200
            assert (gateway.home / "admin.json").is_file()
            assert (gateway.home / "pgdata" / "PG_VERSION").is_file()
            receipt = gateway.admin_submit("identity.enterprise_register", {
                "code": "1101910123", "uscc": "91110000600037341L", "name": "示例",
                "type": "trader"})
            assert receipt["status"] == "accepted"
        finally:
            stop_gateway(gateway)
        assert gateway.process.returncode == 0
        assert "first start: platform initialised" in gateway.log.read_text()
