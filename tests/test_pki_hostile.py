"""Hostile input: every parser either returns or raises PKIError, never anything else.

Inputs are valid PEM and DER samples, truncated, bit-flipped, with bytes inserted or
deleted, plus arbitrary bytes. Scale with EPORT_PKI_FUZZ_EXAMPLES (default 150 per
parser and form).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_ext.pki import (
    CertificateAuthority,
    KeyPair,
    PKIError,
    RevocationReason,
    RevokedCertificate,
    SubjectName,
    load_private_key,
    load_public_key,
    parse_certificate,
    parse_crl,
    private_key_to_der,
    private_key_to_pem,
    public_key_to_der,
    public_key_to_pem,
)

EXAMPLES = int(os.environ.get("EPORT_PKI_FUZZ_EXAMPLES", "150"))
START = datetime(2026, 1, 1, tzinfo=UTC)


def _samples() -> dict[str, tuple[Callable[[bytes], object], bytes, bytes]]:
    """For each parser: the parser, a valid DER sample and the same sample as PEM."""
    ca = CertificateAuthority.create(SubjectName("CA", "0000000000"), not_before=START)
    card = ca.issue(
        SubjectName("持卡人", "1101910123", "legal"),
        KeyPair.generate().public_key,
        not_before=START,
    )
    reasons = [RevocationReason.KEY_COMPROMISE, None]
    crl = ca.issue_crl(
        [RevokedCertificate(n + 1, START, reason) for n, reason in enumerate(reasons)],
        number=1,
        this_update=START,
    )
    key = ca.key
    return {
        "private key": (
            load_private_key,
            private_key_to_der(key.private_key),
            private_key_to_pem(key.private_key),
        ),
        "public key": (
            load_public_key,
            public_key_to_der(key.public_key),
            public_key_to_pem(key.public_key),
        ),
        "certificate": (parse_certificate, card.der, card.pem),
        "crl": (parse_crl, crl.der, crl.pem),
    }


SAMPLES = _samples()


@st.composite
def mutations(draw: st.DrawFn, sample: bytes) -> bytes:
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete"]))
        if kind == "truncate":
            del data[where:]
        elif kind == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=4))
        elif data:
            del data[where]
    return bytes(data)


def _parse_or_refuse(parser: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(PKIError):
        parser(data)


@pytest.mark.parametrize("form", ["der", "pem"])
@pytest.mark.parametrize("what", sorted(SAMPLES))
def test_mutated_input_parses_or_raises_pki_error(what: str, form: str) -> None:
    parser, der, pem = SAMPLES[what]
    sample = der if form == "der" else pem

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutations(sample))
    def check(data: bytes) -> None:
        _parse_or_refuse(parser, data)

    check()


@pytest.mark.parametrize("what", sorted(SAMPLES))
def test_arbitrary_bytes_parse_or_raise_pki_error(what: str) -> None:
    parser = SAMPLES[what][0]

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(st.binary(max_size=300))
    def check(data: bytes) -> None:
        _parse_or_refuse(parser, data)

    check()


@pytest.mark.parametrize("what", sorted(SAMPLES))
@pytest.mark.parametrize("value", ["text", None, 7, bytearray(b"\x30\x00")])
def test_non_bytes_are_refused(what: str, value: object) -> None:
    with pytest.raises(PKIError, match="must be bytes"):
        SAMPLES[what][0](value)  # type: ignore[arg-type]


@pytest.mark.parametrize("what", sorted(SAMPLES))
def test_the_unmutated_samples_parse(what: str) -> None:
    parser, der, pem = SAMPLES[what]
    assert parser(der) == parser(pem)
