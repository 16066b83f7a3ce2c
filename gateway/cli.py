"""The ``eport`` command: the operator's tool and the reference client (PROTOCOL.md §6).

Every command prints a clear one-line error and exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from core_ext.pki import KeyPair, load_private_key
from gateway import cli_identity
from gateway.cli_common import CommandError, client_options, receipt_or_fail, url
from gateway.client import Client, Signer
from gateway.config import Config

Command = Callable[[argparse.Namespace], int]


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
    client_options(submit, signing=False)
    submit.add_argument("envelope", type=Path)
    submit.set_defaults(run=cmd_submit)

    example = commands.add_parser("example", help="print a valid example document of TYPE")
    example.add_argument("type")
    example.set_defaults(run=cmd_example)

    cli_identity.add_commands(commands)
    return parser


def _config() -> Config:
    return Config.load()


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
    with Client(url(args)) as client:
        reply = client.submit(args.envelope.read_bytes().strip())
    sys.stdout.buffer.write(reply.body + b"\n")
    receipt_or_fail(reply.status, reply.body)
    return 0


def cmd_example(args: argparse.Namespace) -> int:
    from routing.examples import example_document

    try:
        doc = example_document(args.type)
    except KeyError:
        raise CommandError(f"unknown document type {args.type}") from None
    sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(doc)) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
