"""CI smoke of the load generator: every driver, closed and open loop, at tiny N,
against a real gateway (``eport serve`` on its own database), failing on errors,
unexpected outcomes or a reconciliation mismatch; and the same drivers against
the bare echo baselines the tool starts itself. Scale the corpora with
LOADTEST_SMOKE_N (default 24).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

from loadtest.baselines.launch import echo_server
from loadtest.cli import main
from loadtest.corpus import Shares, build_corpus
from loadtest.corpus_store import Corpus
from loadtest.engine import Load
from loadtest.mix import available
from loadtest.roster import members, offline_roster
from loadtest.run import RunPlan, run
from loadtest.transport import DRIVERS, DriverName, Target, Unit
from loadtest.ws import open_ws
from routing.subsystems import REGISTRY
from tests.databases import fetchval, scratch_database
from tests.e2e.gateway import Gateway, start_gateway, stop_gateway

N = int(os.environ.get("LOADTEST_SMOKE_N", "24"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    rng = random.Random(1)
    roster = offline_roster(members(available(dict(REGISTRY.items())), 3, "PLATFORM00", 2, rng),
                            rng)
    out = tmp_path_factory.mktemp("corpus")
    build_corpus(N, out, roster, Shares(invalid=0.1, replays=0.1, conflicts=0.1), seed=1,
                 processes=2, offline=True)
    return Corpus.load(out)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Gateway]:
    with scratch_database(database_url, "eport_loadtest") as url:
        running = start_gateway(tmp_path_factory.mktemp("gateway"), url)
        try:
            yield running
        finally:
            stop_gateway(running)


def postmaster_pid(database_url: str) -> int:
    """The first line of the server's postmaster.pid, in its data directory."""
    data_directory = Path(str(asyncio.run(fetchval(database_url, "SHOW data_directory"))))
    return int((data_directory / "postmaster.pid").read_text().split()[0])


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("mode", ["closed", "open"])
def test_gateway_every_driver_and_mode(gateway: Gateway, tmp_path: Path, driver: DriverName,
                                       mode: str) -> None:
    assert main(["corpus", "--n", str(N), "--out", str(tmp_path / "corpus"),
                 "--gateway", gateway.url, "--home", str(gateway.home), "--enterprises", "2",
                 "--platform-cards", "2", "--invalid", "0.1", "--replays", "0.1",
                 "--conflicts", "0.1", "--processes", "1"]) == 0
    load = ["--rate", "100"] if mode == "open" else ["--concurrency", "4"]
    code = main(["run", "--corpus", str(tmp_path / "corpus"), "--url", gateway.url,
                 "--driver", driver, "--batch-size", "5", "--connections", "2", *load,
                 "--duration", "60", "--no-baselines", "--database-url", gateway.database_url,
                 "--out", str(tmp_path / "report")])
    target = json.loads((tmp_path / "report" / "report.json").read_text())["target"]
    assert target["documents"]["failed"] == 0, target["codes"]
    assert target["expectations"]["ok"], target["expectations"]
    assert target["reconciliation"]["ok"], target["reconciliation"]
    assert target["reconciliation"]["held_receipts"] > N // 2
    assert target["server"]["pids"] == [gateway.process.pid]
    assert target["database"]["pids"] == [postmaster_pid(gateway.database_url)]
    per_document = target["cpu_us_per_document"]
    assert per_document["server"] > 0 and per_document["client"] > 0
    assert per_document["total"] == pytest.approx(
        per_document["server"] + per_document["client"] + per_document["database"], abs=0.2)
    if driver == "ws":
        assert sum(row["documents"] for row in target["senders"]) == \
            target["documents"]["answered"]
    else:
        assert "senders" not in target
    assert code == 0


def test_rounds_take_turns_and_go_on_through_the_corpus(gateway: Gateway, tmp_path: Path) -> None:
    """Baselines and target take two turns each; the target's second turn sends the
    documents after the first's (a resent one would come back a replay and fail the
    expectations), and each server's figures cover both turns."""
    assert main(["corpus", "--n", str(N), "--out", str(tmp_path / "corpus"),
                 "--gateway", gateway.url, "--home", str(gateway.home), "--enterprises", "2",
                 "--platform-cards", "1", "--processes", "1"]) == 0
    rate = N / 1.2  # half the corpus in each 0.6 s turn
    code = main(["run", "--corpus", str(tmp_path / "corpus"), "--url", gateway.url,
                 "--rate", str(rate), "--duration", "1.2", "--rounds", "2",
                 "--database-url", gateway.database_url, "--out", str(tmp_path / "report")])
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    target = report["target"]
    assert code == 0, target
    assert target["expectations"]["ok"] and target["reconciliation"]["ok"]
    assert target["documents"]["answered"] == N
    for summary in (target, *report["baselines"].values()):
        assert len(summary["turns"]) == 2 and all(turn > 0 for turn in summary["turns"])
    assert set(report["baselines"]) == {"echo-trio", "echo-asyncio"}


def test_ws_keeps_to_one_stream_a_sender_while_it_has_credit(gateway: Gateway,
                                                             tmp_path: Path) -> None:
    assert main(["corpus", "--n", "12", "--out", str(tmp_path / "corpus"),
                 "--gateway", gateway.url, "--home", str(gateway.home), "--enterprises", "2",
                 "--platform-cards", "1", "--processes", "1"]) == 0
    corpus = Corpus.load(tmp_path / "corpus")
    units = [Unit(i, [corpus.envelope(i)], corpus.entry(i).sender) for i in range(len(corpus))]
    per_sender = Counter(unit.sender for unit in units)
    assert max(per_sender.values()) > 3  # some sender could have used all three streams

    async def submit_all() -> list[dict[str, Any]]:
        async with open_ws(Target(gateway.url, 2, streams=3), corpus.cards_by_enterprise()) as ws:
            for unit in units:
                assert (await ws.submit(unit))[0][0] in (200, 201, 422)
            return ws.by_sender()

    by_sender = trio.run(submit_all)
    # One submit at a time never runs a stream out of credit: one stream a sender.
    assert {row["sender"]: (row["streams"], row["documents"]) for row in by_sender} == {
        sender: (1, n) for sender, n in per_sender.items()}
    shares = [row["frame_share"] for row in by_sender]
    assert shares == sorted(shares, reverse=True)
    assert sum(shares) == pytest.approx(1, abs=0.001)
    assert all(row["wait_ms_mean"] > 0 for row in by_sender)


def test_ws_opens_a_new_stream_after_the_server_closed_one(gateway: Gateway,
                                                          tmp_path: Path) -> None:
    assert main(["corpus", "--n", "3", "--out", str(tmp_path / "corpus"),
                 "--gateway", gateway.url, "--home", str(gateway.home), "--enterprises", "1",
                 "--platform-cards", "1", "--processes", "1"]) == 0
    corpus = Corpus.load(tmp_path / "corpus")
    sender = corpus.entry(0).sender

    async def submit_all() -> tuple[list[Any], list[Any], list[dict[str, Any]]]:
        async with open_ws(Target(gateway.url, 2), corpus.cards_by_enterprise()) as ws:
            # Not JSON: the gateway closes the stream with 1008 and answers nothing.
            broken = await ws.submit(Unit(0, [b"{"], sender))
            answered = await ws.submit(Unit(0, [corpus.envelope(0)], sender))
            return broken, answered, ws.by_sender()

    broken, answered, by_sender = trio.run(submit_all)
    assert broken == [(0, "TRANSPORT_StreamClosed")]
    assert answered[0][0] in (200, 201)
    assert [(row["sender"], row["streams"], row["documents"]) for row in by_sender] == [
        (sender, 1, 1)]


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with echo_server("trio") as server:
        yield server.url


def _check(report: dict[str, Any], n: int) -> dict[str, Any]:
    target = report["target"]
    assert isinstance(target, dict)
    assert target["documents"]["failed"] == 0, target["codes"]
    assert target["documents"]["answered"] == n
    assert target["codes"] == {"201 OK": n}
    return target


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("mode", ["closed", "open"])
def test_echo_every_driver_and_mode(corpus: Corpus, echo: str, tmp_path: Path, driver: DriverName,
                               mode: str) -> None:
    load = Load(count=N, concurrency=4, rate=200.0 if mode == "open" else None,
                duration_s=30.0, batch_size=5 if driver == "batch" else 1)
    report = run(corpus, echo, RunPlan(driver, load, connections=2, baselines=False), tmp_path,
                 "smoke")
    target = _check(report, N)
    assert target["mode"] == mode
    assert target["latency_ms"]["p50"] > 0
    assert target["server"]["pids"]  # discovered from the listening port


def test_run_command_with_baselines_writes_report_and_plots(corpus: Corpus, tmp_path: Path) -> None:
    with echo_server("asyncio") as server:
        code = main(["run", "--corpus", str(corpus.directory), "--url", server.url,
                     "--concurrency", "4", "--duration", "30", "--out", str(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    _check(report, N)
    assert set(report["baselines"]) == {"echo-trio", "echo-asyncio"}
    assert all(ratio > 0 for ratio in report["relative_to_baselines"].values())
    for name in ("throughput.png", "latency.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_corpus_command_offline(tmp_path: Path) -> None:
    assert main(["corpus", "--n", "6", "--out", str(tmp_path), "--offline",
                 "--enterprises", "2", "--platform-cards", "1", "--processes", "1",
                 "--invalid", "0.5"]) == 0
    stored = Corpus.load(tmp_path)
    assert len(stored) == 6 and stored.manifest.offline
    assert stored.envelope(5).startswith(b'{"doc":{"id":"LT-')
