"""How moments and durations read, in one place: the console's tables, charts and status
bar and the CLI say "1.5 min" for the same 90 s and show a time in the same zone.

Moments are shown in the user's local time with the zone named, so a time copied from the
console into a chat with a colleague elsewhere still means one moment.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

NONE = "—"


def fmt_duration_ms(ms: float | None, *, at_least: bool = False) -> str:
    """A duration: ms below a second, seconds below 2 minutes, minutes below 2 hours, hours.

    ``at_least`` marks a figure that is a lower bound (a histogram's open last bucket).
    """
    if ms is None or math.isnan(ms):
        return NONE
    if ms < 1000:
        return f"{ms:.0f} ms"
    prefix = "≥" if at_least else ""
    if ms < 120_000:
        return f"{prefix}{ms / 1000:.1f} s"
    if ms < 7_200_000:
        return f"{prefix}{ms / 60_000:.1f} min"
    return f"{prefix}{ms / 3_600_000:.1f} h"


def fmt_latency(ms: float | None) -> str:
    """A latency in a sentence or a table cell: nothing when there is none."""
    return "" if ms is None else fmt_duration_ms(ms)


def fmt_elapsed(seconds: float) -> str:
    """Time since or until something, whole units, on the same switch as durations."""
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def ago(later: datetime, earlier: datetime) -> str:
    """How long ``earlier`` was before ``later`` ("5 s", "12 min", "3.5 h")."""
    return fmt_elapsed((later - earlier).total_seconds())


def fmt_when(at: datetime | None, now: datetime | None = None) -> str:
    """A moment in local time with its zone: "14:03:07 CET" today, "04 Dec 14:03 CET" this
    year, "04 Dec 2025" before. A naive datetime is UTC (what the database hands back)."""
    if at is None:
        return NONE
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local = at.astimezone()
    today = (now.astimezone() if now is not None else datetime.now().astimezone()).date()
    if local.date() == today:
        return local.strftime("%H:%M:%S %Z")
    if local.year == today.year:
        return local.strftime("%d %b %H:%M %Z")
    return local.strftime("%d %b %Y")
