"""routing.ops values as the JSON that ``eport_apply_ops`` reads, and back.

Amounts travel as decimal strings so that no float ever touches a ledger.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from gateway.store.model import OpsResult, Submission
from routing.ops import (
    Create,
    Credit,
    Debit,
    Derive,
    EditList,
    NextSerial,
    Op,
    Open,
    Require,
    Restore,
    Settle,
    Transition,
    TransitionAll,
)

# \u0000 preceded by an even number of backslashes (an escaped backslash
# followed by the text "u0000" is harmless).
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")

UNSTORABLE = OpsResult(
    ok=False, code="FIELD_INVALID", message="text contains a NUL character", path="$"
)


def encode_op(op: Op) -> dict[str, Any]:
    match op:
        case Create():
            return {
                "op": "create",
                "kind": op.kind,
                "key": op.key,
                "state": op.state,
                "owner": op.owner,
                "data": op.data,
                "path": op.path,
            }
        case Transition():
            return {
                "op": "transition",
                "kind": op.kind,
                "key": op.key,
                "from": list(op.from_states),
                "to": op.to_state,
                "patch": op.patch,
                "path": op.path,
            }
        case TransitionAll():
            return {
                "op": "transition_all",
                "kind": op.kind,
                "from": list(op.from_states),
                "to": op.to_state,
                "owner": op.owner,
                "where": op.where,
                "vars": op.vars,
                "patch": op.patch,
                "path": op.path,
            }
        case Derive():
            return {
                "op": "derive",
                "kind": op.kind,
                "key": op.key,
                "source": op.source,
                "state": op.state,
                "patch": op.patch,
                "path": op.path,
            }
        case EditList():
            return {
                "op": "edit_list",
                "kind": op.kind,
                "key": op.key,
                "member": op.member,
                "states": list(op.states),
                "add": list(op.add),
                "remove": list(op.remove),
                "path": op.path,
            }
        case Require():
            return {
                "op": "require",
                "kind": op.kind,
                "states": list(op.states),
                "key": op.key,
                "owner": op.owner,
                "contains": op.contains,
                "where": op.where,
                "vars": op.vars,
                "code": op.code,
                "message": op.message,
                "path": op.path,
            }
        case Open():
            return {
                "op": "open",
                "ledger": op.ledger,
                "key": op.key,
                "amount": str(op.amount),
                "owner": op.owner,
                "path": op.path,
            }
        case Debit() | Credit():
            return {
                "op": type(op).__name__.lower(),
                "ledger": op.ledger,
                "key": op.key,
                "amount": str(op.amount),
                "path": op.path,
            }
        case Restore():
            sender, _, doc_id = op.document.partition("/")
            return {
                "op": "restore",
                "ledger": op.ledger,
                "sender": sender,
                "doc_id": doc_id,
                "path": op.path,
            }
        case Settle():
            return {
                "op": "settle",
                "kind": op.kind,
                "key": op.key,
                "from": list(op.from_states),
                "to": op.to_state,
                "ledger": op.ledger,
                "ledger_key": op.ledger_key,
                "patch": op.patch,
                "path": op.path,
            }
        case NextSerial():
            stamp_kind, stamp_key = op.stamp or (None, None)
            return {
                "op": "next_serial",
                "counter": op.counter,
                "name": op.name,
                "prefix": op.prefix,
                "width": op.width,
                "kind": stamp_kind,
                "key": stamp_key,
                "path": op.path,
            }


def encode_document(sub: Submission) -> bytes:
    ops = [encode_op(op) for op in sub.ops]
    moved = [(op.ledger, op.key) for op in sub.ops if isinstance(op, Debit | Credit)]
    if len(moved) > 1 and len(set(moved)) == len(moved):
        # eport_move_lines need not look for a line that a run names twice.
        for encoded in ops:
            if encoded["op"] in ("debit", "credit"):
                encoded["lines_distinct"] = True
    return msgspec.json.encode(
        {"sender": sub.sender, "doc_id": sub.doc_id, "at": sub.received_at.isoformat(), "ops": ops}
    )


def storable(encoded: bytes) -> bool:
    """False if the JSON holds a NUL character, which jsonb refuses (failing the batch).

    The substring test settles almost every document; only a text that has the
    six bytes needs the pattern, which tells an escaped backslash from a NUL.
    """
    return b"\\u0000" not in encoded or _NUL.search(encoded) is None


def json_array(encoded: list[bytes]) -> str:
    return (b"[" + b",".join(encoded) + b"]").decode()


def decode_result(raw: dict[str, Any]) -> OpsResult:
    if raw["ok"]:
        values = {k: v if isinstance(v, str) else int(v) for k, v in raw["values"].items()}
        return OpsResult(ok=True, values=values)
    return OpsResult(ok=False, code=raw["code"], message=raw["message"], path=raw["path"])
