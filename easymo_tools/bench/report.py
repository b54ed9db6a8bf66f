"""One report shape for every benchmark, so `easymo bench X --json` always looks alike."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import psutil


@dataclass
class BenchReport:
    """Figures of one benchmark run.

    ``ratio`` is the project's figure over the baseline measured in the same run,
    higher is better; ``targets`` records each target and whether this run met it.
    """

    name: str
    figures: dict[str, Any]
    ratio: float
    baseline: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    targets: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "benchmark": self.name,
                "ratio": round(self.ratio, 4),
                "baseline": self.baseline,
                "figures": self.figures,
                "targets_met": self.targets,
            },
            indent=2,
            sort_keys=True,
        )

    def table(self) -> str:
        rows = [*self.rows, ("ratio (vs " + self.baseline + ")", f"{self.ratio:.3f}")]
        rows += [(f"target: {k}", "met" if v else "MISSED") for k, v in self.targets.items()]
        width = max(len(k) for k, _ in rows)
        lines = [f"easymo bench {self.name}", "-" * (width + 20)]
        lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
        return "\n".join(lines)


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MiB, on every platform."""
    try:
        import resource
    except ImportError:  # Windows: no getrusage, but the peak working set is the same figure
        return float(psutil.Process().memory_info().peak_wset) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # macOS bytes, Linux KiB
