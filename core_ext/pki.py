"""The platform's PKI in one import: the certificate authority and the encodings it uses.

    keys.py      SM2 private/public key encodings, KeyPair, 0600 key files
    x509.py      certificate profile: sign_certificate, parse_certificate
    crl.py       revocation lists: sign_crl, parse_crl (empty SM2 ID, see there)
    asn1_sm2.py  SM2 OIDs registered with asn1crypto; PKIError for any bad input

``CertificateAuthority`` holds the CA key and certificate and issues
certificates and CRLs. Serials and times may be given explicitly (tests,
replays) or left to the defaults: a random serial and the current time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core_ext.asn1_sm2 import SM2_CURVE_OID, SM2_WITH_SM3_OID, PKIError
from core_ext.crl import (
    CRL,
    CRL_SIGNATURE_UID,
    CRLFields,
    RevocationReason,
    RevokedCertificate,
    parse_crl,
    sign_crl,
)
from core_ext.keys import (
    KeyPair,
    load_private_key,
    load_public_key,
    private_key_to_der,
    private_key_to_pem,
    public_key_from_hex,
    public_key_to_der,
    public_key_to_hex,
    public_key_to_pem,
    write_private_key,
)
from core_ext.x509 import (
    Certificate,
    CertificateFields,
    SubjectName,
    new_serial,
    parse_certificate,
    serial_hex,
    sign_certificate,
)

__all__ = [
    "CRL",
    "CRL_SIGNATURE_UID",
    "SM2_CURVE_OID",
    "SM2_WITH_SM3_OID",
    "CRLFields",
    "Certificate",
    "CertificateAuthority",
    "CertificateFields",
    "KeyPair",
    "PKIError",
    "RevocationReason",
    "RevokedCertificate",
    "SubjectName",
    "load_private_key",
    "load_public_key",
    "new_serial",
    "parse_certificate",
    "parse_crl",
    "private_key_to_der",
    "private_key_to_pem",
    "public_key_from_hex",
    "public_key_to_der",
    "public_key_to_hex",
    "public_key_to_pem",
    "serial_hex",
    "sign_certificate",
    "sign_crl",
    "write_private_key",
]

CA_DAYS = 3650
CERTIFICATE_DAYS = 365
CRL_DAYS = 1


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class CertificateAuthority:
    """The platform CA: its key pair and self-signed certificate."""

    def __init__(self, key: KeyPair, certificate: Certificate) -> None:
        if certificate.public_key != key.public_key:
            raise PKIError("CA key does not match the CA certificate")
        if not certificate.is_ca or "key_cert_sign" not in certificate.key_usage:
            raise PKIError("certificate is not a CA certificate")
        self.key = key
        self.certificate = certificate

    def __repr__(self) -> str:
        return f"CertificateAuthority({self.certificate.subject!r}, {self.certificate.serial_hex})"

    @classmethod
    def create(
        cls,
        subject: SubjectName,
        *,
        key: KeyPair | None = None,
        serial: int | None = None,
        not_before: datetime | None = None,
        days: int = CA_DAYS,
    ) -> CertificateAuthority:
        """A new self-signed CA (a fresh key unless ``key`` is given)."""
        key = key or KeyPair.generate()
        start = not_before or _now()
        fields = CertificateFields(
            subject=subject,
            public_key=key.public_key,
            serial=new_serial() if serial is None else serial,
            not_before=start,
            not_after=start + timedelta(days=days),
            is_ca=True,
        )
        return cls(key, sign_certificate(fields, issuer=subject, issuer_key=key))

    @classmethod
    def load(cls, key_data: bytes, certificate_data: bytes) -> CertificateAuthority:
        return cls(KeyPair.load(key_data), parse_certificate(certificate_data))

    def save(self, key_path: Path, certificate_path: Path, *, overwrite: bool = False) -> None:
        """Write the key (0600) and the certificate PEM."""
        write_private_key(key_path, self.key.private_key, overwrite=overwrite)
        with certificate_path.open("wb" if overwrite else "xb") as out:
            out.write(self.certificate.pem)

    def issue(
        self,
        subject: SubjectName,
        public_key: bytes,
        *,
        serial: int | None = None,
        not_before: datetime | None = None,
        days: int = CERTIFICATE_DAYS,
    ) -> Certificate:
        """An end-entity signing certificate (cards, the receipt signer)."""
        start = not_before or _now()
        fields = CertificateFields(
            subject=subject,
            public_key=public_key,
            serial=new_serial() if serial is None else serial,
            not_before=start,
            not_after=start + timedelta(days=days),
        )
        if not (
            self.certificate.valid_at(fields.not_before)
            and self.certificate.valid_at(fields.not_after)
        ):
            raise PKIError("certificate validity must lie within the CA's validity")
        return sign_certificate(fields, issuer=self.certificate.subject, issuer_key=self.key)

    def issue_crl(
        self,
        revoked: Iterable[RevokedCertificate] = (),
        *,
        number: int,
        this_update: datetime | None = None,
        days: int = CRL_DAYS,
        uid: bytes = CRL_SIGNATURE_UID,
    ) -> CRL:
        """A CRL numbered ``number`` listing ``revoked``, next update ``days`` later."""
        start = this_update or _now()
        fields = CRLFields(
            number=number,
            this_update=start,
            next_update=start + timedelta(days=days),
            revoked=tuple(revoked),
        )
        return sign_crl(fields, issuer=self.certificate.subject, issuer_key=self.key, uid=uid)

    def issued(self, certificate: Certificate) -> bool:
        """Whether this CA issued ``certificate``: issuer name, key id and signature agree."""
        ca = self.certificate
        return (
            certificate.issuer == ca.subject
            and certificate.authority_key_id in (None, ca.subject_key_id)
            and certificate.signed_by(ca.public_key)
        )
