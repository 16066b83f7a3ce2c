"""`python -m bench`: run benchmark folders in subprocesses, record, compare, report.

Each benchmark runs alone in a fresh interpreter (`python -m bench.<name>.run`), one
after the other, so none measures another's leftovers (caches, JIT'd code, threads)
and a crash or a hang stays in its own process.
"""

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import baseline as baseline_file
from bench import table
from bench.result import Metric

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


class BenchError(Exception):
    """A benchmark exited non-zero, timed out, or printed something other than its JSON."""


def discover(bench_dir: Path = BENCH_DIR) -> dict[str, str]:
    """Benchmark name -> module to run: every folder holding run.py or bench_<name>.py."""
    found = {}
    for folder in sorted(path for path in bench_dir.iterdir() if path.is_dir()):
        for script in ("run.py", f"bench_{folder.name}.py"):
            if (folder / script).is_file():
                found[folder.name] = f"{bench_dir.name}.{folder.name}.{script[:-3]}"
                break
    return found


def run_one(module: str, *, quick: bool, timeout: float) -> dict[str, Any]:
    """Run one benchmark module and return its parsed, shape-checked JSON."""
    command = [sys.executable, "-m", module, *(["--quick"] if quick else [])]
    try:
        finished = subprocess.run(
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"timed out after {timeout:g} s") from error
    if finished.returncode != 0:
        raise BenchError(f"exited with status {finished.returncode} (its stderr is above)")
    return parse_output(finished.stdout)


def parse_output(stdout: str) -> dict[str, Any]:
    """The benchmark's one JSON object, refused unless every metric has the agreed keys."""
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise BenchError(f"stdout is not one JSON object: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("results"), dict):
        raise BenchError("stdout JSON has no 'results' object")
    for name, entry in document["results"].items():
        problem = _metric_problem(entry)
        if problem:
            raise BenchError(f"metric {name!r}: {problem}")
    return document


def _metric_problem(entry: object) -> str | None:
    """Why `entry` is not a Metric the table and the comparison can use, or None."""
    if not isinstance(entry, dict):
        return "not an object"
    missing = sorted(set(Metric.__required_keys__) - entry.keys())
    if missing:
        return f"lacks {', '.join(missing)}"
    numbers = ("value", "reference_value", "ratio", "target")
    if not all(_is_number_or_null(entry[key]) for key in numbers):
        return f"{', '.join(numbers)} must be numbers or null"
    if not isinstance(entry["unit"], str) or not isinstance(entry["reference"], str):
        return "unit and reference must be strings"
    return None


def _is_number_or_null(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _arguments(argv: Sequence[str] | None, available: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help=f"one of {list(available)}")
    parser.add_argument("--quick", action="store_true", help="tiny durations (CI smoke)")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a ratio regressed against the baseline"
    )
    parser.add_argument("--tolerance", type=float, help="allowed drop (default: baseline's)")
    parser.add_argument("--baseline", type=Path, default=BENCH_DIR / "baseline.json")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument(
        "--write-baseline", action="store_true", help="store this run's ratios as the baseline"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per benchmark")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {list(available)}")
    if args.write_baseline and args.quick:
        parser.error("--quick ratios are too noisy to become the baseline")
    if args.tolerance is not None and not 0 <= args.tolerance < 1:
        parser.error("--tolerance must be in [0, 1)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    modules = discover()
    args = _arguments(argv, list(modules))
    try:
        baseline = baseline_file.load(args.baseline)
    except baseline_file.BaselineError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    tolerance = baseline.tolerance if args.tolerance is None else args.tolerance

    chosen = {name: modules[name] for name in args.names or modules}
    documents, failures = _run_all(chosen, quick=args.quick, timeout=args.timeout)
    results = {name: document["results"] for name, document in documents.items()}
    verdicts = baseline_file.compare(results, baseline, tolerance)
    path = _record(args.results_dir, args.quick, tolerance, documents, failures)
    if verdicts:
        print(table.render(results, verdicts))
    for name, reason in failures.items():
        print(f"{name}: FAILED: {reason}")
    regressions = [v for v in verdicts if v.status is baseline_file.Status.REGRESSION]
    print(f"\n{len(regressions)} regression(s) at tolerance {tolerance:g}; results in {path}")
    if args.write_baseline and failures:
        print("baseline not written: a benchmark failed")
    elif args.write_baseline:
        baseline_file.save(args.baseline, baseline, results)
        print(f"baseline written to {args.baseline}")
    return 1 if failures or (args.check and regressions) else 0


def _run_all(
    modules: dict[str, str], *, quick: bool, timeout: float
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each benchmark's JSON by name, and why each failed one failed."""
    documents, failures = {}, {}
    for name, module in modules.items():
        print(f"bench: running {name}", file=sys.stderr, flush=True)
        try:
            documents[name] = run_one(module, quick=quick, timeout=timeout)
        except BenchError as error:
            failures[name] = str(error)
    return documents, failures


def _record(
    directory: Path,
    quick: bool,
    tolerance: float,
    documents: dict[str, Any],
    failures: dict[str, str],
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / time.strftime("%Y%m%dT%H%M%SZ.json", time.gmtime())
    record = {"quick": quick, "tolerance": tolerance, "benchmarks": documents, "failures": failures}
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path
