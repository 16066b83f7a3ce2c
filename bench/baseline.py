"""The committed baseline (baseline.json) and the regression rule.

    {"tolerance": 0.25, "ratios": {"<bench>": {"<metric>": ratio, ...}, ...}}

A metric regresses when its ratio falls below baseline_ratio * (1 - tolerance).
Only ratios to a reference measured in the same run are kept: absolute numbers move
with the machine and its load, the ratio much less.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from bench.result import Metric

DEFAULT_TOLERANCE = 0.25


class BaselineError(ValueError):
    """baseline.json is unreadable or not in the shape above."""


class Status(Enum):
    OK = "ok"
    REGRESSION = "REGRESSION"
    NEW = "new"  # measured, but the baseline has no ratio for it yet
    SKIPPED = "skipped"  # not measured in this run


@dataclass(frozen=True)
class Baseline:
    tolerance: float
    ratios: dict[str, dict[str, float]]


@dataclass(frozen=True)
class Verdict:
    bench: str
    metric: str
    ratio: float | None
    baseline: float | None
    status: Status


def load(path: Path) -> Baseline:
    """The baseline at `path`; a missing file is an empty baseline."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Baseline(DEFAULT_TOLERANCE, {})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"{path}: {error}") from error
    return _parse(document, path)


def _parse(document: Any, path: Path) -> Baseline:
    if not isinstance(document, dict) or not isinstance(document.get("ratios", {}), dict):
        raise BaselineError(f"{path}: expected an object with a 'ratios' object")
    tolerance = document.get("tolerance", DEFAULT_TOLERANCE)
    if not _is_number(tolerance) or not 0 <= tolerance < 1:
        raise BaselineError(f"{path}: tolerance must be a number in [0, 1)")
    ratios: dict[str, dict[str, float]] = {}
    for bench, metrics in document.get("ratios", {}).items():
        if not isinstance(metrics, dict) or not all(map(_is_number, metrics.values())):
            raise BaselineError(f"{path}: ratios.{bench} must map metric names to numbers")
        ratios[bench] = {name: float(ratio) for name, ratio in metrics.items()}
    return Baseline(float(tolerance), ratios)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def compare(
    results: Mapping[str, Mapping[str, Metric]], baseline: Baseline, tolerance: float
) -> list[Verdict]:
    """One verdict per metric measured (or skipped) in this run, in result order."""
    verdicts = []
    for bench, metrics in results.items():
        known = baseline.ratios.get(bench, {})
        for name, entry in metrics.items():
            ratio, reference = entry["ratio"], known.get(name)
            if ratio is None:
                status = Status.SKIPPED
            elif reference is None:
                status = Status.NEW
            elif ratio < reference * (1 - tolerance):
                status = Status.REGRESSION
            else:
                status = Status.OK
            verdicts.append(Verdict(bench, name, ratio, reference, status))
    return verdicts


def save(path: Path, baseline: Baseline, results: Mapping[str, Mapping[str, Metric]]) -> None:
    """Replace the ratios of each benchmark in `results` with this run's; keep the others."""
    ratios = dict(baseline.ratios)
    for bench, metrics in results.items():
        ratios[bench] = {
            name: round(entry["ratio"], 4)
            for name, entry in metrics.items()
            if entry["ratio"] is not None
        }
    document = {"tolerance": baseline.tolerance, "ratios": dict(sorted(ratios.items()))}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
