"""One measured run: the baselines (bare echo servers, same load), then the target,
then expectations, reconciliation, the JSON report and the plots.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trio

from loadtest import report
from loadtest.baselines.launch import WORKERS, echo_server
from loadtest.corpus_store import Corpus
from loadtest.engine import Engine, Load
from loadtest.procstat import Sampler, listening_pids
from loadtest.progress import Progress
from loadtest.recorder import Recorder
from loadtest.transport import DriverName, PerSender, Target, open_transport

SENDERS_SHOWN = 10  # the busiest senders' streams in a stream run's report


@dataclass(frozen=True)
class RunPlan:
    driver: DriverName
    load: Load
    connections: int = 16
    baselines: bool = True
    pids: list[int] = field(default_factory=list)  # server processes; else discovered
    database_url: str | None = None  # reconcile receipts against the documents table
    streams: int = 1  # ws: streams per sending enterprise


@dataclass
class Measured:
    summary: dict[str, Any]
    recorder: Recorder
    abandoned: list[range]
    started: datetime
    finished: datetime


async def measure(name: str, url: str, corpus: Corpus, plan: RunPlan,
                  pids: list[int]) -> Measured:
    target = Target(url, plan.connections, streams=plan.streams)
    server, client = Sampler(pids), Sampler([os.getpid()], exclude=pids)
    started = datetime.now(UTC)
    origin = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.run, origin)
        nursery.start_soon(client.run, origin)
        async with open_transport(plan.driver, target, corpus.cards_by_enterprise()) as transport:
            engine = Engine(transport, corpus, plan.load, Progress(name, plan.load.count))
            recorder = await engine.run()
            senders = transport.by_sender() if isinstance(transport, PerSender) else None
        nursery.cancel_scope.cancel()
    finished = datetime.now(UTC)
    abandoned = sum(len(r) for r in engine.abandoned)
    summary = report.summary(recorder, plan.load, plan.driver, trio.current_time() - origin,
                             abandoned)
    summary["server"] = server.summary()
    summary["client"] = client.summary()
    if senders is not None:
        summary["senders"] = senders[:SENDERS_SHOWN]
    return Measured(summary, recorder, engine.abandoned, started, finished)


def run(corpus: Corpus, url: str, plan: RunPlan, out: Path, label: str) -> dict[str, Any]:
    """Run baselines and target, write ``report.json`` and the plots into ``out``."""
    baselines: dict[str, dict[str, Any]] = {}
    if plan.baselines:
        for worker in WORKERS:
            with echo_server(worker) as echo:
                baselines[echo.name] = trio.run(
                    measure, echo.name, echo.url, corpus, plan, [echo.pid]).summary
    pids = plan.pids or listening_pids(urlsplit(url).port or 80)
    measured = trio.run(measure, "target", url, corpus, plan, pids)
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

