"""The 18-digit entry number (报关单号), assigned when customs accepts a declaration.

    district (4) + year (4) + 1 import / 0 export + serial (9, zero-padded)

The serial comes from a counter per district, year and direction, incremented
inside the commit (routing.ops.NextSerial), so numbers are unique across every
gateway process; the same op stamps it into the declaration's data.
"""

from __future__ import annotations

from datetime import datetime

from routing.ops import NextSerial
from routing.subsystems.dec.parties import CHINA

SERIAL_DIGITS = 9


def entry_prefix(district: str, import_export: str, accepted_at: datetime) -> str:
    year = accepted_at.astimezone(CHINA).year
    return f"{district}{year:04d}{'1' if import_export == 'I' else '0'}"


def assign_entry_number(declaration: str, district: str, import_export: str,
                        accepted_at: datetime) -> NextSerial:
    prefix = entry_prefix(district, import_export, accepted_at)
    return NextSerial(f"entry:{prefix}", "entry_id", prefix=prefix, width=SERIAL_DIGITS,
                      stamp=("declaration", declaration), path="$.body.declaration")
