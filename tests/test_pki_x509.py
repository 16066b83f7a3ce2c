"""Certificates: the profile, parsing back, and what the openssl command line says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509

from core_ext import sm2
from core_ext.asn1_sm2 import asn1_time
from core_ext.pki import (
    CertificateAuthority,
    KeyPair,
    PKIError,
    SubjectName,
    new_serial,
    parse_certificate,
    serial_hex,
)
from core_ext.x509 import CertificateFields, key_identifier, sign_certificate, tbs_certificate
from tests.openssl_cli import DISTID, openssl

START = datetime(2026, 1, 1, tzinfo=UTC)
CA_NAME = SubjectName("eport platform CA", "0000000000", "platform")
CARD_NAME = SubjectName("张三", "1101910123", "declarant")


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create(CA_NAME, serial=0x4000_0000_0000_0001, not_before=START)


@pytest.fixture
def card_files(tmp_path: Path, ca: CertificateAuthority) -> Path:
    card = ca.issue(CARD_NAME, KeyPair.generate().public_key, not_before=START, days=30)
    (tmp_path / "ca.pem").write_bytes(ca.certificate.pem)
    (tmp_path / "card.pem").write_bytes(card.pem)
    return tmp_path


def test_openssl_verifies_a_card_certificate(card_files: Path) -> None:
    output = openssl(
        f"verify -attime 1767312000 -vfyopt {DISTID} -CAfile ca.pem card.pem", cwd=card_files
    )
    assert output.strip() == "card.pem: OK"


def test_openssl_checks_the_ca_self_signature(card_files: Path, ca: CertificateAuthority) -> None:
    # `openssl verify -check_ss_sig` cannot do this in OpenSSL 3.0: -vfyopt reaches only the
    # certificate given on the command line, not the trusted copy of the root (docs/pki.md).
    # So check the signature over the TBS bytes, cut out by openssl, with pkeyutl.
    openssl("asn1parse -in ca.pem -strparse 4 -noout -out tbs.der", cwd=card_files)
    openssl("x509 -in ca.pem -noout -pubkey -out ca.pub", cwd=card_files)
    (card_files / "sig.der").write_bytes(sm2.sig_to_der(ca.certificate.signature))
    output = openssl(
        f"pkeyutl -verify -rawin -digest sm3 -pkeyopt {DISTID} "
        "-pubin -inkey ca.pub -in tbs.der -sigfile sig.der",
        cwd=card_files,
    )
    assert "Signature Verified Successfully" in output


def test_openssl_rejects_a_tampered_card(card_files: Path, ca: CertificateAuthority) -> None:
    card = parse_certificate((card_files / "card.pem").read_bytes())
    signature = bytearray(card.signature)
    signature[40] ^= 1  # inside s: still strict DER, no longer a valid signature
    forged = card.der.replace(sm2.sig_to_der(card.signature), sm2.sig_to_der(bytes(signature)))
    (card_files / "card.pem").write_bytes(parse_certificate(forged).pem)
    output = openssl(
        f"verify -attime 1767312000 -vfyopt {DISTID} -CAfile ca.pem card.pem",
        cwd=card_files,
        check=False,
    )
    assert "certificate signature failure" in output
    assert not ca.issued(parse_certificate(forged))


def test_openssl_rejects_a_card_of_another_ca(tmp_path: Path, ca: CertificateAuthority) -> None:
    other = CertificateAuthority.create(CA_NAME, not_before=START)
    card = other.issue(CARD_NAME, KeyPair.generate().public_key, not_before=START)
    (tmp_path / "ca.pem").write_bytes(ca.certificate.pem)
    (tmp_path / "card.pem").write_bytes(card.pem)
    output = openssl(
        f"verify -attime 1767312000 -vfyopt {DISTID} -CAfile ca.pem card.pem",
        cwd=tmp_path,
        check=False,
    )
    # Same issuer name, but the key identifier differs, so OpenSSL finds no issuer at all.
    assert "unable to get local issuer certificate" in output
    assert not ca.issued(card) and other.issued(card)


def test_openssl_text_shows_the_profile(card_files: Path, ca: CertificateAuthority) -> None:
    card = parse_certificate((card_files / "card.pem").read_bytes())
    text = openssl("x509 -in card.pem -noout -text", cwd=card_files)
    for expected in (
        "Version: 3 (0x2)",
        "Signature Algorithm: SM2-with-SM3",
        "Issuer: O = 0000000000, OU = platform, CN = eport platform CA",
        "Not Before: Jan  1 00:00:00 2026 GMT",
        "Not After : Jan 31 00:00:00 2026 GMT",
        "ASN1 OID: SM2",
        "X509v3 Basic Constraints: critical\n                CA:FALSE",
        "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation",
        "X509v3 Authority Key Identifier: \n                "
        + ":".join(f"{b:02X}" for b in key_identifier(ca.certificate.public_key)),
    ):
        assert expected in text
    serial = openssl("x509 -in card.pem -noout -serial", cwd=card_files)
    assert serial.strip() == f"serial={card.serial_hex.upper()}"
    subject = openssl("x509 -in card.pem -noout -subject -nameopt utf8", cwd=card_files)
    assert subject.strip() == "subject=O=1101910123, OU=declarant, CN=张三"


def test_openssl_text_shows_the_ca_extensions(card_files: Path) -> None:
    text = openssl("x509 -in ca.pem -noout -text", cwd=card_files)
    assert "X509v3 Basic Constraints: critical\n                CA:TRUE" in text
    assert "X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign" in text
    assert "Serial Number: 4611686018427387905 (0x4000000000000001)" in text


def test_certificate_parses_back(ca: CertificateAuthority) -> None:
    public_key = KeyPair.generate().public_key
    issued = ca.issue(CARD_NAME, public_key, serial=0x1234, not_before=START, days=10)
    card = parse_certificate(issued.pem)
    assert card == parse_certificate(issued.der) == issued
    assert (card.serial, card.serial_hex) == (0x1234, "1234")
    assert card.subject == CARD_NAME and card.issuer == CA_NAME
    assert (card.not_before, card.not_after) == (START, START + timedelta(days=10))
    assert card.public_key == public_key
    assert not card.is_ca and card.key_usage == {"digital_signature", "non_repudiation"}
    assert card.subject_key_id == key_identifier(public_key)
    assert card.authority_key_id == ca.certificate.subject_key_id
    assert card.valid_at(START) and not card.valid_at(START + timedelta(days=11))
    assert card.signed_by(ca.certificate.public_key) and ca.issued(card)


def test_ca_certificate_is_self_issued(ca: CertificateAuthority) -> None:
    cert = ca.certificate
    assert cert.is_ca and cert.key_usage == {"key_cert_sign", "crl_sign"}
    assert cert.subject == cert.issuer == CA_NAME
    assert cert.authority_key_id == cert.subject_key_id
    assert ca.issued(cert)


def test_tampered_certificate_fails_its_signature(ca: CertificateAuthority) -> None:
    card = ca.issue(CARD_NAME, KeyPair.generate().public_key, not_before=START)
    forged = parse_certificate(card.der.replace(b"declarant", b"operator!"))
    assert forged.subject.organizational_unit == "operator!"
    assert not forged.signed_by(ca.certificate.public_key)
    assert not ca.issued(forged)


def test_openssl_made_certificate_parses_and_verifies(tmp_path: Path) -> None:
    openssl("genpkey -algorithm SM2 -out key.pem", cwd=tmp_path)
    openssl(
        "req -x509 -new -key key.pem -subj /O=1101910123/CN=holder "
        f"-days 5 -sm3 -sigopt {DISTID} -out cert.pem",
        cwd=tmp_path,
    )
    cert = parse_certificate((tmp_path / "cert.pem").read_bytes())
    key = KeyPair.load((tmp_path / "key.pem").read_bytes())
    assert cert.subject == SubjectName("holder", "1101910123")
    assert cert.public_key == key.public_key
    assert cert.signed_by(key.public_key)


def test_dates_from_2050_use_generalized_time(tmp_path: Path) -> None:
    late = datetime(2049, 6, 1, tzinfo=UTC)
    ca = CertificateAuthority.create(CA_NAME, not_before=late, days=3650)
    assert ca.certificate.not_after == late + timedelta(days=3650)
    (tmp_path / "ca.pem").write_bytes(ca.certificate.pem)
    text = openssl("x509 -in ca.pem -noout -enddate", cwd=tmp_path)
    assert text.strip() == "notAfter=May 30 00:00:00 2059 GMT"
    assert b"\x18\x0f20590530000000Z" in ca.certificate.der  # GeneralizedTime
    assert b"\x17\x0d490601000000Z" in ca.certificate.der  # UTCTime before 2050


def test_new_serials_are_positive_with_sixteen_hex_digits() -> None:
    serials = {new_serial() for _ in range(200)}
    assert len(serials) == 200
    assert all(2**62 <= serial < 2**63 and len(serial_hex(serial)) == 16 for serial in serials)


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_issue_refuses_validity_outside_the_ca(ca: CertificateAuthority, days: int) -> None:
    with pytest.raises(PKIError):
        ca.issue(CARD_NAME, KeyPair.generate().public_key, not_before=START, days=days)


@pytest.mark.parametrize("serial", [-1, 0, 2**159])
def test_issue_refuses_serials_outside_rfc5280(ca: CertificateAuthority, serial: int) -> None:
    with pytest.raises(PKIError, match="serial"):
        ca.issue(CARD_NAME, KeyPair.generate().public_key, serial=serial, not_before=START)


@pytest.mark.parametrize(
    "name", [("",), ("x" * 65,), ("holder", ""), ("holder", "1101910123", "k" * 65)]
)
def test_subject_names_respect_rfc5280_bounds(name: tuple[str, ...]) -> None:
    with pytest.raises(PKIError):
        SubjectName(*name)


def test_ca_refuses_a_key_that_is_not_its_own(ca: CertificateAuthority) -> None:
    with pytest.raises(PKIError, match="does not match"):
        CertificateAuthority(KeyPair.generate(), ca.certificate)
    card_key = KeyPair.generate()
    card = ca.issue(CARD_NAME, card_key.public_key, not_before=START)
    with pytest.raises(PKIError, match="not a CA"):
        CertificateAuthority(card_key, card)


def test_ca_saves_and_loads(tmp_path: Path, ca: CertificateAuthority) -> None:
    ca.save(tmp_path / "ca.key", tmp_path / "ca.pem")
    loaded = CertificateAuthority.load(
        (tmp_path / "ca.key").read_bytes(), (tmp_path / "ca.pem").read_bytes()
    )
    assert loaded.key == ca.key and loaded.certificate == ca.certificate
    with pytest.raises(FileExistsError):
        ca.save(tmp_path / "ca.key", tmp_path / "ca.pem")


def test_foreign_algorithms_are_refused(tmp_path: Path) -> None:
    openssl(
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
        "-nodes -keyout key.pem -subj /CN=x -out cert.pem",
        cwd=tmp_path,
    )
    with pytest.raises(PKIError, match="SM2-with-SM3"):
        parse_certificate((tmp_path / "cert.pem").read_bytes())


def _altered(der: bytes, field: str, value: object, *, outer: bool = False) -> bytes:
    """``der`` with one TBS (or outer) field replaced; the signature is left stale."""
    cert = asn1_x509.Certificate.load(der)
    target = cert if outer else cert["tbs_certificate"]
    target[field] = value
    altered: bytes = cert.dump(force=True)
    return altered


def _extensions_plus(der: bytes, extra: dict[str, object]) -> list[object]:
    extensions = list(asn1_x509.Certificate.load(der)["tbs_certificate"]["extensions"])
    return [*extensions, extra]


def _name_with_two_common_names() -> asn1_x509.Name:
    rdn = asn1_x509.Name.build({"common_name": "holder"}).chosen[0]
    return asn1_x509.Name(name="", value=asn1_x509.RDNSequence([rdn, rdn]))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("version", "v1", "not X.509 v3"),
        ("serial_number", 0, "serial is not positive"),
        ("serial_number", -5, "serial is not positive"),
        ("signature", {"algorithm": "sha256_ecdsa"}, "SM2-with-SM3"),
        (
            "subject",
            asn1_x509.Name.build({"organization_name": "1101910123"}),
            "exactly one CN",
        ),
        ("subject", _name_with_two_common_names(), "exactly one CN"),
    ],
)
def test_certificates_outside_the_profile_are_refused(
    ca: CertificateAuthority, field: str, value: object, message: str
) -> None:
    with pytest.raises(PKIError, match=message):
        parse_certificate(_altered(ca.certificate.der, field, value))


def test_repeated_or_unknown_critical_extensions_are_refused(ca: CertificateAuthority) -> None:
    der = ca.certificate.der
    repeated = _extensions_plus(der, {"extn_id": "key_identifier", "extn_value": b"\x01"})
    with pytest.raises(PKIError, match="repeats an extension"):
        parse_certificate(_altered(der, "extensions", repeated))
    unknown = _extensions_plus(
        der, {"extn_id": "extended_key_usage", "critical": True, "extn_value": ["code_signing"]}
    )
    with pytest.raises(PKIError, match="unsupported critical extension"):
        parse_certificate(_altered(der, "extensions", unknown))


def test_outer_algorithm_must_match(ca: CertificateAuthority) -> None:
    der = _altered(
        ca.certificate.der, "signature_algorithm", {"algorithm": "sha256_ecdsa"}, outer=True
    )
    with pytest.raises(PKIError, match="SM2-with-SM3"):
        parse_certificate(der)


def _asn1crypto_tbs(fields: CertificateFields, issuer: SubjectName, issuer_key: bytes) -> bytes:
    """The TBSCertificate as asn1crypto builds it from the same values: the reference."""
    algorithm = {"algorithm": "sm2_sm3"}
    usage = {"key_cert_sign", "crl_sign"} if fields.is_ca else {
        "digital_signature", "non_repudiation"}
    tbs = asn1_x509.TbsCertificate({
        "version": "v3",
        "serial_number": fields.serial,
        "signature": algorithm,
        "issuer": issuer.to_asn1(),
        "validity": {"not_before": asn1_time(fields.not_before),
                     "not_after": asn1_time(fields.not_after)},
        "subject": fields.subject.to_asn1(),
        "subject_public_key_info": {
            "algorithm": {"algorithm": "ec", "parameters": {"named": "sm2"}},
            "public_key": fields.public_key,
        },
        "extensions": [
            {"extn_id": "basic_constraints", "critical": True,
             "extn_value": {"ca": fields.is_ca}},
            {"extn_id": "key_usage", "critical": True, "extn_value": usage},
            {"extn_id": "key_identifier", "extn_value": key_identifier(fields.public_key)},
            {"extn_id": "authority_key_identifier",
             "extn_value": {"key_identifier": key_identifier(issuer_key)}},
        ],
    })
    encoded: bytes = tbs.dump()
    return encoded


@pytest.mark.parametrize("is_ca", [False, True])
@pytest.mark.parametrize("subject", [
    CARD_NAME,
    SubjectName("h"),
    SubjectName("x" * 64, "1101910123"),
    SubjectName("名" * 64, "o" * 64, "k" * 64),
])
@pytest.mark.parametrize("serial", [1, 127, 128, 255, 2**63 - 1, 2**63, 2**159 - 1])
@pytest.mark.parametrize("start", [
    datetime(1950, 1, 1, tzinfo=UTC),
    START.replace(microsecond=123456),
    datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2050, 1, 1, tzinfo=UTC),
    datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))),
])
def test_tbs_is_encoded_as_asn1crypto_encodes_it(
    is_ca: bool, subject: SubjectName, serial: int, start: datetime
) -> None:
    issuer_key = KeyPair.generate().public_key
    fields = CertificateFields(subject, KeyPair.generate().public_key, serial, start,
                               start + timedelta(days=400), is_ca=is_ca)
    expected = _asn1crypto_tbs(fields, CA_NAME, issuer_key)
    assert tbs_certificate(fields, issuer=CA_NAME, issuer_public_key=issuer_key) == expected


def test_times_before_1950_are_refused() -> None:
    fields = CertificateFields(CARD_NAME, KeyPair.generate().public_key, 1,
                               datetime(1949, 12, 31, tzinfo=UTC), START)
    with pytest.raises(PKIError, match="1950"):
        tbs_certificate(fields, issuer=CA_NAME, issuer_public_key=KeyPair.generate().public_key)


@pytest.mark.parametrize("is_ca", [False, True])
@pytest.mark.parametrize("start", [
    START.replace(microsecond=123456),
    datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))),
])
def test_signed_certificate_is_what_parsing_its_der_reads(is_ca: bool, start: datetime) -> None:
    issuer_key = KeyPair.generate()
    fields = CertificateFields(CARD_NAME, KeyPair.generate().public_key, 2**63 + 5, start,
                               start + timedelta(days=400), is_ca=is_ca)
    made = sign_certificate(fields, issuer=CA_NAME, issuer_key=issuer_key)
    assert made == parse_certificate(made.der)
    assert made.not_before.tzinfo == UTC and made.not_before.microsecond == 0
    assert made.signed_by(issuer_key.public_key)
