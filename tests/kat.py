"""The one loader for the known-answer files in tests/vectors/.

Format: `Key = value` lines; records are separated by blank lines; `#` starts a
comment line (the provenance headers). Values are kept as the text given.
"""

from __future__ import annotations

from pathlib import Path

VECTORS = Path(__file__).parent / "vectors"


def load(name: str) -> list[dict[str, str]]:
    """All records of tests/vectors/<name>, in file order."""
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in (VECTORS / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            if current:
                records.append(current)
                current = {}
            continue
        key, separator, value = line.partition("=")
        if not separator:
            raise ValueError(f"{name}: not a 'key = value' line: {line!r}")
        current[key.strip()] = value.strip()
    if current:
        records.append(current)
    return records
