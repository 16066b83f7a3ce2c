"""One measured run: the baselines (bare echo servers, same load), then the target,
then expectations, reconciliation, the JSON report and the plots.

With ``rounds`` > 1 the servers take turns: each baseline, then the target, for
1/rounds of the duration at a time, ``rounds`` times over. A machine whose speed
drifts over minutes (a shared host) then slows every server alike, and the ratios
to the baselines hold still where one run of each would not. Each server's figures
are over all its turns; the target's turns go on through the corpus, so no document
is sent twice.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trio

from loadtest import report
from loadtest.baselines.launch import WORKERS, echo_server
from loadtest.corpus_store import Corpus
from loadtest.database import server_pids
from loadtest.engine import Engine, Load
from loadtest.procstat import Sampler, listening_pids
from loadtest.progress import Progress
from loadtest.recorder import Recorder, joined
from loadtest.transport import DriverName, PerSender, Target, open_transport
from loadtest.ws import joined_senders

SENDERS_SHOWN = 10  # the busiest senders' streams in a stream run's report


@dataclass(frozen=True)
class RunPlan:
    driver: DriverName
    load: Load
    connections: int = 16
    baselines: bool = True
    pids: list[int] = field(default_factory=list)  # server processes; else discovered
    database_url: str | None = None  # reconcile receipts against the documents table
    streams: int = 4  # ws: streams per sending enterprise at most
    rounds: int = 1  # turns each server takes (the duration is shared out among them)


@dataclass
class Measured:
    summary: dict[str, Any]
    recorder: Recorder
    abandoned: list[range]
    started: datetime
    finished: datetime


@dataclass
class Series:
    """One server's turns in a run, and what they add up to."""

    name: str
    url: str
    pids: list[int]
    echoes: list[int]  # every baseline server the run started: never the client's
    database_pids: list[int] = field(default_factory=list)  # the target's database server
    server: Sampler = field(init=False)
    client: Sampler = field(init=False)
    database: Sampler = field(init=False)
    recorders: list[Recorder] = field(default_factory=list)
    abandoned: list[range] = field(default_factory=list)
    senders: list[list[dict[str, Any]]] = field(default_factory=list)
    active_s: float = 0.0  # the turns' time so far: samples and timeline run on from it
    started: datetime | None = None
    finished: datetime | None = None

    def __post_init__(self) -> None:
        self.server = Sampler(self.pids)
        self.client = Sampler([os.getpid()], exclude=[*self.pids, *self.echoes])
        self.database = Sampler(self.database_pids)

    async def turn(self, corpus: Corpus, plan: RunPlan, load: Load) -> None:
        """Load the server for one turn, from where its previous turn left the corpus."""
        load = replace(load, first=sum(recorder.sent for recorder in self.recorders))
        target = Target(self.url, plan.connections, streams=plan.streams)
        self.started = self.started or datetime.now(UTC)
        begun = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.server.run, begun - self.active_s)
            nursery.start_soon(self.client.run, begun - self.active_s)
            if self.database_pids:
                nursery.start_soon(self.database.run, begun - self.active_s)
            async with open_transport(plan.driver, target,
                                      corpus.cards_by_enterprise()) as transport:
                engine = Engine(transport, corpus, load, Progress(self.name, load.count))
                self.recorders.append(await engine.run())
                if isinstance(transport, PerSender):
                    self.senders.append(transport.by_sender())
            nursery.cancel_scope.cancel()
        self.finished = datetime.now(UTC)
        self.active_s += trio.current_time() - begun
        self.abandoned.extend(engine.abandoned)

    def measured(self, plan: RunPlan) -> Measured:
        recorder = joined(self.recorders)
        abandoned = sum(len(r) for r in self.abandoned)
        summary = report.summary(recorder, plan.load, plan.driver, self.active_s, abandoned)
        summary["server"] = self.server.summary()
        summary["client"] = self.client.summary()
        samplers = {"server": self.server, "client": self.client}
        if self.database_pids:
            summary["database"] = self.database.summary()
            samplers["database"] = self.database
        summary["cpu_us_per_document"] = report.cpu_per_document(
            {name: sampler.busy_s for name, sampler in samplers.items()}, recorder.completed)
        if self.senders:
            summary["senders"] = joined_senders(self.senders)[:SENDERS_SHOWN]
        if len(self.recorders) > 1:
            summary["turns"] = [round(turn.measured.throughput(), 1) for turn in self.recorders]
        assert self.started is not None and self.finished is not None
        return Measured(summary, recorder, self.abandoned, self.started, self.finished)


async def _take_turns(corpus: Corpus, plan: RunPlan, everyone: list[Series]) -> None:
    duration = plan.load.duration_s / plan.rounds if plan.load.duration_s else None
    turn_load = replace(plan.load, duration_s=duration)
    for _ in range(plan.rounds):
        for series in everyone:
            await series.turn(corpus, plan, turn_load)


def run(corpus: Corpus, url: str, plan: RunPlan, out: Path, label: str) -> dict[str, Any]:
    """Run baselines and target, write ``report.json`` and the plots into ``out``."""
    if plan.rounds > 1 and not plan.load.duration_s:
        raise ValueError("rounds share out a duration: give one")
    pids = plan.pids or listening_pids(urlsplit(url).port or 80)
    with ExitStack() as stack:
        echoes = [stack.enter_context(echo_server(worker))
                  for worker in (WORKERS if plan.baselines else ())]
        started = [echo.pid for echo in echoes]
        everyone = [Series(echo.name, echo.url, [echo.pid], started) for echo in echoes]
        database = server_pids(plan.database_url) if plan.database_url else []
        everyone.append(Series("target", url, pids, started, database))
        trio.run(_take_turns, corpus, plan, everyone)
    baselines = {series.name: series.measured(plan).summary for series in everyone[:-1]}
    measured = everyone[-1].measured(plan)
    result = measured.summary
    answered = _answered(measured)
    if not corpus.manifest.offline:
        result["expectations"] = report.expectations(corpus, measured.recorder, answered)
    if plan.database_url:
        result["reconciliation"] = _reconcile(plan.database_url, corpus, measured)
    full = {"scenario": label, "url": url, "corpus": str(corpus.directory),
            "corpus_size": len(corpus), "started_at": measured.started.isoformat(),
            "target": result, "baselines": baselines,
            "relative_to_baselines": report.relative(result, baselines)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(full, indent=1, ensure_ascii=False))
    from loadtest.plots import plot

    plot({"target": result, **baselines}, out)
    return full


def _answered(measured: Measured) -> list[int]:
    unknown = {i for r in measured.abandoned for i in r}
    return [i for i in range(measured.recorder.sent) if i not in unknown]


def _reconcile(database_url: str, corpus: Corpus, measured: Measured) -> dict[str, Any]:
    from loadtest.reconcile import reconcile

    held = {_key(corpus, i) for i in measured.recorder.receipts}
    unknown = {_key(corpus, i) for r in measured.abandoned for i in r}
    prefix = corpus.entry(0).id.rsplit("-", 1)[0] + "-"
    return reconcile(database_url, held, unknown, prefix, measured.started,
                           measured.finished)


def _key(corpus: Corpus, index: int) -> tuple[str, str]:
    entry = corpus.entry(index)
    return entry.sender, entry.id

