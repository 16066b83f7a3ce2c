"""Operations a pure handler asks the store to perform inside the commit.

A handler never reads the database. Whatever it needs to be true at commit time
(an entrustment exists, a licence line has enough balance, a declaration is in
a given state) it states as operations here. The store evaluates one document's
operations in order, inside the batch transaction, as conditional statements in
a sub-transaction: the first that fails rolls back that document's operations
only and turns its receipt into a rejection with the operation's code, message
and path. Other documents of the batch are unaffected.

Entities are business objects with a state (cards, declarations, entrustments,
agreements, bills...), keyed by (kind, key), with a JSON ``data`` object and an
``owner`` enterprise. Ledgers are balances keyed by (ledger, key), changed only
through Open/Debit/Credit/Restore; every change is a history row naming the
document, so any balance is the sum of its history.

    op             fails with               when
    Create         STATE_CONFLICT           (kind, key) exists already
    Transition     REFERENCE_UNKNOWN        (kind, key) does not exist
                   STATE_CONFLICT           its state is not in from_states
    TransitionAll  never                    (moves every entity of kind, of owner, with data
                                            matching `where`, whose state is in from_states;
                                            matching none is fine)
    Derive         REFERENCE_UNKNOWN        (kind, source) does not exist
                   STATE_CONFLICT           (kind, key) exists already
    EditList       REFERENCE_UNKNOWN        (kind, key) does not exist
                   STATE_CONFLICT           its state is not in states
    Require        op.code (RULE_VIOLATION  no entity of kind (with key, and of owner, if
                   by default)              given) has a state in states and data containing
                                            `contains` and matching `where`
    Open           STATE_CONFLICT           (ledger, key) exists already
    Debit          REFERENCE_UNKNOWN        (ledger, key) does not exist
                   LEDGER_INSUFFICIENT      balance < amount
    Credit         REFERENCE_UNKNOWN        (ledger, key) does not exist
    Restore        never                    (credits back, on every key of ``ledger``, what
                                            ``document`` debited and no Restore gave back yet;
                                            the amounts come from ledger_history)
    Settle         REFERENCE_UNKNOWN        (kind, key) or (ledger, ledger_key) does not exist
                                            (otherwise moves the entity from from_states to
                                            to_state once the balance is zero; in any other
                                            state or with a balance left it does nothing)
    NextSerial     REFERENCE_UNKNOWN        its ``stamp`` entity does not exist
                   RULE_VIOLATION           the value outgrew ``width`` digits
                   (otherwise returns the next value of a counter as result[name])
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

JSON = dict[str, Any]


class Create(msgspec.Struct, frozen=True):
    kind: str
    key: str
    state: str
    owner: str
    data: JSON = msgspec.field(default_factory=dict)
    path: str = "$"


class Transition(msgspec.Struct, frozen=True):
    kind: str
    key: str
    from_states: tuple[str, ...]
    to_state: str
    patch: JSON = msgspec.field(default_factory=dict)
    path: str = "$"


class TransitionAll(msgspec.Struct, frozen=True):
    """Every entity of ``kind`` in ``from_states`` (owned by ``owner`` and with data
    matching ``where``, when given) moves to ``to_state``, patched; each change is a
    history row. Matching nothing is not a failure (an enterprise without cards)."""

    kind: str
    from_states: tuple[str, ...]
    to_state: str
    owner: str | None = None
    where: str | None = None
    vars: JSON = msgspec.field(default_factory=dict)
    patch: JSON = msgspec.field(default_factory=dict)
    path: str = "$"


class Derive(msgspec.Struct, frozen=True):
    """Create (kind, key) from the data of (kind, source) as it is at commit time,
    overlaid with ``patch``, with the source's owner: what a handler cannot read (a
    card's grants, for its renewal or reissue) is copied inside the commit."""

    kind: str
    key: str
    source: str
    state: str
    patch: JSON = msgspec.field(default_factory=dict)
    path: str = "$"


class EditList(msgspec.Struct, frozen=True):
    """The array ``data[member]`` gains ``add`` and loses ``remove`` (kept sorted, each
    value once), if the entity's state is in ``states``. Concurrent edits of one list
    serialise on the row, so no grant is lost the way a whole-list patch would lose it."""

    kind: str
    key: str
    member: str
    states: tuple[str, ...]
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    path: str = "$"


class Require(msgspec.Struct, frozen=True):
    """Some entity of ``kind`` satisfies the condition.

    ``contains`` is a JSON object the entity's data must contain (PostgreSQL's
    ``@>``: every key with an equal value; an array, every element contained in some
    element of the data's array), the cheap check for equalities. ``where`` is a
    PostgreSQL jsonpath predicate over the data, with ``vars`` bound as ``$name``
    (for example ``'$.valid_from <= $day && $.valid_to >= $day'``).

    Without a ``key``, name the ``owner`` where it is known: the store then looks
    among that enterprise's entities of the kind only (an index), not all of them.
    """

    kind: str
    states: tuple[str, ...]
    key: str | None = None
    owner: str | None = None
    contains: JSON = msgspec.field(default_factory=dict)
    where: str | None = None
    vars: JSON = msgspec.field(default_factory=dict)
    code: str = "RULE_VIOLATION"
    message: str = "required record not found"
    path: str = "$"


class Open(msgspec.Struct, frozen=True):
    ledger: str
    key: str
    amount: Decimal
    owner: str
    path: str = "$"


class Debit(msgspec.Struct, frozen=True):
    ledger: str
    key: str
    amount: Decimal
    path: str = "$"


class Credit(msgspec.Struct, frozen=True):
    ledger: str
    key: str
    amount: Decimal
    path: str = "$"


class NextSerial(msgspec.Struct, frozen=True):
    """The next value (1, 2, ...) of ``counter``, as ``result[name]``.

    With ``width`` the value is text: ``prefix`` followed by the number zero-padded
    to ``width`` digits (an identifier such as an entry number, which must never
    lose a digit). With ``stamp`` (kind, key) the value is also written into that
    entity's data under ``name``, in the same commit, so the entity carries it.

    The document only claims its value; the store counts the batch's claims after
    all of its documents' operations, in document order, so a counter is locked
    for the end of the commit only and a rejected document takes no number. The
    stamp is therefore not yet in the entity's data for the other operations of
    the same batch.
    """

    counter: str
    name: str
    prefix: str = ""
    width: int = 0
    stamp: tuple[str, str] | None = None
    path: str = "$"


class Restore(msgspec.Struct, frozen=True):
    """Give back what a document took: a rejected declaration's licence write-offs.

    The handler of the rejection cannot read how much the declaration debited, so
    the store sums it from ledger_history (rows of ``document``, "sender/doc id",
    on ``ledger``, less what earlier Restores of it gave back) and credits each key
    in key order; the history rows name the restoring document and, in
    ``restores``, the restored one. Restoring twice gives back nothing more.
    """

    ledger: str
    document: str
    path: str = "$"


class Settle(msgspec.Struct, frozen=True):
    """Move (kind, key) from ``from_states`` to ``to_state`` once (ledger, ledger_key)
    is zero: a declaration becomes tax_paid with the payment of its last bill.

    The ledger row is read under a row lock (as a Debit takes it), so of two
    documents paying the last two bills at once the second waits, sees a zero
    balance and moves the entity; the first sees money still owed and does nothing.
    """

    kind: str
    key: str
    from_states: tuple[str, ...]
    to_state: str
    ledger: str
    ledger_key: str
    patch: JSON = msgspec.field(default_factory=dict)
    path: str = "$"


Op = (Create | Transition | TransitionAll | Derive | EditList | Require | Open | Debit | Credit
      | Restore | Settle | NextSerial)
