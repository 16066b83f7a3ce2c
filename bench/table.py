"""The printed summary: one row per metric, its ratio next to target and baseline."""

from collections.abc import Mapping, Sequence

from bench.baseline import Verdict
from bench.result import Metric

HEADER = ("metric", "value", "reference", "ratio", "target", "baseline", "status")


def render(results: Mapping[str, Mapping[str, Metric]], verdicts: Sequence[Verdict]) -> str:
    """The table as text, columns aligned; skipped metrics say why."""
    rows = [HEADER]
    for verdict in verdicts:
        entry = results[verdict.bench][verdict.metric]
        rows.append(
            (
                f"{verdict.bench}.{verdict.metric}",
                _amount(entry["value"], entry["unit"]),
                _amount(entry["reference_value"], entry["unit"]),
                _ratio(entry["ratio"]),
                _target(entry["ratio"], entry["target"]),
                _ratio(verdict.baseline),
                _status(verdict, entry),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.3g} {unit}"


def _ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.3g}x"


def _target(ratio: float | None, target: float | None) -> str:
    if target is None:
        return "-"
    if ratio is None:
        return f">={target:g}x"
    return f">={target:g}x {'met' if ratio >= target else 'MISSED'}"


def _status(verdict: Verdict, entry: Metric) -> str:
    skipped = entry.get("skipped")
    return f"skipped: {skipped}" if skipped else verdict.status.value
