"""Percentiles read from the rollups' latency histograms, never from messages."""

from __future__ import annotations

from collections.abc import Sequence

from easymo_core.storage.models import LATENCY_BUCKETS_MS


def percentile(counts: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile (0..1) in ms, interpolated linearly inside its bucket.

    Bucket i covers [LATENCY_BUCKETS_MS[i-1], LATENCY_BUCKETS_MS[i]) (0 below the first);
    a quantile in the open last bucket is reported as its lower bound (one hour), which the
    figures label "≥".
    """
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for i, n in enumerate(counts):
        if n <= 0:
            continue
        if seen + n >= rank:
            lo = 0 if i == 0 else LATENCY_BUCKETS_MS[i - 1]
            if i >= len(LATENCY_BUCKETS_MS):
                return float(lo)
            hi = LATENCY_BUCKETS_MS[i]
            return lo + (hi - lo) * max(0.0, rank - seen) / n
        seen += n
    return float(LATENCY_BUCKETS_MS[-1])
