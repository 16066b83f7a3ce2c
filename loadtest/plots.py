"""PNG plots of a report: throughput and latency over time, one line per target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt


def plot(targets: dict[str, dict[str, Any]], out: Path) -> list[Path]:
    throughput = out / "throughput.png"
    latency = out / "latency.png"
    figure, axes = plt.subplots(figsize=(9, 4.5))
    for name, result in targets.items():
        points = result["timeline"]
        axes.plot([p["t"] for p in points], [p["docs"] for p in points], label=name)
    axes.set(title="Throughput", xlabel="seconds since start", ylabel="documents / s")
    axes.legend()
    figure.tight_layout()
    figure.savefig(throughput, dpi=100)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(9, 4.5))
    for name, result in targets.items():
        points = result["timeline"]
        seconds = [p["t"] for p in points]
        line = axes.plot(seconds, [p["p50_ms"] for p in points], label=f"{name} p50")[0]
        axes.plot(seconds, [p["p99_ms"] for p in points], linestyle="--",
                  color=line.get_color(), label=f"{name} p99")
    axes.set(title="Latency (from intended send time)", xlabel="seconds since start",
             ylabel="ms", yscale="log")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(latency, dpi=100)
    plt.close(figure)
    return [throughput, latency]
