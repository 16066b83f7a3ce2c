"""The customs code tables: shipped CSV files, replaceable one by one by the operator.

The tables live in ``core_ext/codes/`` (sources and caveats in its README.md,
per-file source, version, row count and SHA-256 in its manifest.json). An
operator with the official tables points ``EPORT_CODES_DIR`` at a directory;
every ``<table>.csv`` found there replaces the shipped file of that name, the
others stay. A table is read and validated on first use, once per
``CodeTables``; a bad file raises CodeTableError naming the file and line, so a
gateway that calls ``load_all()`` at start-up refuses to start on it.

Validation: UTF-8 without BOM; the exact header; every row as wide as the
header; no value with surrounding whitespace or control characters; a code of
the table's shape, present once; a non-empty name. The legal units of
``hs_codes`` must be codes of ``units``. Codes are compared exactly, never
case-folded: in ``declaration_channels`` "a" and "A" are different codes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import threading
from collections.abc import Iterator, KeysView, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal, TypedDict

TableName = Literal[
    "trade_modes",
    "transport_modes",
    "transaction_terms",
    "levy_natures",
    "duty_modes",
    "units",
    "wrap_types",
    "countries_iso",
    "countries_numeric",
    "currencies_iso",
    "currencies_numeric",
    "container_types",
    "customs_districts",
    "hs_codes",
    "declaration_channels",
]

CODES_DIR_VARIABLE = "EPORT_CODES_DIR"


@dataclass(frozen=True, slots=True)
class TableSpec:
    columns: tuple[str, ...]
    code_pattern: str
    name_column: str = "name_zh"


TABLE_SPECS: Mapping[TableName, TableSpec] = {
    "trade_modes": TableSpec(("code", "name_zh"), r"[0-9]{4}"),
    "transport_modes": TableSpec(("code", "name_zh"), r"[0-9A-Z]"),
    "transaction_terms": TableSpec(("code", "name_zh", "name_en"), r"[0-9]"),
    "levy_natures": TableSpec(("code", "name_zh"), r"[0-9]{3}"),
    "duty_modes": TableSpec(("code", "name_zh"), r"[0-9]"),
    "units": TableSpec(("code", "name_zh"), r"[0-9]{3}"),
    "wrap_types": TableSpec(("code", "name_zh"), r"[0-9]{2}"),
    "countries_iso": TableSpec(("code", "name_zh"), r"[A-Z]{3}"),
    "countries_numeric": TableSpec(("code", "name_zh", "name_en"), r"[0-9]{3}"),
    "currencies_iso": TableSpec(("code", "name_zh"), r"[A-Z]{3}"),
    "currencies_numeric": TableSpec(("code", "iso", "name_zh"), r"[0-9]{3}"),
    "container_types": TableSpec(("code", "name_zh"), r"[0-9]{2}"),
    "customs_districts": TableSpec(("code", "name_zh"), r"[0-9]{4}"),
    "hs_codes": TableSpec(("code", "name_zh", "first_unit", "second_unit"), r"[0-9]{8}"),
    "declaration_channels": TableSpec(("code", "meaning_zh"), r"[0-9A-Za-z]{1,3}", "meaning_zh"),
}

_BAD_CHARACTER = re.compile(r"[\x00-\x1f\x7f\ufeff\ufffd]")


class CodeTableError(ValueError):
    """A code table file is missing or invalid."""


@dataclass(frozen=True, eq=False)
class CodeTable:
    """One loaded table: ``code in table``, ``name(code)``, ``row(code)`` and its metadata."""

    table: str
    columns: tuple[str, ...]
    path: Path
    source: str
    version: str
    sha256: str
    overridden: bool
    _rows: dict[str, tuple[str, ...]] = field(repr=False)
    _name_index: int = field(repr=False)

    @property
    def codes(self) -> KeysView[str]:
        """The codes, for hot loops: ``value in table.codes`` saves a method call."""
        return self._rows.keys()

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def name(self, code: str) -> str | None:
        row = self._rows.get(code)
        return None if row is None else row[self._name_index]

    def row(self, code: str) -> dict[str, str] | None:
        row = self._rows.get(code)
        return None if row is None else dict(zip(self.columns, row, strict=True))


class CodeTables:
    """The table set: shipped files, each replaced by ``override_dir/<table>.csv`` if present."""

    def __init__(self, override_dir: Path | None = None) -> None:
        self.override_dir = override_dir
        self._tables: dict[str, CodeTable] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> CodeTables:
        value = (os.environ if environ is None else environ).get(CODES_DIR_VARIABLE)
        return cls(Path(value) if value else None)

    def __getitem__(self, name: TableName) -> CodeTable:
        table = self._tables.get(name)
        if table is None:
            with self._lock:
                table = self._tables.get(name)
                if table is None:
                    table = self._tables[name] = self._load(name)
        return table

    def load_all(self) -> None:
        """Load and validate every table now (call at start-up to fail fast)."""
        for name in TABLE_SPECS:
            self[name]

    def _load(self, name: TableName) -> CodeTable:
        spec = TABLE_SPECS[name]
        path, overridden = self._locate(name)
        raw = _read(path)
        digest = hashlib.sha256(raw).hexdigest()
        if overridden:
            source, version = f"operator copy {path}", "operator copy"
        else:
            entry = _manifest()[path.name]
            if entry["sha256"] != digest:
                raise CodeTableError(f"{path}: checksum differs from manifest.json (damaged?)")
            source, version = ", ".join(entry["sources"]), entry["version"]
        rows = _parse(path, raw, spec)
        table = CodeTable(
            table=name,
            columns=spec.columns,
            path=path,
            source=source,
            version=version,
            sha256=digest,
            overridden=overridden,
            _rows=rows,
            _name_index=spec.columns.index(spec.name_column),
        )
        if name == "hs_codes":
            self._check_units(table)
        return table

    def _locate(self, name: str) -> tuple[Path, bool]:
        if self.override_dir is not None:
            if not self.override_dir.is_dir():
                raise CodeTableError(f"{CODES_DIR_VARIABLE}={self.override_dir} is not a directory")
            candidate = self.override_dir / f"{name}.csv"
            if candidate.is_file():
                return candidate, True
        return shipped_dir() / f"{name}.csv", False

    def _check_units(self, hs_codes: CodeTable) -> None:
        units = self._tables.get("units")
        if units is None:
            units = self._tables["units"] = self._load("units")
        for code in hs_codes:
            row = hs_codes._rows[code]
            for unit in row[2:4]:
                if unit and unit not in units:
                    raise CodeTableError(
                        f"{hs_codes.path}: HS code {code} has unit {unit!r}, which is not in units"
                    )


def shipped_dir() -> Path:
    """The directory of the tables shipped with eport."""
    return Path(str(resources.files("core_ext") / "codes"))


class _ManifestEntry(TypedDict):
    sources: list[str]
    version: str
    rows: int
    sha256: str


@cache
def _manifest() -> dict[str, _ManifestEntry]:
    data: dict[str, _ManifestEntry] = json.loads(
        (shipped_dir() / "manifest.json").read_text("utf-8")
    )["files"]
    return data


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CodeTableError(f"{path}: cannot read ({exc.strerror})") from exc


def _parse(path: Path, raw: bytes, spec: TableSpec) -> dict[str, tuple[str, ...]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CodeTableError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return _rows(path, reader, spec)
    except csv.Error as exc:
        raise CodeTableError(f"{path}:{reader.line_num}: {exc}") from exc


def _rows(path: Path, reader: Iterator[list[str]], spec: TableSpec) -> dict[str, tuple[str, ...]]:
    header = next(reader, None)
    if header is None or tuple(header) != spec.columns:
        raise CodeTableError(f"{path}: header is {header}, expected {','.join(spec.columns)}")
    pattern = re.compile(spec.code_pattern)
    name_index = spec.columns.index(spec.name_column)
    rows: dict[str, tuple[str, ...]] = {}
    for line, row in enumerate(reader, start=2):
        where = f"{path}: row {line}"
        if len(row) != len(spec.columns):
            raise CodeTableError(f"{where} has {len(row)} values, expected {len(spec.columns)}")
        for value in row:
            if value != value.strip() or _BAD_CHARACTER.search(value):
                raise CodeTableError(f"{where}: value {value!r} has stray whitespace or characters")
        code = row[0]
        if not pattern.fullmatch(code):
            raise CodeTableError(f"{where}: code {code!r} does not match {spec.code_pattern}")
        if code in rows:
            raise CodeTableError(f"{where}: duplicate code {code!r}")
        if not row[name_index]:
            raise CodeTableError(f"{where}: empty {spec.name_column}")
        rows[code] = tuple(row)
    if not rows:
        raise CodeTableError(f"{path}: no rows")
    return rows


@cache
def default_tables() -> CodeTables:
    """The process-wide table set, configured by EPORT_CODES_DIR when first called."""
    return CodeTables.from_environ()
