"""Value shapes shared by dec, agent and paperless bodies (checked by msgspec)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from routing.subsystems.identity.onboarding import CustomsCode

__all__ = ["Amount", "CustomsCode", "DocRef", "Flag", "IsoDate", "Text", "doc_key", "initiator",
           "recipients"]

# Printable text without control characters (they hide in names and break reports).
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]
# Decimals travel as strings, never JSON numbers: a float would lose digits before
# the field rules could see them. Precision and scale are checked by those rules.
Amount = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
IsoDate = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
# A business object created by a document is named by that document: "sender/id".
DocRef = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Z]{10}/[A-Za-z0-9._:-]{1,64}$")]
# I: import, E: export; entrustments may also cover both (B).
Flag = Literal["I", "E"]


def doc_key(sender: str, doc_id: str) -> str:
    return f"{sender}/{doc_id}"


def initiator(ref: str) -> str:
    """The enterprise whose document created the object ``ref`` names."""
    return ref.split("/", 1)[0]


def recipients(sender: str, *parties: str | None) -> tuple[str, ...]:
    """Every party concerned except the sender (who has its receipt), each once."""
    return tuple(dict.fromkeys(p for p in parties if p is not None and p != sender))
