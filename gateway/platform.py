"""The platform's own material under ``$EPORT_HOME``, created once by ``eport init``.

    ca.key, ca.pem              platform CA (SM2, self-signed)
    receipt.key, receipt.pem    receipt-signing key and its certificate from the CA
    admin.key, admin.pem        the first admin card: a department card of kind platform
    admin.json                  {"enterprise": <platform code>, "cert": <admin serial>}

Private keys are written with mode 0600 and never logged. At start the gateway
seeds the platform enterprise and the admin card into the store (once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core_ext.pki import (
    Certificate,
    CertificateAuthority,
    KeyPair,
    SubjectName,
    parse_certificate,
    public_key_to_hex,
)
from gateway.store import Store

PLATFORM_CODE = "11000EPORT"
PLATFORM_USCC = "91110000717829939J"
SIGNER_DAYS = 3650
FILES = ("ca.key", "ca.pem", "receipt.key", "receipt.pem", "admin.key", "admin.pem",
         "admin.json")


class PlatformMissing(RuntimeError):
    """``$EPORT_HOME`` has no platform material: run ``eport init`` first."""


class Authority:
    """The platform CA as a handler's CertificateIssuer."""

    def __init__(self, ca: CertificateAuthority) -> None:
        self._ca = ca

    def issue(self, *, serial: int, enterprise: str, kind: str, holder: str,
              public_key: bytes, not_before: datetime, days: int) -> str:
        subject = SubjectName(holder, enterprise, kind)
        certificate = self._ca.issue(subject, public_key, serial=serial,
                                     not_before=not_before, days=days)
        return certificate.pem.decode("ascii")


@dataclass(frozen=True)
class Platform:
    ca: CertificateAuthority
    receipt: Certificate
    receipt_key: bytes
    admin: Certificate
    code: str

    @property
    def authority(self) -> Authority:
        return Authority(self.ca)

    @property
    def ca_pem(self) -> bytes:
        return self.ca.certificate.pem

    @property
    def receipt_cert(self) -> str:
        return self.receipt.serial_hex

    @classmethod
    def load(cls, home: Path) -> Platform:
        missing = [name for name in FILES if not (home / name).is_file()]
        if missing:
            raise PlatformMissing(f"{home} lacks {', '.join(missing)}: run `eport init` first")
        admin = json.loads((home / "admin.json").read_text("utf-8"))
        return cls(
            ca=CertificateAuthority.load((home / "ca.key").read_bytes(),
                                         (home / "ca.pem").read_bytes()),
            receipt=parse_certificate((home / "receipt.pem").read_bytes()),
            receipt_key=KeyPair.load((home / "receipt.key").read_bytes()).private_key,
            admin=parse_certificate((home / "admin.pem").read_bytes()),
            code=admin["enterprise"],
        )

    async def bootstrap(self, store: Store) -> None:
        """The platform enterprise and its admin card exist in the store."""
        await store.ensure_entity("enterprise", self.code, "active", self.code, {
            "code": self.code, "uscc": PLATFORM_USCC, "name": "中国电子口岸数据中心",
            "type": "department", "department_kind": "platform", "qualifications": [],
        })
        admin = self.admin
        await store.ensure_entity("card", admin.serial_hex, "active", self.code, {
            "enterprise": self.code, "kind": "department", "holder": admin.subject.common_name,
            "card_no": admin.serial_hex,
            "public_key": public_key_to_hex(admin.public_key),
            "not_before": admin.not_before.isoformat(), "not_after": admin.not_after.isoformat(),
            "grants": [], "certificate": admin.pem.decode("ascii"),
        })

    async def certificate(self, store: Store, serial: str) -> bytes | None:
        for own in (self.ca.certificate, self.receipt, self.admin):
            if own.serial_hex == serial:
                return own.pem
        found = await store.entity("card", serial)
        return None if found is None else str(found.data["certificate"]).encode("ascii")


def init_home(home: Path, code: str = PLATFORM_CODE, *, ca_since: datetime | None = None) -> Path:
    """Create the platform material; refuses to overwrite any of it.

    ``ca_since``: the CA's start of validity (default now); a CA that started
    earlier can issue cards whose validity already ended (tests of expiry).
    """
    existing = [name for name in FILES if (home / name).exists()]
    if existing:
        raise FileExistsError(f"{home} already holds {', '.join(existing)}; not overwriting")
    home.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority.create(SubjectName("E-port Platform CA", code, "platform"),
                                     not_before=ca_since)
    ca.save(home / "ca.key", home / "ca.pem")
    start = ca.certificate.not_before  # the signers' validity ends with the CA's
    for name, holder in (("receipt", "E-port receipt signer"), ("admin", "Platform admin")):
        key = KeyPair.generate()
        key.save(home / f"{name}.key")
        certificate = ca.issue(SubjectName(holder, code, "department"), key.public_key,
                               not_before=start, days=SIGNER_DAYS)
        (home / f"{name}.pem").write_bytes(certificate.pem)
        if name == "admin":
            admin_serial = certificate.serial_hex
    (home / "admin.json").write_text(
        json.dumps({"enterprise": code, "cert": admin_serial}) + "\n", "utf-8")
    return home
