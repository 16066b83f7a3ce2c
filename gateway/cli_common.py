"""What every client command shares: options, the signing card, sending, one-line errors."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import msgspec

from core_ext.pki import load_private_key, parse_certificate
from gateway.client import Client, Signer
from gateway.config import Config


class CommandError(Exception):
    """A failure the user can act on; printed as one line."""


def client_options(parser: argparse.ArgumentParser, signing: bool = True) -> None:
    parser.add_argument("--url", default=None, help="gateway URL (default $EPORT_URL)")
    if signing:
        parser.add_argument("--key", type=Path, help="card key (default $EPORT_HOME/admin.key)")
        parser.add_argument("--cert", help="card serial (default from admin.json)")


def url(args: argparse.Namespace) -> str:
    return str(args.url or os.environ.get("EPORT_URL") or "http://127.0.0.1:8080")


def admin_signer(args: argparse.Namespace) -> Signer:
    """The signing card: --key/--cert, else the platform admin card of ``eport init``."""
    home = Config.load().home
    if args.cert is None and not (home / "admin.json").is_file():
        raise CommandError(f"no --cert given and no {home / 'admin.json'}: run `eport init`")
    cert = args.cert or json.loads((home / "admin.json").read_text("utf-8"))["cert"]
    key_path = args.key or home / "admin.key"
    return Signer(load_private_key(key_path.read_bytes()), cert)


def enterprise_of(client: Client, serial: str) -> str:
    """A card's enterprise, read from its certificate (O = enterprise code)."""
    reply = client.get(f"/v1/certs/{serial}")
    if reply.status != 200:
        raise CommandError(f"no certificate {serial} at the gateway (HTTP {reply.status})")
    enterprise = parse_certificate(reply.body).subject.organization
    if enterprise is None:
        raise CommandError(f"certificate {serial} names no enterprise")
    return enterprise


def send(args: argparse.Namespace, doc_type: str, body: dict[str, Any]) -> dict[str, Any]:
    signer = admin_signer(args)
    with Client(url(args)) as client:
        sender = enterprise_of(client, signer.cert)
        reply = client.submit(signer.document(doc_type, sender, body))
    return receipt_or_fail(reply.status, reply.body)


def receipt_or_fail(status: int, body: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(body)
    receipt = decoded.get("receipt")
    if status not in (200, 201) or not isinstance(receipt, dict):
        detail = (receipt or decoded) if isinstance(receipt or decoded, dict) else {}
        raise CommandError(f"HTTP {status} {detail.get('code', '')}: "
                           f"{detail.get('message') or detail.get('detail', '')}")
    if receipt.get("status") != "accepted":
        raise CommandError(f"rejected {receipt.get('code')}: {receipt.get('message')} "
                           f"{receipt.get('path') or ''}".rstrip())
    return receipt
