"""PROTOCOL.md §6: the `eport` command against a running gateway."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.client import now_ts
from routing.examples import example_document
from routing.subsystems import REGISTRY
from tests.e2e.gateway import Gateway, random_customs_code, random_uscc
from tests.openssl_cli import DISTID, openssl


def eport(gateway: Gateway, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EPORT_HOME": str(gateway.home), "EPORT_URL": gateway.url}
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60, check=False)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_onboarding_with_the_command_line(gateway: Gateway, tmp_path: Path) -> None:
    code = random_customs_code()
    assert f"registered enterprise {code}" in ok(eport(
        gateway, "enterprise", "register", "--code", code, "--uscc", random_uscc(),
        "--name", "命令行企业", "--type", "trader", cwd=tmp_path))
    ok(eport(gateway, "keygen", "--out", "legal.key", cwd=tmp_path))
    assert "PRIVATE KEY" in (tmp_path / "legal.key").read_text()
    assert oct((tmp_path / "legal.key").stat().st_mode & 0o777) == "0o600"
    serial = ok(eport(gateway, "card", "issue", "--enterprise", code, "--kind", "legal",
                      "--holder", "张三", "--pubkey", "legal.pub.pem", "--out", "legal.pem",
                      cwd=tmp_path)).strip()
    (tmp_path / "ca.pem").write_bytes((gateway.home / "ca.pem").read_bytes())
    assert "legal.pem: OK" in openssl(f"verify -vfyopt {DISTID} -CAfile ca.pem legal.pem",
                                      cwd=tmp_path)

    operator = ok(eport(gateway, "card", "issue", "--enterprise", code, "--kind", "operator",
                        "--holder", "李四", "--pubkey", "legal.pub.pem", "--out", "op.pem",
                        cwd=tmp_path)).strip()
    doc = {"id": f"CLI-{code}", "type": "identity.card_lock", "sender": code,
           "ts": now_ts(),
           "body": {"card": operator}}
    (tmp_path / "doc.json").write_text(json.dumps(doc, ensure_ascii=False))
    envelope = ok(eport(gateway, "sign", "--key", "legal.key", "--cert", serial, "doc.json",
                        cwd=tmp_path))
    assert (tmp_path / "doc.json").read_bytes().strip() in envelope.encode()
    (tmp_path / "env.json").write_text(envelope)
    receipt = json.loads(ok(eport(gateway, "submit", "env.json", cwd=tmp_path)))
    assert receipt["receipt"]["status"] == "accepted"

    assert f"card {operator} is active" in ok(eport(gateway, "card", "unlock", operator,
                                                     cwd=tmp_path))
    again = eport(gateway, "card", "unlock", operator, cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr.startswith("eport: error:") and "STATE_CONFLICT" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("doc_type", sorted(REGISTRY))
def test_every_example_is_valid(doc_type: str, gateway: Gateway, tmp_path: Path) -> None:
    printed = json.loads(ok(eport(gateway, "example", doc_type, cwd=tmp_path)))
    assert printed == example_document(doc_type)
    assert set(printed) == {"id", "type", "sender", "ts", "body"}
    spec = REGISTRY[doc_type]
    body = spec.decoder.decode(json.dumps(printed["body"]).encode())
    for rule in spec.rules:
        rule(body)


def test_errors_are_one_line_and_non_zero(gateway: Gateway, tmp_path: Path) -> None:
    for args in (("example", "no.such"), ("submit", "missing.json"),
                 ("sign", "--key", "nokey", "--cert", "ab", "nodoc.json")):
        result = eport(gateway, *args, cwd=tmp_path)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("eport: error:")
    assert eport(gateway, "--help", cwd=tmp_path).returncode == 0
    assert eport(gateway, "card", "issue", "--help", cwd=tmp_path).returncode == 0
