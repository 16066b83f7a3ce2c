"""PROTOCOL.md §6 identity commands: renew, reissue, grant, revoke, enterprise change/cancel."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.gateway import Gateway, random_customs_code, random_uscc
from tests.e2e.test_cli import eport, ok
from tests.openssl_cli import DISTID, openssl


def test_identity_administration_with_the_command_line(gateway: Gateway, tmp_path: Path) -> None:
    code = random_customs_code()
    ok(eport(gateway, "enterprise", "register", "--code", code, "--uscc", random_uscc(),
             "--name", "命令行企业", "--type", "trader", cwd=tmp_path))
    for name in ("legal", "op", "new"):
        ok(eport(gateway, "keygen", "--out", f"{name}.key", cwd=tmp_path))
    issued = {kind: ok(eport(gateway, "card", "issue", "--enterprise", code, "--kind", kind,
                             "--holder", "张三", "--pubkey", f"{key}.pub.pem", "--out",
                             f"{key}.pem", cwd=tmp_path)).strip()
              for kind, key in (("legal", "legal"), ("operator", "op"))}
    legal = ("--key", "legal.key", "--cert", issued["legal"])

    assert ok(eport(gateway, "card", "grant", issued["operator"], "dec", "payment", *legal,
                    cwd=tmp_path)).strip() == f"card {issued['operator']}: granted dec payment"
    ok(eport(gateway, "card", "revoke", issued["operator"], "payment", *legal, cwd=tmp_path))
    by_admin = eport(gateway, "card", "grant", issued["operator"], "dec", cwd=tmp_path)
    assert by_admin.returncode == 1 and "PERMISSION_DENIED" in by_admin.stderr
    assert len(by_admin.stderr.strip().splitlines()) == 1

    renewed = ok(eport(gateway, "card", "renew", issued["legal"], "--days", "90",
                       "--out", "renewed.pem", cwd=tmp_path)).strip()
    assert renewed != issued["legal"]
    (tmp_path / "ca.pem").write_bytes((gateway.home / "ca.pem").read_bytes())
    assert "renewed.pem: OK" in openssl(f"verify -vfyopt {DISTID} -CAfile ca.pem renewed.pem",
                                        cwd=tmp_path)
    reissued = ok(eport(gateway, "card", "reissue", issued["operator"], "--pubkey",
                        "new.pub.pem", "--out", "new.pem", "--reason", "丢失",
                        cwd=tmp_path)).strip()
    view = httpx.get(f"{gateway.url}/v1/cards/{reissued}").json()
    assert (view["grants"], view["reissued_from"]) == (["dec"], issued["operator"])

    changed = ok(eport(gateway, "enterprise", "change", "--code", code, "--name", "新名字",
                       "--qualification", "road_carrier", cwd=tmp_path))
    assert changed.strip() == f"changed enterprise {code}: name, qualifications"
    ok(eport(gateway, "enterprise", "cancel", "--code", code, "--reason", "closed",
             cwd=tmp_path))
    assert httpx.get(f"{gateway.url}/v1/cards/{renewed}").json()["state"] == "cancelled"
    again = eport(gateway, "enterprise", "cancel", "--code", code, cwd=tmp_path)
    assert again.returncode == 1 and "STATE_CONFLICT" in again.stderr
