"""One path for every document: pipeline, verification batch, group commit, answer.

Used by the HTTP routes (single and batch) and the WebSocket stream alike.
An ``Answer`` is what the client gets: an HTTP status, the body bytes (a signed
receipt, or problem details), and whether it is a replay.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

import msgspec

from core_ext import sm3
from gateway import metrics
from gateway.cards import CardCache, registry_busy
from gateway.problems import CONTENT_TYPE as PROBLEM_TYPE
from gateway.problems import problem_body
from gateway.ratelimit import RateLimiter
from gateway.store import Outcome, Store, Submission
from gateway.store.notify import EVERYTHING
from gateway.verifier import Verifier
from routing.errors import IdConflict, PermissionDenied, ProblemError, SignatureInvalid
from routing.ops import Create, Derive, EditList, Transition, TransitionAll
from routing.pipeline import Admitted, Verdict, Window, admit, judge
from routing.registry import CertificateIssuer, Registry


class Answer(msgspec.Struct, frozen=True):
    status: int
    body: bytes
    replay: bool = False
    retry_after: float | None = None

    @property
    def is_problem(self) -> bool:
        return self.status not in (200, 201, 422)

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The HTTP response headers that carry this answer."""
        content_type = PROBLEM_TYPE if self.is_problem else "application/json"
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(self.body)).encode()),
        ]
        if self.replay:
            headers.append((b"eport-replay", b"true"))
        if self.retry_after is not None:
            headers.append((b"retry-after", str(max(1, round(self.retry_after))).encode()))
        return headers


def problem_answer(error: ProblemError) -> Answer:
    metrics.problems(error.code).inc()
    return Answer(error.status, problem_body(error), retry_after=error.retry_after)


def outcome_answer(outcome: Outcome, doc_type: str) -> Answer:
    if outcome.kind == "conflict":
        return problem_answer(IdConflict("this id was already used for other bytes"))
    metrics.documents(doc_type, outcome.code).inc()
    if outcome.kind == "replay":
        return Answer(200, outcome.receipt, replay=True)
    return Answer(201 if outcome.status == "accepted" else 422, outcome.receipt)


def repeat_answer(item: Admitted, first: Admitted, answer: Answer | None) -> Answer:
    """A key repeated within one request is answered as if it came after the first."""
    if answer is None or answer.is_problem:
        return answer or problem_answer(IdConflict("repeated within the request"))
    if item.framed.doc_bytes != first.framed.doc_bytes:
        return problem_answer(IdConflict("this id was already used for other bytes"))
    return Answer(200, answer.body, replay=True)


class Ingest:
    def __init__(
        self,
        store: Store,
        cards: CardCache,
        registry: Registry,
        verifier: Verifier,
        issuer: CertificateIssuer,
        window: Window,
        clock: Callable[[], datetime],
        limiter: RateLimiter,
    ) -> None:
        self.cards = cards
        self.window = window
        self._store = store
        self._registry = registry
        self._verifier = verifier
        self._issuer = issuer
        self._clock = clock
        self._limiter = limiter

    async def submit(self, envelope: bytes, enterprise: str | None = None) -> Answer:
        (answer,) = await self.submit_many([envelope], enterprise)
        return answer

    async def submit_many(
        self, envelopes: Sequence[bytes], enterprise: str | None = None
    ) -> list[Answer]:
        """Answers in request order; one document's failure never affects another.

        ``enterprise``: on an authenticated stream, every card must belong to it.
        """
        received_at = self._clock()
        answers: list[Answer | None] = [None] * len(envelopes)

        def admission(index: int) -> Admitted | ProblemError:
            try:
                item = admit(envelopes[index], self.cards, self._registry, received_at,
                             self.window)
                if enterprise is not None and item.card.enterprise != enterprise:
                    raise PermissionDenied("card belongs to another enterprise than the stream's")
                self._limiter.take(item.framed.cert, time.monotonic())
                return item
            except ProblemError as error:
                return error

        outcomes = await self.cards.resolving_all(len(envelopes), admission)
        admitted: list[tuple[int, Admitted]] = []
        for index in range(len(envelopes)):
            outcome = outcomes[index] if index in outcomes else registry_busy()
            if isinstance(outcome, ProblemError):
                answers[index] = problem_answer(outcome)
            else:
                admitted.append((index, outcome))
        reasons = await self._verifier.verify([item for _, item in admitted])
        firsts: dict[tuple[str, str], tuple[int, Admitted]] = {}
        repeats: list[tuple[int, Admitted, int, Admitted]] = []
        for (index, item), reason in zip(admitted, reasons, strict=True):
            key = (item.framed.sender, item.framed.doc_id)
            if reason is not None:
                answers[index] = problem_answer(
                    SignatureInvalid(f"signature does not verify ({reason})"))
            elif key in firsts:
                repeats.append((index, item, *firsts[key]))
            else:
                firsts[key] = (index, item)
        if firsts:
            await self._commit(list(firsts.values()), answers)
        for index, item, first_index, first in repeats:
            answers[index] = repeat_answer(item, first, answers[first_index])
        return [answer for answer in answers if answer is not None]

    async def _judge(self, items: list[tuple[int, Admitted]],
                     answers: list[Answer | None]) -> list[tuple[tuple[int, Admitted], Verdict]]:
        """Each item with its verdict, loading the cards the handlers ask for; an item
        whose cards could not all be loaded is answered 503 and left out."""
        verdicts = await self.cards.resolving_all(
            len(items), lambda position: judge(items[position][1], self._issuer, self.cards))
        judged = []
        for position, entry in enumerate(items):
            if position in verdicts:
                judged.append((entry, verdicts[position]))
            else:
                answers[entry[0]] = problem_answer(registry_busy())
        return judged

    async def _commit(self, items: list[tuple[int, Admitted]],
                      answers: list[Answer | None]) -> None:
        judged = await self._judge(items, answers)
        items = [entry for entry, _ in judged]
        verdicts = [verdict for _, verdict in judged]
        results = await self._store.commit_many(
            [submission(item, verdict) for (_, item), verdict in zip(items, verdicts, strict=True)])
        for (index, item), verdict, result in zip(items, verdicts, results, strict=True):
            if isinstance(result, ProblemError):
                answers[index] = problem_answer(result)
                continue
            if isinstance(result, Exception):
                raise result
            if result.kind == "new" and result.status == "accepted":
                # Read your own writes: this worker's card registry sees the change before
                # the client does; other workers learn it through the store's notifications.
                for op in verdict.ops:
                    if isinstance(op, Create | Transition | Derive | EditList):
                        await self.cards.changed(op.kind, op.key)
                    elif isinstance(op, TransitionAll):
                        await self.cards.changed(op.kind, EVERYTHING)
            answers[index] = outcome_answer(result, item.framed.doc_type)


def submission(item: Admitted, verdict: Verdict) -> Submission:
    framed = item.framed
    return Submission(
        sender=framed.sender,
        doc_id=framed.doc_id,
        doc_type=framed.doc_type,
        doc_bytes=framed.doc_bytes,
        doc_sm3=sm3.digest(framed.doc_bytes),
        sig=framed.sig,
        cert=framed.cert,
        received_at=item.received_at,
        ops=verdict.ops,
        notify=verdict.event.recipients if verdict.event else (),
        status=verdict.status,
        code=verdict.code,
        context=verdict,
    )
