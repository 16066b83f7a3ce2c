"""SM2 signatures (GB/T 32918, with SM3 and the GM/T 0009 default uid): the compiled
`_sm2` extension, or its pure-Python twin (a slow correctness oracle) if it is not built.

    verify(public_key, message, signature, *, uid=DEFAULT_UID) -> bool
    verify_reason(public_key, message, signature, *, uid=DEFAULT_UID) -> str | None
    verify_batch([(public_key, message, signature), ...]) -> list[bool]   default uid
    sign(private_key, message, *, uid=DEFAULT_UID) -> bytes               raw r||s
    Presigner(private_key, capacity)      nonces prepared ahead: .prepare(count) -> kept,
        .sign_many([message, ...], *, uid=DEFAULT_UID) -> list[bytes], .available
    public_key(private_key) -> bytes                                      04||X||Y
    generate_private_key() -> bytes                                       32 bytes
    za(public_key, uid=DEFAULT_UID) -> bytes
    sig_to_der(raw64) -> bytes;  sig_from_der(der) -> bytes               strict DER

Public keys are 65-byte `04||X||Y` or 64-byte `X||Y`. Signatures are exactly 64 bytes
of raw r||s, or strict DER `SEQUENCE { INTEGER r, INTEGER s }` (8..72 bytes).
Verification never raises on bad bytes (wrong argument types raise TypeError).
`verify_reason` returns None for a valid signature, else the first failing check,
in this order (the names are stable):

    key_length            public key neither 64 nor 65 bytes
    key_prefix            65-byte key not starting with 0x04
    key_coordinate_range  X or Y >= p
    key_infinity          X = Y = 0 (the conventional encoding of the point at infinity)
    key_not_on_curve      (X, Y) does not satisfy y^2 = x^3 + ax + b
    uid_length            uid longer than 8191 bytes (its bit length must fit 16 bits)
    sig_length            signature not 64 bytes and not 8..72 bytes (no DER fits)
    sig_der               not strict DER (BER, long-form length, non-minimal or negative
                          INTEGER, INTEGER over 256 bits, trailing bytes, truncation)
    sig_range             r or s not in [1, n-1]
    sig_r_plus_s_zero     (r + s) mod n == 0
    sig_mismatch          well-formed, but not a signature of this message, key and uid

`COMPILED` says which implementation was loaded; `require_compiled()` raises
RuntimeError when it is the pure twin (the gateway calls it at start).
"""

from __future__ import annotations

__all__ = [
    "COMPILED",
    "DEFAULT_UID",
    "REASONS",
    "Presigner",
    "generate_private_key",
    "public_key",
    "require_compiled",
    "sig_from_der",
    "sig_to_der",
    "sign",
    "verify",
    "verify_batch",
    "verify_reason",
    "za",
]

try:
    from core_ext._sm2 import (
        DEFAULT_UID,
        Presigner,
        generate_private_key,
        public_key,
        sig_from_der,
        sig_to_der,
        sign,
        verify,
        verify_batch,
        verify_reason,
        za,
    )

    COMPILED = True
except ImportError:
    from core_ext._sm2_pure import (  # type: ignore[assignment]
        DEFAULT_UID,
        Presigner,
        generate_private_key,
        public_key,
        sig_from_der,
        sig_to_der,
        sign,
        verify,
        verify_batch,
        verify_reason,
        za,
    )

    COMPILED = False

REASONS = (
    "key_length",
    "key_prefix",
    "key_coordinate_range",
    "key_infinity",
    "key_not_on_curve",
    "uid_length",
    "sig_length",
    "sig_der",
    "sig_range",
    "sig_r_plus_s_zero",
    "sig_mismatch",
)


def require_compiled() -> None:
    """Raise RuntimeError unless the compiled SM2 extension is loaded."""
    if not COMPILED:
        raise RuntimeError(
            "core_ext._sm2 (the compiled SM2 extension) is not built; production refuses "
            "the pure-Python oracle. Run `pip install -e .` or "
            "`python setup.py build_ext --inplace` with a C compiler"
        )
