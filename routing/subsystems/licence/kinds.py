"""The licence kinds: which department issues each and which declarations draw on it.

    kind                  issuer   written off by      checked per item
    import_licence        mofcom   imports
    export_licence        mofcom   exports
    environmental_permit  mee      imports, exports
    ata_carnet            ccpit    imports, exports
    origin_certificate    ccpit    (never)             origin country, HS code
    automobile_certificate  customs, on release, one per VIN (vehicles.py)
"""

from __future__ import annotations

from typing import Literal, NamedTuple

LICENCE_LEDGER = "licence"
AUTOMOBILE_CERTIFICATE = "automobile_certificate"
ORIGIN_CERTIFICATE = "origin_certificate"

IssuedKind = Literal["import_licence", "export_licence", "environmental_permit", "ata_carnet",
                     "origin_certificate"]


class LicenceKind(NamedTuple):
    issuer: str  # the department kind whose card issues, amends and revokes it
    written_off_by: str  # the import_export flags of declarations that debit its lines


KINDS: dict[str, LicenceKind] = {
    "import_licence": LicenceKind("mofcom", "I"),
    "export_licence": LicenceKind("mofcom", "E"),
    "environmental_permit": LicenceKind("mee", "IE"),
    "ata_carnet": LicenceKind("ccpit", "IE"),
    ORIGIN_CERTIFICATE: LicenceKind("ccpit", ""),
}
ISSUERS = frozenset(kind.issuer for kind in KINDS.values())


def written_off_by(flag: str) -> tuple[str, ...]:
    """The kinds a declaration with this import_export flag may write off."""
    return tuple(name for name, kind in KINDS.items() if flag in kind.written_off_by)


def line_key(licence: str, line: int) -> str:
    return f"{licence}#{line}"
