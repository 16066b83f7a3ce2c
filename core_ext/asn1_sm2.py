"""SM2 object identifiers for asn1crypto, and DER/PEM decoding that fails one way.

asn1crypto knows neither the SM2 curve nor the SM2-with-SM3 signature
algorithm; importing this module registers both. Everything that decodes
untrusted bytes in the PKI modules goes through ``hostile_input`` so that a
malformed key, certificate or CRL raises ``PKIError`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from asn1crypto import algos, keys, pem, x509

SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_WITH_SM3_OID = "1.2.156.10197.1.501"
SM2_CURVE = "sm2"
SM2_WITH_SM3 = "sm2_sm3"

keys.NamedCurve.register(SM2_CURVE, SM2_CURVE_OID, 32)
# SignedDigestAlgorithmId has no register(); its two class maps are the registry.
algos.SignedDigestAlgorithmId._map[SM2_WITH_SM3_OID] = SM2_WITH_SM3
algos.SignedDigestAlgorithmId._reverse_map[SM2_WITH_SM3] = SM2_WITH_SM3_OID

# What asn1crypto raises on malformed input: its own errors derive from these.
_DECODE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


class PKIError(ValueError):
    """A key, certificate or CRL is malformed, unsupported or does not fit the profile."""


@contextmanager
def hostile_input(what: str) -> Iterator[None]:
    """Turn any decoding failure inside the block into ``PKIError`` naming ``what``."""
    try:
        yield
    except PKIError:
        raise
    except _DECODE_ERRORS as exc:
        raise PKIError(f"malformed {what}: {exc.__class__.__name__}") from exc


def der_from(data: bytes, labels: tuple[str, ...], what: str) -> tuple[str | None, bytes]:
    """Return ``(pem_label, der)`` from PEM with one of ``labels``, or ``(None, data)`` for DER."""
    if not isinstance(data, bytes):
        raise PKIError(f"{what} must be bytes")
    if not pem.detect(data):
        return None, data
    with hostile_input(what):
        blocks = list(pem.unarmor(data, multiple=True))
    if len(blocks) != 1:
        raise PKIError(f"expected one PEM block for {what}, found {len(blocks)}")
    label, headers, der = blocks[0]
    if label not in labels:
        raise PKIError(f"unexpected PEM label {label!r} for {what}")
    if headers:
        raise PKIError(f"PEM headers (legacy encryption) are not supported for {what}")
    return label, der


def to_pem(label: str, der: bytes) -> bytes:
    """Armor DER as PEM with 64-column base64 lines, as OpenSSL writes it."""
    armored: bytes = pem.armor(label, der)
    return armored


def load_strict(spec: Any, der: bytes, what: str) -> Any:
    """Parse ``der`` as the asn1crypto ``spec``, fully, rejecting trailing bytes."""
    with hostile_input(what):
        value = spec.load(der, strict=True)
        value.native  # noqa: B018 -- forces the lazy parser over every field now
    return value


def utc_datetime(value: object, what: str) -> datetime:
    """Check a decoded time is an ordinary aware datetime (asn1crypto may return year 0)."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise PKIError(f"{what} is not a usable time")
    return value.astimezone(UTC)


def asn1_time(when: datetime) -> x509.Time:
    """Encode an aware time to the second: UTCTime through 2049, then GeneralizedTime (RFC 5280)."""
    if when.tzinfo is None:
        raise PKIError("times must be timezone-aware")
    choice = "utc_time" if when.year < 2050 else "general_time"
    return x509.Time({choice: when.astimezone(UTC).replace(microsecond=0)})
