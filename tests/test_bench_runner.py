"""The benchmark runner: every benchmark's JSON shape, and the baseline rule.

One real `python -m bench --quick` run (about 10 s on 2 idle cores: openssl speed
needs whole seconds, the store benchmark starts an embedded PostgreSQL unless
EPORT_TEST_DATABASE_URL names a server) checks every benchmark's output end to end;
the comparison and exit-code logic run on synthetic results, so they are tested
whether or not core_ext.sm2 is built yet.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import baseline, runner
from bench.crypto.run import SPECS
from bench.result import Metric, metric
from core_ext import sm2

ROOT = Path(__file__).resolve().parent.parent
# Every metric of these is always measured: they need nothing beyond the project's
# own dependencies (crypto's references may be missing and are then skipped).
ALWAYS_MEASURED = ("fields", "pipeline", "store")


@pytest.fixture(scope="module")
def quick_suite(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("bench")
    environment = dict(os.environ)
    if os.environ.get("EPORT_TEST_DATABASE_URL"):
        environment["EPORT_BENCH_DATABASE_URL"] = os.environ["EPORT_TEST_DATABASE_URL"]
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results-dir", str(directory),
         "--baseline", str(directory / "none.json")],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout + finished.stderr
    (record,) = directory.glob("*.json")
    document: dict[str, Any] = json.loads(record.read_text())
    document["stdout"] = finished.stdout
    return document


@pytest.mark.parametrize("name", sorted(runner.discover()))
def test_every_benchmark_reports_its_metrics_in_the_agreed_shape(
    quick_suite: dict[str, Any], name: str
) -> None:
    assert quick_suite["quick"] is True and quick_suite["failures"] == {}
    document = quick_suite["benchmarks"][name]
    assert document["bench"] == name and document["machine"]["cpus"] >= 1
    assert document["results"], name
    for metric_name, entry in document["results"].items():
        assert set(Metric.__required_keys__) <= entry.keys(), metric_name
        if entry["ratio"] is None:
            assert entry["skipped"] and name not in ALWAYS_MEASURED, metric_name
        else:
            assert math.isclose(entry["ratio"], entry["value"] / entry["reference_value"])
        assert f"{name}.{metric_name} " in quick_suite["stdout"]  # a row of the printed table


def test_quick_crypto_reports_every_metric(quick_suite: dict[str, Any]) -> None:
    assert list(quick_suite["benchmarks"]["crypto"]["results"]) == [spec.name for spec in SPECS]


def test_quick_store_reports_each_caller_count_and_the_target(
    quick_suite: dict[str, Any],
) -> None:
    results = quick_suite["benchmarks"]["store"]["results"]
    assert list(results) == [
        "group_commit_1_caller/raw_copy",
        "group_commit_64_callers/raw_copy",
        "group_commit_1024_callers/raw_copy",
    ]
    assert results["group_commit_1024_callers/raw_copy"]["target"] == 0.5


def test_quick_crypto_records_the_implementation_and_the_cross_check(
    quick_suite: dict[str, Any],
) -> None:
    crypto = quick_suite["benchmarks"]["crypto"]
    assert crypto["implementation"]["compiled"] is sm2.COMPILED
    if crypto["references"]["bouncycastle"] != "skipped":
        assert crypto["checks"]["bouncycastle_accepts_peer"] is True
        assert crypto["checks"]["peer_accepts_bouncycastle"] is True


def _results(**ratios: float | None) -> dict[str, dict[str, Metric]]:
    return {"b": {name: metric(ratio, "ops/s", "ref", 1.0) for name, ratio in ratios.items()}}


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (0.74, baseline.Status.REGRESSION),
        (0.75, baseline.Status.OK),
        (2.0, baseline.Status.OK),
        (None, baseline.Status.SKIPPED),
    ],
)
def test_a_ratio_regresses_only_below_baseline_times_one_minus_tolerance(
    ratio: float | None, expected: baseline.Status
) -> None:
    known = baseline.Baseline(0.25, {"b": {"m": 1.0}})
    (verdict,) = baseline.compare(_results(m=ratio), known, known.tolerance)
    assert verdict.status is expected


def test_a_metric_without_baseline_is_new() -> None:
    (verdict,) = baseline.compare(_results(m=3.0), baseline.Baseline(0.25, {}), 0.25)
    assert verdict.status is baseline.Status.NEW


def _fake_suite(monkeypatch: pytest.MonkeyPatch, ratio: float) -> None:
    document = {"bench": "fake", "results": _results(m=ratio)["b"]}
    monkeypatch.setattr(runner, "discover", lambda: {"fake": "bench.fake.run"})
    monkeypatch.setattr(runner, "run_one", lambda module, **_: document)


@pytest.mark.parametrize(("ratio", "check", "status"), [(0.5, True, 1), (0.5, False, 0),
                                                        (0.9, True, 0)])  # fmt: skip
def test_check_exits_nonzero_only_for_a_regression(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ratio: float, check: bool, status: int
) -> None:
    _fake_suite(monkeypatch, ratio)
    (tmp_path / "baseline.json").write_text('{"tolerance": 0.2, "ratios": {"fake": {"m": 1}}}')
    argv = ["--baseline", str(tmp_path / "baseline.json"), "--results-dir", str(tmp_path)]
    assert runner.main([*argv, *(["--check"] if check else [])]) == status


def test_tolerance_option_overrides_the_baseline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake_suite(monkeypatch, 0.5)
    (tmp_path / "baseline.json").write_text('{"ratios": {"fake": {"m": 1}}}')
    argv = ["--baseline", str(tmp_path / "baseline.json"), "--results-dir", str(tmp_path)]
    assert runner.main([*argv, "--check"]) == 1
    assert runner.main([*argv, "--check", "--tolerance", "0.6"]) == 0


def test_write_baseline_replaces_this_runs_benchmarks_and_keeps_the_rest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake_suite(monkeypatch, 1.5)
    path = tmp_path / "baseline.json"
    path.write_text('{"tolerance": 0.3, "ratios": {"fake": {"old": 9}, "other": {"m": 2}}}')
    argv = ["--baseline", str(path), "--results-dir", str(tmp_path), "--write-baseline"]
    assert runner.main(argv) == 0
    saved = baseline.load(path)
    assert saved == baseline.Baseline(0.3, {"fake": {"m": 1.5}, "other": {"m": 2.0}})


def test_a_failing_benchmark_fails_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(module: str, **_: Any) -> dict[str, Any]:
        raise runner.BenchError("exited with status 1")

    monkeypatch.setattr(runner, "discover", lambda: {"fake": "bench.fake.run"})
    monkeypatch.setattr(runner, "run_one", crash)
    path = tmp_path / "baseline.json"
    argv = ["--results-dir", str(tmp_path), "--baseline", str(path), "--write-baseline"]
    assert runner.main(argv) == 1
    assert "fake: FAILED: exited with status 1" in capsys.readouterr().out
    assert not path.exists()


@pytest.mark.parametrize(
    "stdout",
    [
        "",
        "[]",
        '{"results": []}',
        '{"results": {"m": 1}}',
        '{"results": {"m": {"value": 1}}}',
        '{"results": {"m": {"value": "1", "unit": "u", "reference": "r", '
        '"reference_value": 1, "ratio": 1, "target": null}}}',
    ],
)
def test_output_that_is_not_the_agreed_json_is_refused(stdout: str) -> None:
    with pytest.raises(runner.BenchError):
        runner.parse_output(stdout)


@pytest.mark.parametrize("text", ["{", "[]", '{"tolerance": 1.5}', '{"ratios": {"b": {"m": "x"}}}'])
def test_a_malformed_baseline_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "baseline.json").write_text(text)
    with pytest.raises(baseline.BaselineError):
        baseline.load(tmp_path / "baseline.json")


def test_the_committed_baseline_loads_and_every_benchmark_is_discovered() -> None:
    assert baseline.load(runner.BENCH_DIR / "baseline.json").tolerance == 0.25
    assert runner.discover() == {
        "crypto": "bench.crypto.run",
        "fields": "bench.fields.bench_fields",
        "frames": "bench.frames.run",
        "pipeline": "bench.pipeline.run",
        "store": "bench.store.bench_store",
    }
