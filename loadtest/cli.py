"""``python -m loadtest``: build corpora, run loads, run named scenarios."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import trio

from loadtest.corpus import Roster, Shares, build_corpus
from loadtest.corpus_store import Corpus
from loadtest.engine import Load
from loadtest.mix import available
from loadtest.roster import OnboardingError
from loadtest.run import RunPlan, run
from loadtest.scenarios import SCENARIOS
from loadtest.transport import CAPPED_BY_CONNECTIONS, DRIVERS
from routing.subsystems import REGISTRY

DEFAULT_URL = "http://127.0.0.1:8080"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result: int = args.command(args)
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError, RuntimeError, OnboardingError) as exc:
        print(f"loadtest: error: {exc}", file=sys.stderr)
        return 1
    return result


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    commands = root.add_subparsers(required=True, metavar="COMMAND")

    corpus = commands.add_parser("corpus", help="pre-sign a corpus of N documents")
    corpus.add_argument("--n", type=int, required=True)
    corpus.add_argument("--out", type=Path, required=True)
    _corpus_options(corpus)
    corpus.add_argument("--invalid", type=float, default=0.0, help="share with a bad signature")
    corpus.add_argument("--replays", type=float, default=0.0, help="share of same bytes again")
    corpus.add_argument("--conflicts", type=float, default=0.0, help="share of same id, new bytes")
    corpus.set_defaults(command=cmd_corpus)

    load = commands.add_parser("run", help="drive a gateway with a stored corpus")
    load.add_argument("--corpus", type=Path, required=True)
    load.add_argument("--url", default=os.environ.get("EPORT_URL", DEFAULT_URL))
    load.add_argument("--driver", choices=DRIVERS, default="http1")
    load.add_argument("--concurrency", type=int, default=16, help="closed loop: in flight")
    load.add_argument("--rate", type=float, help="open loop: documents per second")
    load.add_argument("--count", type=int, help="documents (default: the whole corpus)")
    load.add_argument("--duration", type=float, default=600.0, help="seconds at most")
    load.add_argument("--rounds", type=int, default=1,
                      help="baselines and target take turns, ROUNDS times each, sharing out "
                           "the duration: ratios that hold still on a drifting machine")
    load.add_argument("--warmup", type=float, default=0.0, help="seconds left out of stats")
    load.add_argument("--batch-size", type=int, default=100, help="batch driver only")
    load.add_argument("--connections", type=int, default=16,
                      help="http1, batch, httpx: connections at most (requests beyond them "
                           "wait in the client); http2: connections opened")
    load.add_argument("--streams", type=int, default=4,
                      help="ws driver only: streams per sending enterprise at most; another "
                           "opens when all of its streams are out of credit")
    _run_options(load)
    load.set_defaults(command=cmd_run)

    scenario = commands.add_parser("scenario", help="a named scenario, end to end")
    scenario.add_argument("name", choices=sorted(SCENARIOS))
    scenario.add_argument("--scale", type=float, default=1.0, help="documents x SCALE")
    scenario.add_argument("--url", default=os.environ.get("EPORT_URL", DEFAULT_URL))
    scenario.add_argument("--corpus", type=Path, help="reuse this corpus (else build one)")
    scenario.add_argument("--driver", choices=DRIVERS, help="override the scenario's driver")
    _corpus_options(scenario)
    _run_options(scenario)
    scenario.set_defaults(command=cmd_scenario)
    return root


def _corpus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--offline", action="store_true",
                        help="invent cards, register nothing (for the echo baselines only)")
    parser.add_argument("--home", type=Path, default=Path(
        os.environ.get("EPORT_HOME", Path.home() / ".eport")), help="holds admin.key/json")
    parser.add_argument("--gateway", default=os.environ.get("EPORT_URL", DEFAULT_URL),
                        help="where to register enterprises and cards")
    parser.add_argument("--enterprises", type=int, default=20)
    parser.add_argument("--platform-cards", type=int, default=4)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--processes", type=int, help="signing processes (default: all cores)")


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="report directory")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false")
    parser.add_argument("--pid", type=int, action="append", default=[],
                        help="server process to sample (repeat; default: port owner)")
    parser.add_argument("--database-url", default=os.environ.get("EPORT_DATABASE_URL"),
                        help="reconcile receipts against this database")


def make_corpus(args: argparse.Namespace, n: int, shares: Shares, out: Path) -> Path:
    from loadtest.roster import members, offline_roster, onboard

    rng = random.Random(args.seed)
    mix = available(dict(REGISTRY.items()))
    if args.offline:
        roster: Roster = offline_roster(
            members(mix, args.enterprises, "PLATFORM00", args.platform_cards, rng), rng)
    else:
        admin = json.loads((args.home / "admin.json").read_text("utf-8"))
        people = members(mix, args.enterprises, admin["enterprise"], args.platform_cards, rng)
        roster = trio.run(onboard, args.gateway, args.home, people, rng)
    return build_corpus(n, out, roster, shares, seed=args.seed, processes=args.processes,
                        offline=args.offline)


def cmd_corpus(args: argparse.Namespace) -> int:
    shares = Shares(args.invalid, args.replays, args.conflicts)
    manifest = make_corpus(args, args.n, shares, args.out)
    print(f"corpus of {args.n} documents: {manifest}")
    return 0


def _report(full: dict[str, Any], out: Path) -> int:
    target = full["target"]
    print(f"{target['throughput_docs_per_s']} doc/s, latency {target['latency_ms']}, "
          f"codes {target['codes']}, relative {full['relative_to_baselines']}; "
          f"report {out / 'report.json'}")
    checks = [target.get("expectations", {}).get("ok", True),
              target.get("reconciliation", {}).get("ok", True),
              target["documents"]["failed"] == 0]
    return 0 if all(checks) else 2


def connection_cap_note(driver: str, concurrency: int, connections: int,
                        rate: float | None) -> str | None:
    """A closed loop wider than the connection cap queues in the client: say so."""
    if driver not in CAPPED_BY_CONNECTIONS or rate is not None or concurrency <= connections:
        return None
    return (f"note: --concurrency {concurrency} on at most --connections {connections}: "
            f"{concurrency - connections} requests at a time wait in the client for a "
            "connection, and the wait counts in their latency")


def cmd_run(args: argparse.Namespace) -> int:
    note = connection_cap_note(args.driver, args.concurrency, args.connections, args.rate)
    if note:
        print(note, file=sys.stderr)
    corpus = Corpus.load(args.corpus)
    load = Load(count=args.count or len(corpus), concurrency=args.concurrency, rate=args.rate,
                duration_s=args.duration, warmup_s=args.warmup,
                batch_size=args.batch_size if args.driver == "batch" else 1)
    plan = RunPlan(args.driver, load, args.connections, args.baselines, args.pid,
                   args.database_url, max(1, args.streams), max(1, args.rounds))
    return _report(run(corpus, args.url, plan, args.out, "run"), args.out)


def cmd_scenario(args: argparse.Namespace) -> int:
    scenario = SCENARIOS[args.name]
    documents, load = scenario.scaled(args.scale)
    corpus_dir = args.corpus or args.out / "corpus"
    if not (corpus_dir / "manifest.json").is_file():
        make_corpus(args, documents, scenario.shares, corpus_dir)
    corpus = Corpus.load(corpus_dir)
    plan = RunPlan(args.driver or scenario.driver, load, scenario.connections, args.baselines,
                   args.pid, args.database_url)
    return _report(run(corpus, args.url, plan, args.out, scenario.name), args.out)
