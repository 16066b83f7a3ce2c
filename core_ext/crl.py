"""X.509 v2 certificate revocation lists, signed SM2-with-SM3 by the platform CA.

The CRL signature uses an EMPTY SM2 user ID by default (``CRL_SIGNATURE_UID``),
unlike certificates. OpenSSL 3.0 verifies CRLs (``X509_CRL_verify``, used by
``openssl crl -verify`` and ``openssl verify -crl_check``) without any
distinguishing ID and offers no option to set one, so its Z value is computed
over an empty ID; a CRL signed with the default ID 1234567812345678 fails there.
Callers that serve verifiers following GM/T 0015 strictly can pass
``uid=sm2.DEFAULT_UID`` to both signing and checking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from asn1crypto import crl as asn1_crl

from core_ext import sm2
from core_ext.asn1_sm2 import (
    SM2_WITH_SM3,
    PKIError,
    asn1_time,
    der_from,
    hostile_input,
    load_strict,
    to_pem,
    utc_datetime,
)
from core_ext.keys import KeyPair
from core_ext.x509 import SubjectName, key_identifier, raw_signature

CRL_SIGNATURE_UID = b""


class RevocationReason(StrEnum):
    """RFC 5280 CRLReason, named as asn1crypto names them (value 7 is unused)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    CA_COMPROMISE = "ca_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    CERTIFICATE_HOLD = "certificate_hold"
    REMOVE_FROM_CRL = "remove_from_crl"
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn"
    AA_COMPROMISE = "aa_compromise"


@dataclass(frozen=True)
class RevokedCertificate:
    serial: int
    revoked_at: datetime
    reason: RevocationReason | None = None


@dataclass(frozen=True)
class CRLFields:
    """What the issuer decides about a new CRL."""

    number: int
    this_update: datetime
    next_update: datetime
    revoked: tuple[RevokedCertificate, ...] = ()

    def __post_init__(self) -> None:
        if self.number < 0:
            raise PKIError("CRL number must not be negative")
        if self.next_update <= self.this_update:
            raise PKIError("next_update must be later than this_update")
        serials = [entry.serial for entry in self.revoked]
        if len(serials) != len(set(serials)) or any(serial < 1 for serial in serials):
            raise PKIError("revoked serials must be positive and listed once")


@dataclass(frozen=True)
class CRL:
    """A parsed CRL; ``der`` is authoritative, the rest is read from it."""

    der: bytes = field(repr=False)
    issuer: SubjectName
    number: int | None
    this_update: datetime
    next_update: datetime | None
    authority_key_id: bytes | None = field(repr=False)
    revoked: tuple[RevokedCertificate, ...] = field(repr=False)
    tbs: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    @property
    def pem(self) -> bytes:
        return to_pem("X509 CRL", self.der)

    def find(self, serial: int) -> RevokedCertificate | None:
        """The entry revoking ``serial``, if listed."""
        return next((entry for entry in self.revoked if entry.serial == serial), None)

    def signed_by(self, issuer_public_key: bytes, *, uid: bytes = CRL_SIGNATURE_UID) -> bool:
        return sm2.verify(issuer_public_key, self.tbs, self.signature, uid=uid)


def _entry(revoked: RevokedCertificate) -> dict[str, object]:
    entry: dict[str, object] = {
        "user_certificate": revoked.serial,
        "revocation_date": asn1_time(revoked.revoked_at),
    }
    if revoked.reason is not None:
        entry["crl_entry_extensions"] = [
            {"extn_id": "crl_reason", "extn_value": revoked.reason.value}
        ]
    return entry


def sign_crl(
    fields: CRLFields,
    *,
    issuer: SubjectName,
    issuer_key: KeyPair,
    uid: bytes = CRL_SIGNATURE_UID,
) -> CRL:
    """Build the v2 CRL, sign its TBS with ``issuer_key`` and parse it back."""
    algorithm = {"algorithm": SM2_WITH_SM3}
    tbs_fields: dict[str, object] = {
        "version": "v2",
        "signature": algorithm,
        "issuer": issuer.to_asn1(),
        "this_update": asn1_time(fields.this_update),
        "next_update": asn1_time(fields.next_update),
        "crl_extensions": [
            {"extn_id": "crl_number", "extn_value": fields.number},
            {
                "extn_id": "authority_key_identifier",
                "extn_value": {"key_identifier": key_identifier(issuer_key.public_key)},
            },
        ],
    }
    # RFC 5280 §5.1.2.6: the list is absent, not empty, when nothing is revoked.
    if fields.revoked:
        tbs_fields["revoked_certificates"] = [_entry(entry) for entry in fields.revoked]
    tbs = asn1_crl.TbsCertList(tbs_fields)
    signature = sm2.sig_to_der(sm2.sign(issuer_key.private_key, tbs.dump(), uid=uid))
    crl = asn1_crl.CertificateList(
        {"tbs_cert_list": tbs, "signature_algorithm": algorithm, "signature": signature}
    )
    return parse_crl(crl.dump())


def _revoked(entry: asn1_crl.RevokedCertificate) -> RevokedCertificate:
    reason = entry.crl_reason_value
    return RevokedCertificate(
        serial=entry["user_certificate"].native,
        revoked_at=utc_datetime(entry["revocation_date"].native, "revocation date"),
        reason=None if reason is None else RevocationReason(reason.native),
    )


def parse_crl(data: bytes) -> CRL:
    """Read a PEM or DER CRL signed SM2-with-SM3; anything else raises ``PKIError``."""
    _, der = der_from(data, ("X509 CRL",), "CRL")
    crl = load_strict(asn1_crl.CertificateList, der, "CRL")
    with hostile_input("CRL"):
        tbs = crl["tbs_cert_list"]
        algorithms = (
            crl["signature_algorithm"]["algorithm"].dotted,
            tbs["signature"]["algorithm"].dotted,
        )
        signature = raw_signature(algorithms, bytes(crl["signature"].native), "CRL")
        next_update = tbs["next_update"].native
        return CRL(
            der=der,
            issuer=SubjectName.from_asn1(tbs["issuer"]),
            number=crl.crl_number_value.native if crl.crl_number_value else None,
            this_update=utc_datetime(tbs["this_update"].native, "this_update"),
            next_update=None if next_update is None else utc_datetime(next_update, "next_update"),
            authority_key_id=crl.authority_key_identifier,
            revoked=tuple(_revoked(entry) for entry in tbs["revoked_certificates"]),
            tbs=tbs.dump(),
            signature=signature,
        )
