"""RFC 9457 problem details for every refusal that produces no receipt."""

from __future__ import annotations

import msgspec

from routing.errors import EportError


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    code: str
    detail: str
    path: str | None = None


CONTENT_TYPE = "application/problem+json"
_encoder = msgspec.json.Encoder()


def problem_body(error: EportError) -> bytes:
    return _encoder.encode(Problem(
        type=f"urn:eport:problem:{error.code.lower()}",
        title=error.title,
        status=error.status,
        code=error.code,
        detail=error.message,
        path=error.path,
    ))
