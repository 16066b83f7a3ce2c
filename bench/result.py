"""What a benchmark prints: one JSON object of metrics, each with its reference.

    {"bench": "crypto",
     "results": {"<metric>": {"value": x, "unit": "ops/s", "reference": "<name>",
                              "reference_value": y, "ratio": x / y, "target": t | null}},
     "machine": {...}, ...anything else the benchmark wants to record}

A metric whose side is missing (the reference is not installed, the implementation is
not built) keeps its entry with null numbers and a `skipped` reason, so the table says
why instead of silently losing a row.
"""

import json
import os
import platform
import sys
from typing import Any, NotRequired, TypedDict


class Metric(TypedDict):
    value: float | None
    unit: str
    reference: str
    reference_value: float | None
    ratio: float | None
    target: float | None
    skipped: NotRequired[str]


def metric(
    value: float | None,
    unit: str,
    reference: str,
    reference_value: float | None,
    target: float | None = None,
    *,
    skipped: str | None = None,
) -> Metric:
    """A metric; its ratio is null (and `skipped` says why) when either side is missing."""
    ratio = None
    if value is not None and reference_value:
        ratio = value / reference_value
    entry = Metric(
        value=value,
        unit=unit,
        reference=reference,
        reference_value=reference_value,
        ratio=ratio,
        target=target,
    )
    if ratio is None:
        entry["skipped"] = skipped or "not measured"
    return entry


def machine_info() -> dict[str, Any]:
    """Facts that explain a number: CPU, core count, load when the benchmark started."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "loadavg_1m": os.getloadavg()[0],
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def emit(bench: str, results: dict[str, Metric], **extra: Any) -> None:
    """Print the benchmark's one JSON object on stdout (progress goes to stderr)."""
    document = {"bench": bench, "results": results, "machine": machine_info(), **extra}
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
