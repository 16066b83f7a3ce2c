"""The values that cross the store's API: submissions in, outcomes out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Literal

import msgspec

from routing.ops import Op


class StoreMisconfigured(RuntimeError):
    """The database would not keep acknowledged documents durable; refuse to serve."""


class Submission(msgspec.Struct, frozen=True):
    sender: str
    doc_id: str
    doc_type: str
    doc_bytes: bytes  # the exact signed document bytes
    doc_sm3: bytes  # 32 bytes, SM3 of doc_bytes
    sig: bytes
    cert: str
    received_at: datetime  # aware, UTC
    ops: tuple[Op, ...]  # evaluated in order inside the batch transaction
    notify: tuple[str, ...]  # enterprises other than the sender that get an event
    status: str  # "accepted" | "rejected", as decided before the ops
    code: str  # "OK" or the rejection code
    # Opaque to the store: handed back to the sealer (the gateway passes its Verdict).
    context: object = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.sender, self.doc_id)


class OpsResult(msgspec.Struct, frozen=True):
    ok: bool
    code: str | None = None
    message: str | None = None
    path: str | None = None
    values: dict[str, int | str] = msgspec.field(default_factory=dict)  # NextSerial results by name


class Sealed(msgspec.Struct, frozen=True):
    receipt: bytes  # the signed receipt envelope for the sender
    events: tuple[tuple[str, bytes], ...]  # (enterprise, signed event envelope)
    status: str
    code: str


class Outcome(msgspec.Struct, frozen=True):
    kind: Literal["new", "replay", "conflict"]
    receipt: bytes  # the stored receipt; b"" for "conflict" (and for a replay whose
    #                 day was dropped by retention: the id stays consumed)
    status: str
    code: str
    seq: int


# Builds and signs the receipts and events of a batch's new documents: each document's
# Submission, the result of its ops and its seqs by enterprise, in; its Sealed, out. It
# runs on the store thread inside the batch transaction, so it must be pure CPU work.
Sealer = Callable[[Sequence[Submission], Sequence[OpsResult], Sequence[Mapping[str, int]]],
                  list[Sealed]]


class Entity(msgspec.Struct, frozen=True):
    kind: str
    key: str
    state: str
    owner: str
    data: dict[str, object]
    version: int


class Change(msgspec.Struct, frozen=True):
    """One row of an entity's history: a creation (from_state None) or a transition."""

    from_state: str | None
    to_state: str
    patch: dict[str, object]  # the data a creation set, or the members a change set
    sender: str
    doc_id: str
    at: datetime
