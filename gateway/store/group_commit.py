"""Group commit on the trio side: queue submissions, send them in batches.

Callers put a submission on one queue and wait for its outcome. Each writer
task takes the first waiting submission, then everything else already queued
and whatever arrives within ``max_wait`` of the first, up to ``max_docs``, and
sends the batch to the store thread as one job (one transaction). With several
writers, one fills a batch while the others commit.

A batch takes at most ``max_per_line`` documents that move one ledger line (a
licence line written off by many declarations): each of them updates that row
again inside one transaction, which grows slower with every version, and the row
stays locked to COMMIT, so the other writers' batches on that line wait for all
of them. The document that would go over the cap starts the next batch.

Failures: a batch that failed transiently is retried with backoff until its
earliest caller's deadline; a batch whose COMMIT was lost is retried with the
receipts it had sealed, which lets the retry recognise its own commit instead
of guessing. A caller that waited ``timeout`` gets ``Unavailable`` and its
submission is dropped if it has not been sent yet. (If it had been sent, or a
lost COMMIT could not be resolved in time, it may be stored after all: a
resubmission then gets the identical stored receipt.) Deadlines are enforced by
one reaper task rather than a cancel scope per caller: with a constant timeout
they expire in arrival order, so the reaper only ever looks at the oldest.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import trio

from gateway.store.failures import CommitUnknown, Transient
from gateway.store.model import Outcome, Submission
from routing.errors import Unavailable

log = logging.getLogger(__name__)

Key = tuple[str, str]
WriteBatch = Callable[[Sequence[Submission], Mapping[Key, bytes]], Awaitable[list[Outcome]]]
Lines = Callable[[Submission], Iterable[Hashable]]  # the ledger lines a submission moves

RETRY_AFTER_S = 1.0
REAP_INTERVAL_S = 0.05
FIRST_BACKOFF_S = 0.02
MAX_BACKOFF_S = 0.5


@dataclass(eq=False, slots=True)
class _Caller:
    """A task waiting for its submissions (one, or a whole request's): it sleeps in
    ``wait_task_rescheduled`` (cheaper than an Event) until the last one is answered."""

    task: trio.lowlevel.Task
    unanswered: int
    gone: bool = False  # cancelled while waiting


@dataclass(eq=False, slots=True)
class _Pending:
    sub: Submission
    deadline: float
    caller: _Caller
    result: Outcome | Exception | None = None
    answered: bool = False
    abandoned: bool = False  # the caller is gone or answered by the reaper: skip it

    def answer(self) -> Outcome | Exception:
        assert self.result is not None, "read before it was answered"
        return self.result

    def resolve(self, result: Outcome | Exception) -> None:
        if self.answered:
            return
        self.answered, self.result = True, result
        caller = self.caller
        caller.unanswered -= 1
        if caller.unanswered == 0 and not caller.gone:
            trio.lowlevel.reschedule(caller.task)


class _Batch:
    """Submissions taken into one batch, and how many of them move each ledger line."""

    def __init__(self, lines: Lines, max_per_line: int) -> None:
        self.items: list[_Pending] = []
        self._lines = lines
        self._max_per_line = max_per_line
        self._per_line: Counter[Hashable] = Counter()

    def add(self, pending: _Pending) -> _Pending | None:
        """Take ``pending``; or return it, when it would take a line over the cap
        (never the batch's first: every batch takes at least one submission)."""
        lines = set(self._lines(pending.sub)) if self._max_per_line else set()
        if self.items and any(self._per_line[line] >= self._max_per_line for line in lines):
            return pending
        self._per_line.update(lines)
        self.items.append(pending)
        return None


class GroupCommitter:
    def __init__(
        self,
        write: WriteBatch,
        *,
        max_docs: int,
        max_wait_s: float,
        timeout_s: float,
        max_queued: int,
        lines: Lines = lambda sub: (),
        max_per_line: int = 0,  # 0: no cap
    ) -> None:
        self._write = write
        self._max_docs = max(1, max_docs)
        self._lines = lines
        self._max_per_line = max_per_line
        self._carried: _Pending | None = None  # went over a line's cap: starts the next batch
        self._max_wait_s = max_wait_s
        self._timeout_s = timeout_s
        self._send, self._receive = trio.open_memory_channel[_Pending](max_queued)
        self._waiting: deque[_Pending] = deque()
        self._filling = trio.Lock()

    def queued(self) -> int:
        """Submissions waiting for a writer to take them into a batch."""
        return self._receive.statistics().current_buffer_used

    async def commit(self, sub: Submission) -> Outcome:
        result = (await self.commit_many([sub]))[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def commit_many(self, subs: list[Submission]) -> list[Outcome | Exception]:
        """Each submission's outcome, or the error that answered it (``Unavailable``...)."""
        caller = _Caller(trio.lowlevel.current_task(), len(subs))
        deadline = trio.current_time() + self._timeout_s
        pendings = [_Pending(sub, deadline, caller) for sub in subs]
        for pending in pendings:
            try:
                self._send.send_nowait(pending)
            except (trio.WouldBlock, trio.ClosedResourceError) as exc:
                why = "overloaded" if isinstance(exc, trio.WouldBlock) else "closed"
                pending.answered = True
                pending.result = Unavailable(f"store {why}", retry_after=RETRY_AFTER_S)
                caller.unanswered -= 1
            else:
                self._waiting.append(pending)
        if caller.unanswered:

            def abort(_: object) -> trio.lowlevel.Abort:
                caller.gone = True
                for pending in pendings:
                    pending.abandoned = True
                return trio.lowlevel.Abort.SUCCEEDED

            await trio.lowlevel.wait_task_rescheduled(abort)
        return [pending.answer() for pending in pendings]

    async def run_reaper(self) -> None:
        """Answer ``Unavailable`` to every caller whose deadline passed unanswered."""
        while True:
            await trio.sleep(REAP_INTERVAL_S)
            now = trio.current_time()
            while self._waiting and (self._waiting[0].answered
                                     or self._waiting[0].deadline <= now):
                pending = self._waiting.popleft()
                pending.resolve(Unavailable("store did not answer in time",
                                            retry_after=RETRY_AFTER_S))
                pending.abandoned = True

    def close(self) -> None:
        """Accept no more submissions; writers finish what is queued, then return."""
        self._send.close()

    async def run_writer(self) -> None:
        while True:
            try:
                batch = await self._next_batch()
            except trio.EndOfChannel:
                return
            # A batch in flight always finishes: the callers' outcomes depend on it.
            with trio.CancelScope(shield=True):
                await self._commit(batch)

    async def _next_batch(self) -> list[_Pending]:
        # One writer fills a batch at a time, so submissions queue for it rather than
        # being handed one each to idle writers (which made batches of one or two).
        async with self._filling:
            first, self._carried = self._carried, None
            batch = _Batch(self._lines, self._max_per_line)
            batch.add(first if first is not None else await self._receive.receive())
            with trio.move_on_after(self._max_wait_s):
                while len(batch.items) < self._max_docs and self._carried is None:
                    try:
                        self._carried = batch.add(await self._receive_soon())
                    except trio.EndOfChannel:
                        break
            # The wait may have ended while a burst of callers ran: take what they queued.
            while len(batch.items) < self._max_docs and self._carried is None:
                try:
                    self._carried = batch.add(self._receive.receive_nowait())
                except (trio.WouldBlock, trio.EndOfChannel):
                    break
        return batch.items

    async def _receive_soon(self) -> _Pending:
        # Draining what is queued without a checkpoint per item keeps a full
        # batch cheap to assemble.
        try:
            return self._receive.receive_nowait()
        except trio.WouldBlock:
            return await self._receive.receive()

    async def _commit(self, batch: list[_Pending]) -> None:
        earlier: dict[Key, bytes] = {}
        backoff = FIRST_BACKOFF_S
        while True:
            live = [p for p in batch if not p.abandoned]
            if not live:
                return
            try:
                outcomes = await self._write([p.sub for p in live], earlier)
            except CommitUnknown as exc:
                earlier.update(exc.sealed)
                log.warning("COMMIT outcome unknown for %d documents; retrying", len(live))
            except Transient as exc:
                log.warning("batch of %d failed, retrying: %s", len(live), exc)
            except Exception as exc:
                log.exception("batch of %d failed", len(live))
                for p in live:
                    p.resolve(exc)
                return
            else:
                for p, result in zip(live, outcomes, strict=True):
                    p.resolve(result)
                return
            if trio.current_time() + backoff >= min(p.deadline for p in live):
                for p in live:
                    p.resolve(Unavailable("store unreachable", retry_after=RETRY_AFTER_S))
                return
            await trio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
