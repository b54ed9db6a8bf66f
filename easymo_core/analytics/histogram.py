"""Percentiles read from the rollups' latency histograms, never from messages.

The definition (docs/analytics.md): the nearest rank. The q-th percentile of N latencies is
the k-th smallest, k = ceil(q * N) (at least 1); no interpolation, so it is always a latency
that some message had. The histogram tells which bin holds the k-th smallest: a one-second
bin holds a single whole-second latency (Meta's timestamps are whole seconds), so the
percentile is the bin's start, exactly; a wider bin gives an upper bound (its end, "≤"),
and the open last bin a lower bound (its start, "≥").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

from easymo_core.storage.models import LATENCY_BIN_STARTS_S

EXACT = ""
AT_MOST = "≤"
AT_LEAST = "≥"
_STARTS_MS = tuple(1000 * s for s in LATENCY_BIN_STARTS_S)


@dataclass(frozen=True)
class Quantile:
    ms: float
    bound: str  # EXACT, AT_MOST (ms is an upper bound) or AT_LEAST (a lower bound)


def nearest_rank(q: float, n: int) -> int:
    """The 1-based rank of the ``q`` quantile of ``n`` values (``q`` as written, 0.95 not 0.9499...)."""
    return max(1, ceil(Fraction(str(q)) * n))


def quantile(counts: Sequence[int], q: float) -> Quantile | None:
    """The ``q`` quantile (0..1) of the histogram ``counts`` (bin i starts at LATENCY_BIN_STARTS_S[i])."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = nearest_rank(q, total)
    seen = 0
    for i, n in enumerate(counts):
        seen += max(0, n)
        if seen >= rank:
            if i == len(_STARTS_MS) - 1:
                return Quantile(float(_STARTS_MS[i]), AT_LEAST)
            start, end = _STARTS_MS[i], _STARTS_MS[i + 1]
            return Quantile(float(start), EXACT) if end - start <= 1000 else Quantile(float(end), AT_MOST)
    return Quantile(float(_STARTS_MS[-1]), AT_LEAST)


def percentile(counts: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile's figure in ms (see ``quantile`` for whether it is exact)."""
    found = quantile(counts, q)
    return None if found is None else found.ms


def bound_of(counts: Sequence[int], q: float) -> str:
    found = quantile(counts, q)
    return EXACT if found is None else found.bound


def percentile_text(ms: float | None, bound: str = EXACT) -> str:
    """A percentile as the console and `easymo stats` show it: "1 s" when exact, "≤ 2 min"
    when the histogram gives only a bound (``bound``, from Latency.estimates), "–" if none."""
    if ms is None:
        return "–"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000)):
        if ms >= 2 * size or (unit == "d" and ms >= size):
            break
    else:
        unit, size = "s", 1000
    value = ms / size
    number = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return f"{bound} {number} {unit}" if bound else f"{number} {unit}"
