"""The subsystem registry: what every document type is and who may sign it.

Each type declares its body schema (a msgspec Struct), its field rules, the
card kinds (and, for department cards, department kinds) allowed to sign it,
the right it needs, a pure handler returning a Decision, and an example body.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from routing.cards import Card, CardLookup
from routing.ops import Op

Body = TypeVar("Body", bound=msgspec.Struct)


class CertificateIssuer(Protocol):
    """The platform CA, the one capability a handler is handed: it signs certificates."""

    def issue(
        self,
        *,
        serial: int,
        enterprise: str,
        kind: str,
        holder: str,
        public_key: bytes,
        not_before: datetime,
        days: int,
    ) -> str: ...


class DocContext(msgspec.Struct, frozen=True):
    """What a handler may know besides the body: passed in, never looked up."""

    sender: str
    doc_id: str
    doc_type: str
    received_at: datetime
    card: Card
    issuer: CertificateIssuer | None = None
    # The card registry as ``identify`` saw it at receipt. A handler reads from it only
    # what never changes for a card (enterprise, kind, holder, key); whatever may
    # change (state, grants) it states as ops, which the commit checks or copies.
    cards: CardLookup | None = None


class Event(msgspec.Struct, frozen=True):
    """A change of a document's business state, sent to other enterprises."""

    recipients: tuple[str, ...]
    sender: str
    doc_id: str
    doc_type: str
    ref: dict[str, Any]


class Decision(msgspec.Struct, frozen=True):
    ref: dict[str, Any] = msgspec.field(default_factory=dict)
    ops: tuple[Op, ...] = ()
    event: Event | None = None


@dataclass(frozen=True, slots=True)
class DocSpec(Generic[Body]):
    type: str
    body: builtins.type[Body]
    handler: Callable[[DocContext, Body], Decision]
    card_kinds: frozenset[str]
    example: Callable[[], dict[str, Any]]
    # For department cards: the department kinds allowed (None: any).
    department_kinds: frozenset[str] | None = None
    rules: tuple[Callable[[Body], None], ...] = ()
    description: str = ""

    @property
    def subsystem(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def decoder(self) -> msgspec.json.Decoder[Body]:
        return _decoder(self.body)


_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def _decoder(body: type[Body]) -> msgspec.json.Decoder[Body]:
    decoder = _decoders.get(body)
    if decoder is None:
        decoder = _decoders[body] = msgspec.json.Decoder(body)
    return decoder


class Registry(Mapping[str, DocSpec[Any]]):
    """Document type name -> DocSpec. Registering a type twice is a programming error."""

    def __init__(self, specs: Iterable[DocSpec[Any]] = ()) -> None:
        self._specs: dict[str, DocSpec[Any]] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: DocSpec[Any]) -> None:
        if spec.type in self._specs:
            raise ValueError(f"document type {spec.type} registered twice")
        self._specs[spec.type] = spec

    def __getitem__(self, doc_type: str) -> DocSpec[Any]:
        return self._specs[doc_type]

    def __iter__(self) -> Any:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def schemas(self) -> dict[str, dict[str, Any]]:
        """JSON Schema of every document type's body, by type name."""
        return {name: body_schema(spec) for name, spec in sorted(self._specs.items())}


def body_schema(spec: DocSpec[Any]) -> dict[str, Any]:
    (schema,), components = msgspec.json.schema_components([spec.body])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": spec.type,
        "description": spec.description,
        **schema,
        "$defs": components,
    }
