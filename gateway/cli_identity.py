"""``eport enterprise ...`` and ``eport card ...``: the identity documents (PROTOCOL.md §6).

Administrative commands sign with the platform admin card unless --key/--cert
name another card (a legal card for its own enterprise's cards and grants).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core_ext.pki import load_public_key, public_key_to_hex
from gateway.cli_common import client_options, enterprise_of, send, url
from gateway.client import Client


def add_commands(commands: Any) -> None:
    """Add ``enterprise`` and ``card`` to the ``eport`` sub-commands."""
    add_enterprise_commands(commands)
    add_card_commands(commands)


def add_enterprise_commands(commands: Any) -> None:
    enterprise = commands.add_parser("enterprise", help="enterprise administration")
    enterprise_commands = enterprise.add_subparsers(required=True, metavar="ACTION")
    register = enterprise_commands.add_parser("register", help="identity.enterprise_register")
    client_options(register)
    register.add_argument("--code", required=True)
    register.add_argument("--uscc", required=True)
    register.add_argument("--name", required=True)
    register.add_argument("--type", required=True,
                          choices=["trader", "broker", "processor", "department"])
    register.add_argument("--department-kind")
    register.set_defaults(run=cmd_enterprise_register)
    change = enterprise_commands.add_parser("change", help="identity.enterprise_change")
    client_options(change)
    change.add_argument("--code", required=True)
    change.add_argument("--name")
    change.add_argument("--type", choices=["trader", "broker", "processor"])
    change.add_argument("--qualification", action="append", dest="qualifications",
                        choices=["express_operator", "vessel_operator", "road_carrier"],
                        help="the full new list (repeat); --no-qualifications clears it")
    change.add_argument("--no-qualifications", action="store_true")
    change.add_argument("--reason", default="")
    change.set_defaults(run=cmd_enterprise_change)
    cancel = enterprise_commands.add_parser("cancel", help="identity.enterprise_cancel")
    client_options(cancel)
    cancel.add_argument("--code", required=True)
    cancel.add_argument("--reason", default="")
    cancel.set_defaults(run=cmd_enterprise_cancel)


def add_card_commands(commands: Any) -> None:
    card = commands.add_parser("card", help="card administration")
    card_commands = card.add_subparsers(required=True, metavar="ACTION")
    issue = card_commands.add_parser("issue", help="identity.card_issue")
    client_options(issue)
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
        client_options(command)
        command.add_argument("serial")
        command.add_argument("--reason", default="")
        command.set_defaults(run=cmd_card_action, action=action)
    renew = card_commands.add_parser("renew", help="identity.cert_renew (new certificate)")
    client_options(renew)
    renew.add_argument("serial")
    renew.add_argument("--days", type=int)
    renew.add_argument("--reason", default="")
    renew.add_argument("--out", type=Path, help="write the new certificate to CERT.pem")
    renew.set_defaults(run=cmd_card_renew)
    reissue = card_commands.add_parser("reissue", help="identity.card_reissue (new card, key)")
    client_options(reissue)
    reissue.add_argument("serial")
    reissue.add_argument("--pubkey", required=True, type=Path, help="the new card's PUB.pem")
    reissue.add_argument("--days", type=int)
    reissue.add_argument("--reason", default="")
    reissue.add_argument("--out", required=True, type=Path, help="certificate file CERT.pem")
    reissue.set_defaults(run=cmd_card_reissue)
    for action in ("grant", "revoke"):
        command = card_commands.add_parser(action, help=f"identity.permission_{action} "
                                           "(signed by the enterprise's legal card)")
        client_options(command)
        command.add_argument("serial")
        command.add_argument("subsystems", nargs="+", metavar="SUBSYSTEM")
        command.set_defaults(run=cmd_card_permission, action=action)


def cmd_enterprise_register(args: argparse.Namespace) -> int:
    body = {"code": args.code, "uscc": args.uscc, "name": args.name, "type": args.type}
    if args.department_kind:
        body["department_kind"] = args.department_kind
    receipt = send(args, "identity.enterprise_register", body)
    print(f"registered enterprise {receipt['ref']['enterprise']}")
    return 0


def cmd_card_issue(args: argparse.Namespace) -> int:
    public_key = load_public_key(args.pubkey.read_bytes())
    body: dict[str, Any] = {"enterprise": args.enterprise, "kind": args.kind,
                            "holder": args.holder, "public_key": public_key_to_hex(public_key)}
    if args.days:
        body["days"] = args.days
    receipt = send(args, "identity.card_issue", body)
    args.out.write_text(receipt["ref"]["certificate"], "ascii")
    print(receipt["ref"]["cert"])
    return 0


def cmd_card_action(args: argparse.Namespace) -> int:
    with Client(url(args)) as client:
        enterprise = enterprise_of(client, args.serial)
    body = {"card": args.serial, "enterprise": enterprise, "reason": args.reason}
    receipt = send(args, f"identity.card_{args.action}", body)
    print(f"card {args.serial} is {receipt['ref']['state']}")
    return 0


def cmd_enterprise_change(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"code": args.code, "reason": args.reason}
    if args.name:
        body["name"] = args.name
    if args.type:
        body["type"] = args.type
    if args.qualifications or args.no_qualifications:
        body["qualifications"] = args.qualifications or []
    receipt = send(args, "identity.enterprise_change", body)
    print(f"changed enterprise {args.code}: {', '.join(receipt['ref']['changed'])}")
    return 0


def cmd_enterprise_cancel(args: argparse.Namespace) -> int:
    send(args, "identity.enterprise_cancel", {"code": args.code, "reason": args.reason})
    print(f"cancelled enterprise {args.code} and its cards")
    return 0


def _new_certificate(args: argparse.Namespace, doc_type: str, body: dict[str, Any]) -> int:
    if args.days:
        body["days"] = args.days
    receipt = send(args, doc_type, body)
    if args.out is not None:
        args.out.write_text(receipt["ref"]["certificate"], "ascii")
    print(receipt["ref"]["cert"])
    return 0


def cmd_card_renew(args: argparse.Namespace) -> int:
    return _new_certificate(args, "identity.cert_renew",
                            {"card": args.serial, "reason": args.reason})


def cmd_card_reissue(args: argparse.Namespace) -> int:
    public_key = public_key_to_hex(load_public_key(args.pubkey.read_bytes()))
    return _new_certificate(args, "identity.card_reissue", {
        "card": args.serial, "public_key": public_key, "reason": args.reason})


def cmd_card_permission(args: argparse.Namespace) -> int:
    receipt = send(args, f"identity.permission_{args.action}",
                    {"card": args.serial, "subsystems": args.subsystems})
    done = "granted" if args.action == "grant" else "revoked"
    print(f"card {args.serial}: {done} {' '.join(receipt['ref'][done])}")
    return 0
