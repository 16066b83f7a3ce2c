"""The ``eport`` command: the operator's tool and the reference client (PROTOCOL.md §6).

Every command prints a clear one-line error and exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from core_ext.pki import (
    KeyPair,
    load_private_key,
    load_public_key,
    parse_certificate,
    public_key_to_hex,
)
from gateway.client import Client, Signer
from gateway.config import Config

Command = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A failure the user can act on; printed as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except (CommandError, OSError, ValueError, msgspec.DecodeError) as exc:
        print(f"eport: error: {exc}", file=sys.stderr)
        return 1
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eport", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create the platform CA, receipt key and admin card")
    init.set_defaults(run=cmd_init)

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--bind", help="HOST:PORT (default 127.0.0.1:8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    migrate.set_defaults(run=cmd_migrate)

    keygen = commands.add_parser("keygen", help="new SM2 key pair (PKCS#8 + public PEM)")
    keygen.add_argument("--out", required=True, type=Path, help="private key file KEY.pem")
    keygen.set_defaults(run=cmd_keygen)

    sign = commands.add_parser("sign", help="sign DOC.json and print the envelope")
    sign.add_argument("--key", required=True, type=Path)
    sign.add_argument("--cert", required=True)
    sign.add_argument("document", type=Path)
    sign.set_defaults(run=cmd_sign)

    submit = commands.add_parser("submit", help="post an envelope, print the receipt")
    _client_options(submit, signing=False)
    submit.add_argument("envelope", type=Path)
    submit.set_defaults(run=cmd_submit)

    example = commands.add_parser("example", help="print a valid example document of TYPE")
    example.add_argument("type")
    example.set_defaults(run=cmd_example)

    enterprise = commands.add_parser("enterprise", help="enterprise administration")
    enterprise_commands = enterprise.add_subparsers(required=True, metavar="ACTION")
    register = enterprise_commands.add_parser("register", help="identity.enterprise_register")
    _client_options(register)
    register.add_argument("--code", required=True)
    register.add_argument("--uscc", required=True)
    register.add_argument("--name", required=True)
    register.add_argument("--type", required=True,
                          choices=["trader", "broker", "processor", "department"])
    register.add_argument("--department-kind")
    register.set_defaults(run=cmd_enterprise_register)

    card = commands.add_parser("card", help="card administration")
    card_commands = card.add_subparsers(required=True, metavar="ACTION")
    issue = card_commands.add_parser("issue", help="identity.card_issue")
    _client_options(issue)
    issue.add_argument("--enterprise", required=True)
    issue.add_argument("--kind", required=True,
                       choices=["legal", "operator", "declarant", "department"])
    issue.add_argument("--holder", required=True)
    issue.add_argument("--pubkey", required=True, type=Path)
    issue.add_argument("--days", type=int)
    issue.add_argument("--out", required=True, type=Path, help="certificate file CERT.pem")
    issue.set_defaults(run=cmd_card_issue)
    for action in ("lock", "unlock", "freeze", "unfreeze", "void", "cancel"):
        command = card_commands.add_parser(action, help=f"identity.card_{action}")
        _client_options(command)
        command.add_argument("serial")
        command.add_argument("--reason", default="")
        command.set_defaults(run=cmd_card_action, action=action)
    return parser


def _client_options(parser: argparse.ArgumentParser, signing: bool = True) -> None:
    parser.add_argument("--url", default=None, help="gateway URL (default $EPORT_URL)")
    if signing:
        parser.add_argument("--key", type=Path, help="card key (default $EPORT_HOME/admin.key)")
        parser.add_argument("--cert", help="card serial (default from admin.json)")


def _config() -> Config:
    return Config.load()


def _url(args: argparse.Namespace) -> str:
    return str(args.url or os.environ.get("EPORT_URL") or "http://127.0.0.1:8080")


def _admin_signer(args: argparse.Namespace) -> Signer:
    """The signing card: --key/--cert, else the platform admin card of ``eport init``."""
    home = _config().home
    if args.cert is None and not (home / "admin.json").is_file():
        raise CommandError(f"no --cert given and no {home / 'admin.json'}: run `eport init`")
    cert = args.cert or json.loads((home / "admin.json").read_text("utf-8"))["cert"]
    key_path = args.key or home / "admin.key"
    return Signer(load_private_key(key_path.read_bytes()), cert)


def _enterprise_of(client: Client, serial: str) -> str:
    """A card's enterprise, read from its certificate (O = enterprise code)."""
    reply = client.get(f"/v1/certs/{serial}")
    if reply.status != 200:
        raise CommandError(f"no certificate {serial} at the gateway (HTTP {reply.status})")
    enterprise = parse_certificate(reply.body).subject.organization
    if enterprise is None:
        raise CommandError(f"certificate {serial} names no enterprise")
    return enterprise


def _send(args: argparse.Namespace, doc_type: str, body: dict[str, Any]) -> dict[str, Any]:
    signer = _admin_signer(args)
    with Client(_url(args)) as client:
        sender = _enterprise_of(client, signer.cert)
        reply = client.submit(signer.document(doc_type, sender, body))
    return _receipt_or_fail(reply.status, reply.body)


def _receipt_or_fail(status: int, body: bytes) -> dict[str, Any]:
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


def cmd_init(args: argparse.Namespace) -> int:
    from gateway.platform import init_home

    home = init_home(_config().home)
    print(f"platform initialised in {home}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from gateway.server import serve

    overrides = {k: v for k, v in (("bind", args.bind), ("workers", args.workers)) if v}
    config = Config.load()
    return serve(Config.from_mapping({**_as_mapping(config), **overrides}))


def cmd_migrate(args: argparse.Namespace) -> int:
    from gateway.server import migrate

    migrate(_config())
    print("database migrated")
    return 0


def _as_mapping(config: Config) -> dict[str, Any]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


def cmd_keygen(args: argparse.Namespace) -> int:
    pair = KeyPair.generate()
    public_path = pair.save(args.out)
    print(f"private key {args.out}, public key {public_path}")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    doc = args.document.read_bytes().strip()
    msgspec.json.decode(doc)
    signer = Signer(load_private_key(args.key.read_bytes()), args.cert)
    sys.stdout.buffer.write(signer.envelope(doc) + b"\n")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    with Client(_url(args)) as client:
        reply = client.submit(args.envelope.read_bytes().strip())
    sys.stdout.buffer.write(reply.body + b"\n")
    _receipt_or_fail(reply.status, reply.body)
    return 0


def cmd_example(args: argparse.Namespace) -> int:
    from routing.examples import example_document

    try:
        doc = example_document(args.type)
    except KeyError:
        raise CommandError(f"unknown document type {args.type}") from None
    sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(doc)) + b"\n")
    return 0


def cmd_enterprise_register(args: argparse.Namespace) -> int:
    body = {"code": args.code, "uscc": args.uscc, "name": args.name, "type": args.type}
    if args.department_kind:
        body["department_kind"] = args.department_kind
    receipt = _send(args, "identity.enterprise_register", body)
    print(f"registered enterprise {receipt['ref']['enterprise']}")
    return 0


def cmd_card_issue(args: argparse.Namespace) -> int:
    public_key = load_public_key(args.pubkey.read_bytes())
    body: dict[str, Any] = {"enterprise": args.enterprise, "kind": args.kind,
                            "holder": args.holder, "public_key": public_key_to_hex(public_key)}
    if args.days:
        body["days"] = args.days
    receipt = _send(args, "identity.card_issue", body)
    args.out.write_text(receipt["ref"]["certificate"], "ascii")
    print(receipt["ref"]["cert"])
    return 0


def cmd_card_action(args: argparse.Namespace) -> int:
    with Client(_url(args)) as client:
        enterprise = _enterprise_of(client, args.serial)
    body = {"card": args.serial, "enterprise": enterprise, "reason": args.reason}
    receipt = _send(args, f"identity.card_{args.action}", body)
    print(f"card {args.serial} is {receipt['ref']['state']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
