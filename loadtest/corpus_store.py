"""The stored corpus: ``envelopes.bin`` (each envelope prefixed by its length, u32
big-endian) and ``manifest.json`` (the cards, the mix, and per document its sender,
id and expected outcome), so one signing pass serves many runs.

A corpus holds signed timestamps: the gateway accepts it for ``max_age`` (24 h by
default) after it was made.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal

import msgspec

Expect = Literal["new", "receipt", "replay", "conflict", "bad_signature"]
# The HTTP statuses each expectation allows. "receipt" is a type whose business
# rules may reject a synthetic body (422), which still stores a receipt.
EXPECT_STATUSES: dict[str, tuple[int, ...]] = {
    "new": (201,),
    "receipt": (201, 422),
    "replay": (200,),
    "conflict": (409,),
    "bad_signature": (401,),
}
ENVELOPES = "envelopes.bin"
MANIFEST = "manifest.json"
_PREFIX = struct.Struct(">I")


class Card(msgspec.Struct, frozen=True):
    """A card the corpus signs with (test keys only): kept to authenticate streams."""

    enterprise: str
    cert: str
    private_key: str  # hex


class DocEntry(msgspec.Struct, array_like=True, frozen=True):
    sender: str
    id: str
    expect: Expect


class Manifest(msgspec.Struct):
    created_at: str
    offline: bool
    mix: list[dict[str, Any]]
    cards: list[Card]
    documents: list[DocEntry]


class CorpusWriter:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._file: BinaryIO = (directory / ENVELOPES).open("wb")
        self.documents: list[DocEntry] = []

    def __enter__(self) -> CorpusWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._file.close()

    def add(self, envelope: bytes, entry: DocEntry) -> None:
        self._file.write(_PREFIX.pack(len(envelope)) + envelope)
        self.documents.append(entry)

    def finish(self, *, created_at: str, offline: bool, mix: list[dict[str, Any]],
               cards: list[Card]) -> Path:
        self._file.flush()
        manifest = Manifest(created_at, offline, mix, cards, self.documents)
        path = self.directory / MANIFEST
        path.write_bytes(msgspec.json.encode(manifest))
        return path


@dataclass
class Corpus:
    directory: Path
    manifest: Manifest
    _data: mmap.mmap | bytes
    _offsets: list[int]

    @classmethod
    def load(cls, directory: Path) -> Corpus:
        manifest = msgspec.json.decode((directory / MANIFEST).read_bytes(), type=Manifest)
        with (directory / ENVELOPES).open("rb") as file:
            size = file.seek(0, 2)
            data: mmap.mmap | bytes = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) \
                if size else b""
        offsets, position = [], 0
        while position < size:
            offsets.append(position)
            (length,) = _PREFIX.unpack_from(data, position)
            position += _PREFIX.size + length
        if position != size or len(offsets) != len(manifest.documents):
            raise ValueError(f"{directory}: envelopes and manifest disagree (truncated corpus?)")
        return cls(directory, manifest, data, offsets)

    def __len__(self) -> int:
        return len(self._offsets)

    def envelope(self, index: int) -> bytes:
        start = self._offsets[index] + _PREFIX.size
        (length,) = _PREFIX.unpack_from(self._data, self._offsets[index])
        return bytes(self._data[start:start + length])

    def entry(self, index: int) -> DocEntry:
        return self.manifest.documents[index]

    def cards_by_enterprise(self) -> dict[str, Card]:
        return {card.enterprise: card for card in self.manifest.cards}
