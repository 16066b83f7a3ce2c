"""Step 1 of the pipeline: frame an envelope.

The envelope is decoded once with msgspec; the document stays ``msgspec.Raw``
so the signed bytes are exactly the bytes that arrived, never re-serialised.
Everything wrong with the framing is ``EnvelopeInvalid`` (400) except a
signature that decodes from base64 but has no valid SM2 form, which is left to
the verifier (401 ``SIGNATURE_INVALID``).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TypeVar

import msgspec

from routing.errors import EnvelopeInvalid

ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
TYPE_RE = re.compile(r"[a-z][a-z_]*\.[a-z][a-z_]*")
SENDER_RE = re.compile(r"[0-9A-Z]{10}")
CERT_RE = re.compile(r"[0-9a-f]{1,40}")
# RFC 3339 date-time, upper-case T and Z as most clients send them, lower case tolerated.
TS_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)


class _Envelope(msgspec.Struct, forbid_unknown_fields=True):
    doc: msgspec.Raw
    sig: str
    cert: str


class _Doc(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    type: str
    sender: str
    ts: str
    body: msgspec.Raw


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_doc_decoder = msgspec.json.Decoder(_Doc)


class Framed(msgspec.Struct, frozen=True):
    """A syntactically valid envelope; nothing about it is trusted yet."""

    doc_id: str
    doc_type: str
    sender: str
    ts: str
    doc_bytes: bytes
    body: msgspec.Raw
    sig: bytes
    cert: str


def frame(data: bytes | memoryview | msgspec.Raw) -> Framed:
    envelope = _decode(_envelope_decoder, data, "$")
    doc_bytes = bytes(envelope.doc)
    doc = _decode(_doc_decoder, doc_bytes, "$.doc")
    _check(ID_RE, doc.id, "$.doc.id", "1-64 characters of [A-Za-z0-9._:-]")
    _check(TYPE_RE, doc.type, "$.doc.type", "'<subsystem>.<kind>' in lower case")
    _check(SENDER_RE, doc.sender, "$.doc.sender", "a 10-character customs code")
    _check(TS_RE, doc.ts, "$.doc.ts", "an RFC 3339 date-time")
    _check(CERT_RE, envelope.cert, "$.cert", "a lower-case hex certificate serial")
    return Framed(
        doc_id=doc.id,
        doc_type=doc.type,
        sender=doc.sender,
        ts=doc.ts,
        doc_bytes=doc_bytes,
        body=doc.body,
        sig=decode_base64(envelope.sig, "$.sig"),
        cert=envelope.cert,
    )


T = TypeVar("T")


def _decode(decoder: msgspec.json.Decoder[T], data: bytes | memoryview | msgspec.Raw,
            base: str) -> T:
    try:
        return decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise EnvelopeInvalid(_describe(exc, base)) from None
    except DECODE_FAILURES as exc:
        raise EnvelopeInvalid(undecodable(exc), path=base) from None


# Besides DecodeError, msgspec raises these for an encoded surrogate in a string and
# for nesting deeper than it recurses.
DECODE_FAILURES = (UnicodeDecodeError, RecursionError)


def undecodable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    return "invalid UTF-8 in a string"


def decode_base64(text: str, path: str) -> bytes:
    """Standard alphabet, padded, canonical (no stray bits): anything else is refused."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeInvalid("not standard padded base64", path=path) from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise EnvelopeInvalid("not canonical base64", path=path)
    return raw


def _check(pattern: re.Pattern[str], value: str, path: str, expected: str) -> None:
    if pattern.fullmatch(value) is None:
        raise EnvelopeInvalid(f"expected {expected}", path=path)


_AT_PATH = re.compile(r" - at `\$(.*)`$")


def _describe(exc: msgspec.DecodeError, base: str) -> str:
    """msgspec says 'Object missing required field `sig` - at `$...`': keep it, rebased."""
    return _AT_PATH.sub(lambda m: f" at {base}{m.group(1)}", str(exc))


def json_path_of(exc: msgspec.ValidationError, base: str) -> tuple[str, str]:
    """Split a msgspec validation message into (message, rebased JSON path)."""
    text = str(exc)
    match = _AT_PATH.search(text)
    if match is None:
        return text, base
    return text[: match.start()], base + match.group(1)
