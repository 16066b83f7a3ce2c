"""Signed queries (PROTOCOL.md §4): who is asking, proven by their card.

Header: ``Authorization: SM2 cert="<serial>", ts="<RFC 3339>", sig="<base64>"``;
the signature covers ``METHOD + "\\n" + path-with-query + "\\n" + ts``, with the
same time window as documents.
"""

from __future__ import annotations

import re
from datetime import datetime

from core_ext import sm2
from routing.cards import Card, CardLookup, identify
from routing.envelope import CERT_RE, TS_RE, decode_base64
from routing.errors import EnvelopeInvalid, SignatureInvalid, TimestampOutOfWindow
from routing.pipeline import DEFAULT_WINDOW, Window
from routing.timestamps import parse_rfc3339

_PARAM = re.compile(r'\s*(cert|ts|sig)="([^"]*)"\s*(?:,|$)')


def parse_authorization(header: str | None) -> dict[str, str]:
    if header is None or not header.startswith("SM2 "):
        raise SignatureInvalid("signed request needs 'Authorization: SM2 cert=, ts=, sig='")
    params: dict[str, str] = {}
    rest = header[4:]
    while rest.strip():
        match = _PARAM.match(rest)
        if match is None or match.group(1) in params:
            raise SignatureInvalid("malformed Authorization header")
        params[match.group(1)] = match.group(2)
        rest = rest[match.end():]
    if set(params) != {"cert", "ts", "sig"}:
        raise SignatureInvalid("Authorization needs cert, ts and sig")
    return params


def authenticate(
    method: str,
    target: str,
    header: str | None,
    cards: CardLookup,
    received_at: datetime,
    window: Window = DEFAULT_WINDOW,
) -> Card:
    """The active card that signed this request, or the error to answer with."""
    params = parse_authorization(header)
    if CERT_RE.fullmatch(params["cert"]) is None or TS_RE.fullmatch(params["ts"]) is None:
        raise EnvelopeInvalid("malformed cert or ts in Authorization")
    signed_at = parse_rfc3339(params["ts"], "Authorization.ts")
    if not received_at - window.max_age <= signed_at <= received_at + window.max_future_skew:
        raise TimestampOutOfWindow("request ts outside the window")
    card = cards.get(params["cert"])
    card = identify(card, card.enterprise if card else "", received_at)
    signature = decode_base64(params["sig"], "Authorization.sig")
    message = request_message(method, target, params["ts"])
    reason = sm2.verify_reason(card.public_key, message, signature)
    if reason is not None:
        raise SignatureInvalid(f"request signature does not verify ({reason})")
    return card


def request_message(method: str, target: str, ts: str) -> bytes:
    """The bytes a client signs for a query."""
    return f"{method}\n{target}\n{ts}".encode()
