"""Revocation lists: the profile, parsing back, and what the openssl command line says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core_ext import sm2
from core_ext.pki import (
    CertificateAuthority,
    KeyPair,
    PKIError,
    RevocationReason,
    RevokedCertificate,
    SubjectName,
    parse_crl,
)
from tests.openssl_cli import DISTID, openssl

START = datetime(2026, 1, 1, tzinfo=UTC)
AT_START = "1767268800"  # 2026-01-01T12:00:00Z, inside every validity below
CA_NAME = SubjectName("eport platform CA", "0000000000", "platform")


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create(CA_NAME, not_before=START)


@pytest.fixture
def files(tmp_path: Path, ca: CertificateAuthority) -> Path:
    """ca.pem, a revoked card and a good card, and crl.pem / crl.der revoking the first."""
    revoked, good = (
        ca.issue(
            SubjectName(holder, "1101910123", "operator"),
            KeyPair.generate().public_key,
            not_before=START,
        )
        for holder in ("lost", "kept")
    )
    crl = ca.issue_crl(
        [RevokedCertificate(revoked.serial, START, RevocationReason.KEY_COMPROMISE)],
        number=7,
        this_update=START,
    )
    for name, data in [
        ("ca.pem", ca.certificate.pem),
        ("revoked.pem", revoked.pem),
        ("good.pem", good.pem),
        ("crl.pem", crl.pem),
        ("crl.der", crl.der),
    ]:
        (tmp_path / name).write_bytes(data)
    return tmp_path


def test_openssl_reads_the_der_crl(files: Path) -> None:
    revoked = parse_crl((files / "crl.der").read_bytes()).revoked[0]
    text = openssl("crl -inform DER -in crl.der -noout -text", cwd=files)
    for expected in (
        "Version 2 (0x1)",
        "Signature Algorithm: SM2-with-SM3",
        "Issuer: O = 0000000000, OU = platform, CN = eport platform CA",
        "Last Update: Jan  1 00:00:00 2026 GMT",
        "Next Update: Jan  2 00:00:00 2026 GMT",
        "X509v3 CRL Number: \n                7",
        "X509v3 Authority Key Identifier:",
        f"Serial Number: {revoked.serial:X}\n        Revocation Date: Jan  1 00:00:00 2026 GMT",
        "X509v3 CRL Reason Code: \n                Key Compromise",
    ):
        assert expected in text


def test_openssl_crl_verify_accepts_it(files: Path) -> None:
    # `openssl crl -verify` exits 0 either way; only its message tells.
    output = openssl("crl -in crl.pem -verify -CAfile ca.pem -noout", cwd=files)
    assert output.strip() == "verify OK"


def test_openssl_3_verifies_crls_with_an_empty_sm2_id(
    files: Path, ca: CertificateAuthority
) -> None:
    """Pins the finding behind CRL_SIGNATURE_UID: the standard ID fails in OpenSSL 3.0."""
    standard = ca.issue_crl(number=8, this_update=START, uid=sm2.DEFAULT_UID)
    (files / "standard.pem").write_bytes(standard.pem)
    output = openssl("crl -in standard.pem -verify -CAfile ca.pem -noout", cwd=files)
    assert "verify failure" in output
    assert standard.signed_by(ca.certificate.public_key, uid=sm2.DEFAULT_UID)
    assert not standard.signed_by(ca.certificate.public_key)


@pytest.mark.parametrize(
    ("card", "expected"), [("good.pem", "good.pem: OK"), ("revoked.pem", "certificate revoked")]
)
def test_openssl_verify_uses_the_crl(files: Path, card: str, expected: str) -> None:
    output = openssl(
        f"verify -attime {AT_START} -crl_check -CRLfile "
        f"crl.pem -vfyopt {DISTID} -CAfile ca.pem {card}",
        cwd=files,
        check=False,
    )
    assert expected in output


def test_crl_parses_back(ca: CertificateAuthority) -> None:
    entries = (
        RevokedCertificate(0x10, START, RevocationReason.CESSATION_OF_OPERATION),
        RevokedCertificate(0x4000_0000_0000_0011, START + timedelta(hours=1)),
        RevokedCertificate(0x12, START, RevocationReason.CERTIFICATE_HOLD),
    )
    issued = ca.issue_crl(entries, number=3, this_update=START, days=2)
    crl = parse_crl(issued.pem)
    assert crl == parse_crl(issued.der) == issued
    assert crl.issuer == CA_NAME and crl.number == 3
    assert (crl.this_update, crl.next_update) == (START, START + timedelta(days=2))
    assert crl.revoked == entries
    assert crl.find(0x12) == entries[2] and crl.find(0x13) is None
    assert crl.authority_key_id == ca.certificate.subject_key_id
    assert crl.signed_by(ca.certificate.public_key)
    assert not crl.signed_by(KeyPair.generate().public_key)


def test_empty_crl_omits_the_revoked_list(ca: CertificateAuthority) -> None:
    crl = ca.issue_crl(number=0, this_update=START)
    assert crl.revoked == ()
    assert b"\x30\x00" not in crl.tbs  # RFC 5280: absent, not an empty SEQUENCE
    assert crl.signed_by(ca.certificate.public_key)


def test_openssl_made_crl_parses(tmp_path: Path, ca: CertificateAuthority) -> None:
    ca.save(tmp_path / "ca.key", tmp_path / "ca.pem")
    (tmp_path / "index.txt").write_text(
        "R\t361231000000Z\t260101000000Z,superseded\t4000000000000099\tunknown\t/CN=x\n"
    )
    (tmp_path / "crlnumber").write_text("2A\n")
    (tmp_path / "ca.cnf").write_text(
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
        "default_md = sm3\ndefault_crl_days = 1\n"
    )
    openssl("ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out crl.pem", cwd=tmp_path)
    crl = parse_crl((tmp_path / "crl.pem").read_bytes())
    assert crl.number == 0x2A and crl.issuer == CA_NAME
    assert crl.revoked == (
        RevokedCertificate(0x4000000000000099, START, RevocationReason.SUPERSEDED),
    )
    assert crl.signed_by(ca.certificate.public_key)


def test_crl_fields_are_checked(ca: CertificateAuthority) -> None:
    with pytest.raises(PKIError, match="listed once"):
        ca.issue_crl([RevokedCertificate(5, START)] * 2, number=1, this_update=START)
    with pytest.raises(PKIError, match="later"):
        ca.issue_crl(number=1, this_update=START, days=0)
    with pytest.raises(PKIError, match="negative"):
        ca.issue_crl(number=-1, this_update=START)


def test_a_certificate_is_not_a_crl(ca: CertificateAuthority) -> None:
    with pytest.raises(PKIError):
        parse_crl(ca.certificate.der)
    with pytest.raises(PKIError, match="unexpected PEM label"):
        parse_crl(ca.certificate.pem)
