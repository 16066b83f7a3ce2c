"""What each document got: (HTTP status, code), parsed from single, batch and stream
answers. Only the members needed are decoded; receipts are otherwise skipped.

Status 0 marks a transport failure (no answer); its code names the exception.
"""

from __future__ import annotations

import msgspec

Outcome = tuple[int, str]
RECEIPT_STATUSES = frozenset({200, 201, 422})


class _Receipt(msgspec.Struct):
    code: str = ""


class _Envelope(msgspec.Struct):
    receipt: _Receipt | None = None


class _Problem(msgspec.Struct):
    code: str = ""


class _Answer(msgspec.Struct):
    """A single answer: a receipt envelope or a problem document."""

    receipt: _Receipt | None = None
    code: str = ""


class _BatchItem(msgspec.Struct):
    status: int
    receipt: _Envelope | None = None
    problem: _Problem | None = None


class _Batch(msgspec.Struct):
    results: list[_BatchItem]


_answer = msgspec.json.Decoder(_Answer)
_batch = msgspec.json.Decoder(_Batch)


def single(status: int, body: bytes) -> Outcome:
    """The outcome of ``POST /v1/documents`` (also a stream result's status and member)."""
    if status == 201:
        return (201, "OK")
    if status == 200:
        return (200, "REPLAY")
    try:
        answer = _answer.decode(body)
    except msgspec.DecodeError:
        return (status, "UNPARSEABLE")
    code = answer.receipt.code if answer.receipt else answer.code
    return (status, code or "NO_CODE")


def batch(status: int, body: bytes, size: int) -> list[Outcome]:
    """Per-document outcomes of ``POST /v1/documents:batch`` (in request order)."""
    if status != 200:
        return [single(status, body)] * size
    try:
        items = _batch.decode(body).results
    except msgspec.DecodeError:
        return [(status, "UNPARSEABLE")] * size
    if len(items) != size:
        return [(status, "BATCH_LENGTH_MISMATCH")] * size
    outcomes: list[Outcome] = []
    for item in items:
        if item.status in (200, 201):
            outcomes.append(single(item.status, b""))
        elif item.receipt is not None and item.receipt.receipt is not None:
            outcomes.append((item.status, item.receipt.receipt.code or "NO_CODE"))
        else:
            outcomes.append((item.status, item.problem.code if item.problem else "NO_CODE"))
    return outcomes


def failure(exc: BaseException) -> Outcome:
    return (0, f"TRANSPORT_{type(exc).__name__}")
