"""What the dashboard shows for one period, read in a worker (no Qt here).

The figures themselves come from ``easymo_core.analytics`` (``Analytics.dashboard``), the same
call ``easymo stats --json`` makes, so the page and the CLI always agree, and the latency
percentiles per bucket from ``easymo_core.analytics.delivery.latency_series``; the two
things only the page shows (events per minute and webhook lag over the last hour, templates
Meta paused or disabled) from ``easymo_core.analytics.health``. No SQL here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime

from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.delivery import latency_series
from easymo_core.analytics.figures import Dashboard, Headline, LatencyPoint
from easymo_core.analytics.health import HealthPoint, health_series, paused_templates
from easymo_core.analytics.period import Period, resolve_period
from easymo_core.messaging.log_queries import phone_numbers
from easymo_core.storage.engine import Database
from easymo_core.storage.types import to_ms, utcnow


@dataclass(frozen=True)
class PeriodChoice:
    """What the selector asks for: a named period ending now, or a custom range."""

    name: str = "24h"  # 24h | 7d | 30d | custom
    start: datetime | None = None
    end: datetime | None = None

    def resolve(self, now: datetime | None = None) -> Period:
        if self.name == "custom":
            return resolve_period(None, start=self.start, end=self.end, now=now)
        return resolve_period(self.name, now=now)

    @property
    def days(self) -> float | None:
        """The messages log's period filter for the same span (None: custom)."""
        return {"24h": 1.0, "7d": 7.0, "30d": 30.0}.get(self.name)


@dataclass
class Snapshot:
    """Everything one refresh of the dashboard shows."""

    choice: PeriodChoice
    board: Dashboard
    previous: Headline  # the period of the same length just before, for the tiles' change
    latency: list[LatencyPoint]
    health: list[HealthPoint]
    paused_templates: list[tuple[str, str, str]] = field(default_factory=list)
    load_ms: float = 0.0
    numbers: list[str] = field(default_factory=list)  # phone-number ids that sent messages


def previous_period(period: Period) -> Period:
    span = period.end_ms - period.start_ms
    return Period("previous", period.start_ms - span, period.start_ms, period.bucket_ms)


def load(
    db: Database, choice: PeriodChoice, now: datetime | None = None, phone_number_id: str | None = None
) -> Snapshot:
    """Runs in a worker: every figure of the page for ``choice``; the message figures of
    ``phone_number_id`` only if given (``board.phone_number_id`` says which)."""
    began = time.perf_counter()
    now = now or utcnow()
    period = choice.resolve(now)
    analytics = Analytics(db)
    board = analytics.dashboard(period, now=now, phone_number_id=phone_number_id)
    previous = analytics.headline(previous_period(period), phone_number_id=phone_number_id)
    with db.engine.connect() as conn:
        latency = latency_series(conn, period, phone_number_id)
        health = health_series(conn, to_ms(now))
        paused = paused_templates(conn)
        numbers = phone_numbers(conn)
    return Snapshot(choice, board, previous, latency, health, paused,
                    load_ms=(time.perf_counter() - began) * 1000, numbers=numbers)


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change (0.12 = +12 %); None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0 or math.isnan(previous):
        return None
    return (current - previous) / abs(previous)
