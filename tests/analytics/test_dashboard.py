"""The dashboard (rollups) and the plain GROUP BY baseline agree on every figure."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.histogram import percentile
from easymo_core.analytics.period import PeriodError, resolve_period
from easymo_core.analytics.plain import plain_dashboard
from easymo_core.storage.engine import Database
from easymo_core.storage.types import from_ms
from tests.analytics.test_trigger_properties import T0, Chooser, History, play, reset


def seeded(db: Database, seed: int, steps: int = 60) -> History:
    reset(db, 1_800_000)
    h = History(db, Chooser(rnd=random.Random(seed)))
    play(h, steps)
    return h


def comparable(board: Any) -> dict[str, Any]:
    data = board.to_dict()
    data.pop("query_ms")
    data.pop("health")  # the same functions on both sides, and time-dependent
    return data


@pytest.mark.parametrize("seed", [1, 2])
def test_dashboard_equals_plain_group_by(db: Database, seed: int) -> None:
    h = seeded(db, seed)
    period = resolve_period(start=from_ms(T0) - timedelta(hours=1), end=from_ms(h.t) + timedelta(days=2))
    fast = Analytics(db).dashboard(period)
    slow = plain_dashboard(db, period)
    assert fast.totals.sent > 0 and fast.engagement.messages_in > 0
    assert comparable(fast) == comparable(slow)


def test_named_period_reads_only_its_hours(db: Database) -> None:
    h = seeded(db, 3)
    late = from_ms(h.t) + timedelta(days=3)
    assert Analytics(db).dashboard("24h", now=late).totals.sent == 0
    whole = Analytics(db).dashboard("30d", now=from_ms(h.t) + timedelta(hours=2))
    assert whole.totals.sent == plain_dashboard(db, whole.period).totals.sent > 0


def test_cursor_moves_when_data_changes(db: Database) -> None:
    analytics = Analytics(db)
    changed, cursor = analytics.changed_since(None)
    assert changed
    assert analytics.changed_since(cursor) == (False, cursor)
    seeded(db, 4, steps=3)
    assert analytics.changed_since(cursor)[0]


def test_percentile_interpolates_inside_buckets() -> None:
    # 10 latencies below 250 ms and 10 in [250, 500): the median is the boundary.
    counts = [10, 10] + [0] * 10
    assert percentile(counts, 0.5) == 250
    assert percentile(counts, 0.75) == pytest.approx(375)
    assert percentile([0] * 11 + [4], 0.5) == 3_600_000  # the open bucket: its lower bound
    assert percentile([0] * 12, 0.5) is None


def test_bad_periods_are_refused() -> None:
    with pytest.raises(PeriodError, match="unknown period"):
        resolve_period("2w")
    now = from_ms(T0)
    with pytest.raises(PeriodError, match="ends before"):
        resolve_period(start=now, end=now - timedelta(hours=1))
