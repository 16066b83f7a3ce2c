"""The one error tree of eport.

Every failure a client can see is a leaf of this tree. Each leaf carries the
stable ``code`` from PROTOCOL.md, the HTTP ``status`` it maps to, and, for
schema and field errors, the JSON ``path`` of the offending value. Foreign
exceptions (asyncpg, trio, extension errors) are translated into these classes
where they enter; nothing else crosses a border.

    EportError
    ├── ProblemError                 no receipt: RFC 9457 problem details
    │   ├── EnvelopeInvalid          400 ENVELOPE_INVALID
    │   ├── TimestampOutOfWindow     400 TIMESTAMP_OUT_OF_WINDOW
    │   ├── SignatureInvalid         401 SIGNATURE_INVALID
    │   ├── CertUnknown              401 CERT_UNKNOWN
    │   ├── CardInactive             403 CARD_INACTIVE
    │   ├── PermissionDenied         403 PERMISSION_DENIED
    │   ├── NotFound                 404 NOT_FOUND
    │   ├── IdConflict               409 ID_CONFLICT
    │   ├── TooLarge                 413 TOO_LARGE
    │   ├── UnsupportedMediaType     415 UNSUPPORTED_MEDIA_TYPE
    │   ├── RateLimited              429 RATE_LIMITED (retry_after)
    │   └── Unavailable              503 UNAVAILABLE (retry_after)
    └── Rejection                    a signed receipt with status "rejected", 422
        ├── SchemaInvalid            SCHEMA_INVALID
        ├── FieldInvalid             FIELD_INVALID
        ├── RuleViolation            RULE_VIOLATION
        ├── LedgerInsufficient       LEDGER_INSUFFICIENT
        ├── StateConflict            STATE_CONFLICT
        └── ReferenceUnknown         REFERENCE_UNKNOWN
"""

from __future__ import annotations

from typing import ClassVar


class EportError(Exception):
    """Root of every error eport reports to a client."""

    code: ClassVar[str] = "INTERNAL"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, message: str = "", *, path: str | None = None) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title
        self.path = path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, path={self.path!r})"


class ProblemError(EportError):
    """Refused before a receipt exists; answered with problem details."""

    retry_after: float | None = None


class EnvelopeInvalid(ProblemError):
    code, status, title = "ENVELOPE_INVALID", 400, "Envelope invalid"


class TimestampOutOfWindow(ProblemError):
    code, status, title = "TIMESTAMP_OUT_OF_WINDOW", 400, "Timestamp out of window"


class SignatureInvalid(ProblemError):
    code, status, title = "SIGNATURE_INVALID", 401, "Signature invalid"


class CertUnknown(ProblemError):
    code, status, title = "CERT_UNKNOWN", 401, "Certificate unknown"


class CardInactive(ProblemError):
    code, status, title = "CARD_INACTIVE", 403, "Card inactive"


class PermissionDenied(ProblemError):
    code, status, title = "PERMISSION_DENIED", 403, "Permission denied"


class NotFound(ProblemError):
    code, status, title = "NOT_FOUND", 404, "Not found"


class IdConflict(ProblemError):
    code, status, title = "ID_CONFLICT", 409, "Document id already used for other bytes"


class TooLarge(ProblemError):
    code, status, title = "TOO_LARGE", 413, "Request too large"


class UnsupportedMediaType(ProblemError):
    code, status, title = "UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported media type"


class _Retryable(ProblemError):
    def __init__(self, message: str = "", *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(_Retryable):
    code, status, title = "RATE_LIMITED", 429, "Rate limited"


class Unavailable(_Retryable):
    code, status, title = "UNAVAILABLE", 503, "Service unavailable"


class Rejection(EportError):
    """Signature and card were fine; the document is refused with a signed receipt."""

    status = 422


class SchemaInvalid(Rejection):
    code, title = "SCHEMA_INVALID", "Document does not match its schema"


class FieldInvalid(Rejection):
    code, title = "FIELD_INVALID", "Field value invalid"


class RuleViolation(Rejection):
    code, title = "RULE_VIOLATION", "Business rule violated"


class LedgerInsufficient(Rejection):
    code, title = "LEDGER_INSUFFICIENT", "Ledger balance insufficient"


class StateConflict(Rejection):
    code, title = "STATE_CONFLICT", "Transition not allowed from the current state"


class ReferenceUnknown(Rejection):
    code, title = "REFERENCE_UNKNOWN", "Referenced object unknown"


REJECTION_CODES: dict[str, type[Rejection]] = {
    cls.code: cls
    for cls in (
        SchemaInvalid,
        FieldInvalid,
        RuleViolation,
        LedgerInsufficient,
        StateConflict,
        ReferenceUnknown,
    )
}
