"""Periods the dashboard and `easymo stats` show: 24h, 7d, 30d, or a custom range.

A period is aligned to whole hours, the grain of the rollups: it starts at the hour
holding its start and ends at the end of the hour holding its end, so "24h" read at 14:20
covers 14:00 yesterday to 15:00 today (25 hours at most). Time series are hourly for
periods up to 48 hours and daily (UTC days) beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from easymo_core.errors import EasymoError
from easymo_core.storage.types import from_ms, to_ms, utcnow

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
NAMED = {"24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}
MAX_RANGE_MS = 400 * DAY_MS


class PeriodError(EasymoError):
    """A period the analytics cannot read."""


@dataclass(frozen=True)
class Period:
    label: str
    start_ms: int  # inclusive, hour-aligned
    end_ms: int  # exclusive, hour-aligned
    bucket_ms: int  # time-series step: HOUR_MS or DAY_MS

    @property
    def ends_now(self) -> bool:
        return self.label in NAMED

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "start": from_ms(self.start_ms).isoformat(),
            "end": from_ms(self.end_ms).isoformat(),
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "bucket": "hour" if self.bucket_ms == HOUR_MS else "day",
        }


def _floor(ms: int, step: int) -> int:
    return ms - ms % step


def resolve_period(
    name: str | None = "24h",
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> Period:
    """``name`` (24h, 7d, 30d), or a custom range when ``start`` is given (end: now)."""
    now_ms = to_ms(now or utcnow())
    if start is not None:
        start_ms = to_ms(_aware(start))
        end_ms = to_ms(_aware(end)) if end is not None else now_ms
        if end_ms <= start_ms:
            raise PeriodError("the range ends before it starts", hint="give --from earlier than --to")
        if end_ms - start_ms > MAX_RANGE_MS:
            raise PeriodError("the range is longer than 400 days", hint="pick a shorter range")
        label = "custom"
    elif end is not None:
        raise PeriodError("--to needs --from", hint="give both ends of a custom range")
    else:
        key = (name or "24h").lower()
        if key not in NAMED:
            raise PeriodError(f"unknown period {name!r}", hint="use 24h, 7d or 30d, or --from/--to")
        start_ms, end_ms, label = now_ms - NAMED[key], now_ms, key
    aligned_start = _floor(start_ms, HOUR_MS)
    aligned_end = _floor(end_ms - 1, HOUR_MS) + HOUR_MS
    bucket = HOUR_MS if aligned_end - aligned_start <= 48 * HOUR_MS else DAY_MS
    return Period(label, aligned_start, aligned_end, bucket)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_moment(text: str) -> datetime:
    """An ISO date or date-time (UTC unless it says otherwise), for --from/--to."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PeriodError(
            f"cannot read {text!r} as a time", hint="use ISO form: 2026-05-01 or 2026-05-01T14:00"
        ) from None
    return _aware(value)


def day_split(start_ms: int, end_ms: int) -> dict[str, int]:
    """Bounds to read [start, end) as whole UTC days plus the edge hours around them.

    ``dstart``..``dend`` are the whole days inside the range (read from the daily rollups);
    [start, dstart) and [dend, end) are the edges (read from the hourly ones). With no whole
    day inside, both are ``end``: everything is edge.
    """
    dstart = -(-start_ms // DAY_MS) * DAY_MS
    dend = end_ms - end_ms % DAY_MS
    if dstart >= dend:
        dstart = dend = end_ms
    return {"start": start_ms, "dstart": dstart, "dend": dend, "end": end_ms}
