"""X.509 v3 certificates for SM2 keys, signed SM2-with-SM3 (profile: docs/pki.md).

``sign_certificate`` builds and signs a certificate from ``CertificateFields``;
``parse_certificate`` reads one back (PEM or DER) into a ``Certificate`` and
refuses anything outside the profile's algorithms with ``PKIError``.
Signatures use the default SM2 user ID, as ``openssl verify -vfyopt
distid:1234567812345678`` expects.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509

from core_ext import sm2
from core_ext.asn1_sm2 import (
    SM2_CURVE,
    SM2_WITH_SM3,
    SM2_WITH_SM3_OID,
    PKIError,
    der_from,
    hostile_input,
    load_strict,
    to_pem,
    utc_datetime,
)
from core_ext.keys import KeyPair, check_public_key, public_key_from_info

# asn1crypto's names for CN, O and OU, in SubjectName's field order.
_NAME_KEYS = ("common_name", "organization_name", "organizational_unit_name")
# RFC 5280 upper bound for CN, O and OU.
_MAX_NAME_LENGTH = 64
# RFC 5280: serial numbers are at most 20 octets.
_MAX_SERIAL = 2**159
# Extensions a verifier must understand when marked critical (RFC 5280 §4.2).
_UNDERSTOOD_CRITICAL = frozenset({"basic_constraints", "key_usage"})
CA_KEY_USAGE = frozenset({"key_cert_sign", "crl_sign"})
SIGNER_KEY_USAGE = frozenset({"digital_signature", "non_repudiation"})


@dataclass(frozen=True)
class SubjectName:
    """The names the profile uses: CN (holder), O (enterprise code), OU (card kind)."""

    common_name: str
    organization: str | None = None
    organizational_unit: str | None = None

    def __post_init__(self) -> None:
        for value in (self.common_name, self.organization, self.organizational_unit):
            if value is not None and not 1 <= len(value) <= _MAX_NAME_LENGTH:
                raise PKIError(f"name attributes must be 1-{_MAX_NAME_LENGTH} characters")

    def to_asn1(self) -> asn1_x509.Name:
        values = (self.common_name, self.organization, self.organizational_unit)
        return asn1_x509.Name.build(
            {key: value for key, value in zip(_NAME_KEYS, values, strict=True) if value is not None}
        )

    @classmethod
    def from_asn1(cls, name: asn1_x509.Name) -> SubjectName:
        # A repeated attribute decodes to a list, hence the isinstance checks.
        common_name, organization, unit = (name.native.get(key) for key in _NAME_KEYS)
        if not isinstance(common_name, str) or not all(
            value is None or isinstance(value, str) for value in (organization, unit)
        ):
            raise PKIError("name needs exactly one CN and at most one O and OU")
        return cls(common_name, organization, unit)


def key_identifier(public_key: bytes) -> bytes:
    """RFC 5280 §4.2.1.2 method 1 (SHA-1 of the key bits), as OpenSSL's ``hash`` computes."""
    return hashlib.sha1(check_public_key(public_key), usedforsecurity=False).digest()


def new_serial() -> int:
    """A random 64-bit serial: top bit 0 (positive), next bit 1 (always 16 hex digits)."""
    return int.from_bytes(os.urandom(8), "big") >> 2 | 1 << 62


def serial_hex(serial: int) -> str:
    """The ``cert`` identifier of PROTOCOL.md: lower-case hex, no ``0x``."""
    return format(serial, "x")


@dataclass(frozen=True)
class CertificateFields:
    """What the issuer decides about a new certificate."""

    subject: SubjectName
    public_key: bytes
    serial: int
    not_before: datetime
    not_after: datetime
    is_ca: bool = False

    def __post_init__(self) -> None:
        check_public_key(self.public_key)
        if not 1 <= self.serial < _MAX_SERIAL:
            raise PKIError("serial must be a positive integer of at most 20 octets")
        if self.not_before.tzinfo is None or self.not_after.tzinfo is None:
            raise PKIError("validity times must be timezone-aware")
        if self.not_after <= self.not_before:
            raise PKIError("not_after must be later than not_before")


@dataclass(frozen=True)
class Certificate:
    """A parsed certificate; ``der`` is authoritative, the rest is read from it."""

    der: bytes = field(repr=False)
    serial: int
    issuer: SubjectName
    subject: SubjectName
    not_before: datetime
    not_after: datetime
    public_key: bytes = field(repr=False)
    is_ca: bool
    key_usage: frozenset[str]
    subject_key_id: bytes | None = field(repr=False)
    authority_key_id: bytes | None = field(repr=False)
    tbs: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    @property
    def serial_hex(self) -> str:
        return serial_hex(self.serial)

    @property
    def pem(self) -> bytes:
        return to_pem("CERTIFICATE", self.der)

    def valid_at(self, when: datetime) -> bool:
        return self.not_before <= when <= self.not_after

    def signed_by(self, issuer_public_key: bytes) -> bool:
        """Whether the issuer's key made this signature (default SM2 user ID, over the TBS)."""
        return sm2.verify(issuer_public_key, self.tbs, self.signature)


def _extensions(fields: CertificateFields, issuer_public_key: bytes) -> list[dict[str, object]]:
    usage = CA_KEY_USAGE if fields.is_ca else SIGNER_KEY_USAGE
    return [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": fields.is_ca}},
        {"extn_id": "key_usage", "critical": True, "extn_value": set(usage)},
        {"extn_id": "key_identifier", "extn_value": key_identifier(fields.public_key)},
        {
            "extn_id": "authority_key_identifier",
            "extn_value": {"key_identifier": key_identifier(issuer_public_key)},
        },
    ]


def sign_certificate(
    fields: CertificateFields, *, issuer: SubjectName, issuer_key: KeyPair
) -> Certificate:
    """Build the v3 certificate and sign its TBS with ``issuer_key``.

    The result is what ``parse_certificate`` reads from its DER (tested), made from
    the fields directly: parsing it back cost asn1crypto more than building it.
    """
    tbs = tbs_certificate(fields, issuer=issuer, issuer_public_key=issuer_key.public_key)
    signature = sm2.sign(issuer_key.private_key, tbs)
    algorithm = _constant_parts(issuer, issuer_key.public_key, fields.is_ca).algorithm
    signature_value = _der(0x03, b"\x00" + sm2.sig_to_der(signature))
    return Certificate(
        der=_der(0x30, tbs + algorithm + signature_value),
        serial=fields.serial,
        issuer=issuer,
        subject=fields.subject,
        not_before=_to_second(fields.not_before),
        not_after=_to_second(fields.not_after),
        public_key=fields.public_key,
        is_ca=fields.is_ca,
        key_usage=CA_KEY_USAGE if fields.is_ca else SIGNER_KEY_USAGE,
        subject_key_id=key_identifier(fields.public_key),
        authority_key_id=key_identifier(issuer_key.public_key),
        tbs=tbs,
        signature=signature,
    )


def tbs_certificate(
    fields: CertificateFields, *, issuer: SubjectName, issuer_public_key: bytes
) -> bytes:
    """The DER of the TBSCertificate, as asn1crypto encodes it from the same values.

    Card issuing runs inside a document's handler, and asn1crypto spent milliseconds
    building and encoding each TBS; the parts that depend only on the issuer are
    encoded by asn1crypto once, the rest here.
    """
    parts = _constant_parts(issuer, issuer_public_key, fields.is_ca)
    ski = _der(0x04, _der(0x04, key_identifier(fields.public_key)))
    return _der(0x30, b"".join((
        _VERSION_3,
        _der(0x02, fields.serial.to_bytes(fields.serial.bit_length() // 8 + 1, "big")),
        parts.algorithm,
        parts.issuer,
        _der(0x30, _time(fields.not_before) + _time(fields.not_after)),
        _name(fields.subject),
        _der(0x30, parts.key_algorithm + _der(0x03, b"\x00" + fields.public_key)),
        _der(0xA3, _der(0x30, parts.usage + _der(0x30, _SKI_OID + ski) + parts.authority)),
    )))


@dataclass(frozen=True)
class _Parts:
    algorithm: bytes  # AlgorithmIdentifier SM2-with-SM3
    issuer: bytes
    key_algorithm: bytes  # AlgorithmIdentifier of an SM2 public key
    usage: bytes  # the basic constraints and key usage extensions
    authority: bytes  # the authority key identifier extension


_VERSION_3 = bytes.fromhex("a003020102")  # [0] EXPLICIT INTEGER 2
_SKI_OID = bytes.fromhex("0603551d0e")
# UTF8String attributes in asn1crypto's order for Name.build: O, OU, then CN.
_NAME_OIDS = (
    ("organization", bytes.fromhex("060355040a")),
    ("organizational_unit", bytes.fromhex("060355040b")),
    ("common_name", bytes.fromhex("0603550403")),
)


@lru_cache(maxsize=8)
def _constant_parts(issuer: SubjectName, issuer_public_key: bytes, is_ca: bool) -> _Parts:
    sample = CertificateFields(
        subject=issuer, public_key=issuer_public_key, serial=1,
        not_before=datetime(2000, 1, 1, tzinfo=UTC), not_after=datetime(2000, 1, 2, tzinfo=UTC),
        is_ca=is_ca,
    )
    basic, usage, _, authority = (
        extension.dump()
        for extension in asn1_x509.Extensions(_extensions(sample, issuer_public_key))
    )
    return _Parts(
        algorithm=asn1_x509.SignedDigestAlgorithm({"algorithm": SM2_WITH_SM3}).dump(),
        issuer=issuer.to_asn1().dump(),
        key_algorithm=asn1_keys.PublicKeyAlgorithm(
            {"algorithm": "ec", "parameters": {"named": SM2_CURVE}}).dump(),
        usage=basic + usage,
        authority=authority,
    )


def _name(name: SubjectName) -> bytes:
    rdns = b""
    for attribute, oid in _NAME_OIDS:
        value = getattr(name, attribute)
        if value is not None:
            rdns += _der(0x31, _der(0x30, oid + _der(0x0C, value.encode())))
    return _der(0x30, rdns)


def _to_second(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(microsecond=0)


def _time(when: datetime) -> bytes:
    """UTCTime through 2049, then GeneralizedTime, to the second (RFC 5280 §4.1.2.5)."""
    moment = _to_second(when)
    if moment.year < 1950:
        raise PKIError("times before 1950 have no encoding in this profile")
    if moment.year < 2050:
        return _der(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())
    return _der(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode())


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def raw_signature(algorithms: tuple[object, object], der_signature: bytes, what: str) -> bytes:
    """Check both algorithm fields say SM2-with-SM3 and return the raw ``r||s``."""
    if any(oid != SM2_WITH_SM3_OID for oid in algorithms):
        raise PKIError(f"{what} is not signed SM2-with-SM3")
    try:
        return sm2.sig_from_der(der_signature)
    except ValueError as exc:
        raise PKIError(f"{what} signature is not a strict DER SM2 signature") from exc


def _check_extensions(tbs: asn1_x509.TbsCertificate) -> None:
    ids = [extension["extn_id"].native for extension in tbs["extensions"]]
    if len(ids) != len(set(ids)):
        raise PKIError("certificate repeats an extension")
    for extension in tbs["extensions"]:
        if extension["critical"].native and extension["extn_id"].native not in _UNDERSTOOD_CRITICAL:
            raise PKIError("certificate has an unsupported critical extension")


def parse_certificate(data: bytes) -> Certificate:
    """Read a PEM or DER certificate of this profile; anything else raises ``PKIError``."""
    _, der = der_from(data, ("CERTIFICATE",), "certificate")
    cert = load_strict(asn1_x509.Certificate, der, "certificate")
    with hostile_input("certificate"):
        tbs = cert["tbs_certificate"]
        if tbs["version"].native != "v3":
            raise PKIError("certificate is not X.509 v3")
        _check_extensions(tbs)
        algorithms = (
            cert["signature_algorithm"]["algorithm"].dotted,
            tbs["signature"]["algorithm"].dotted,
        )
        signature = raw_signature(algorithms, bytes(cert["signature_value"].native), "certificate")
        validity = tbs["validity"]
        not_before = utc_datetime(validity["not_before"].native, "not_before")
        not_after = utc_datetime(validity["not_after"].native, "not_after")
        serial = tbs["serial_number"].native
        if serial < 1:
            raise PKIError("certificate serial is not positive")
        return Certificate(
            der=der,
            serial=serial,
            issuer=SubjectName.from_asn1(tbs["issuer"]),
            subject=SubjectName.from_asn1(tbs["subject"]),
            not_before=not_before,
            not_after=not_after,
            public_key=public_key_from_info(tbs["subject_public_key_info"]),
            is_ca=bool(cert.ca),
            key_usage=frozenset(cert.key_usage_value.native if cert.key_usage_value else ()),
            subject_key_id=cert.key_identifier,
            authority_key_id=cert.authority_key_identifier,
            tbs=tbs.dump(),
            signature=signature,
        )
