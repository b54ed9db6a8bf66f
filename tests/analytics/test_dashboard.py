"""The dashboard (rollups) and the plain GROUP BY baseline agree on every figure."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from easymo_core.analytics import delivery
from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.figures import LatencyPoint
from easymo_core.analytics.histogram import percentile
from easymo_core.analytics.period import DAY_MS, PeriodError, resolve_period
from easymo_core.analytics.plain import plain_dashboard
from easymo_core.storage.engine import Database
from easymo_core.storage.types import from_ms
from tests.analytics.reference import number_figures, recompute
from tests.analytics.test_trigger_properties import PHONES, T0, Chooser, History, play, reset


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


@pytest.mark.parametrize("seed", [3])
def test_daily_latency_series_reads_days_and_edges_as_the_hours_sum(db: Database, seed: int) -> None:
    h = seeded(db, seed)
    # Not aligned to days, and over 48 h: day buckets, with edge hours on both sides.
    period = resolve_period(start=from_ms(T0) - timedelta(hours=30, minutes=20),
                            end=from_ms(h.t) + timedelta(hours=50, minutes=10))
    assert period.bucket_ms == DAY_MS
    with db.engine.connect() as conn:
        got = delivery.latency_series(conn, period)
        # The same percentiles from the hourly table alone, summed per day here.
        want: dict[int, LatencyPoint] = {}
        hourly = delivery.series_sql(delivery.LATENCY_SERIES, daily=False, filtered=False)
        for r in conn.execute(hourly, {"start": period.start_ms, "end": period.end_ms, "step": DAY_MS}):
            dl = [int(r._mapping[c] or 0) for c in delivery.DL]
            rd = [int(r._mapping[c] or 0) for c in delivery.RD]
            want[int(r.bucket_start)] = LatencyPoint(
                int(r.bucket_start), percentile(dl, 0.5), percentile(dl, 0.95),
                percentile(rd, 0.5), percentile(rd, 0.95))
    assert any(p.delivery_p50_ms is not None for p in got)
    assert {p.start_ms: p for p in got if p.start_ms in want} == want
    assert all(p.delivery_p50_ms is None for p in got if p.start_ms not in want)


def test_headline_is_the_dashboards_tile_figures(db: Database) -> None:
    h = seeded(db, 4)
    period = resolve_period(start=from_ms(T0) - timedelta(hours=1), end=from_ms(h.t) + timedelta(hours=1))
    board = Analytics(db).dashboard(period)
    head = Analytics(db).headline(period)
    assert board.totals.sent > 0
    assert (head.totals, head.latency, head.engagement, head.satisfaction) == \
        (board.totals, board.latency, board.engagement, board.satisfaction)


COUNTS = ("sent", "delivered", "read", "failed", "replied", "clicks")


@pytest.mark.parametrize("seed", [5])
def test_message_figures_of_one_phone_number(db: Database, seed: int) -> None:
    """One number's message figures are those of its messages alone, all numbers' their sum;
    conversation figures are all numbers' either way."""
    h = seeded(db, seed)
    # Over 48 h and not day-aligned: whole days and edge hours are both read.
    period = resolve_period(start=from_ms(T0) - timedelta(hours=30, minutes=20),
                            end=from_ms(h.t) + timedelta(hours=50, minutes=10))
    analytics = Analytics(db)
    whole = analytics.dashboard(period)
    with db.engine.connect() as conn:
        exp = recompute(conn, 1_800_000)
    boards = {}
    for phone in PHONES:
        board = analytics.dashboard(period, phone_number_id=phone)
        want = number_figures(exp, phone)
        assert board.phone_number_id == phone and board.totals.sent > 0
        assert {c: getattr(board.totals, c) for c in COUNTS} == {c: want.totals.get(c, 0) for c in COUNTS}
        assert board.latency.delivery_histogram == [want.totals.get(f"dl_h{i:02d}", 0) for i in range(12)]
        assert board.latency.read_histogram == [want.totals.get(f"rd_h{i:02d}", 0) for i in range(12)]
        assert {(t.name, t.language): {c: getattr(t, c) for c in COUNTS} for t in board.templates} == {
            k: {c: v.get(c, 0) for c in COUNTS} for k, v in want.templates.items()}
        assert {e.code: e.failures for e in board.errors} == want.errors
        assert comparable(board) == comparable(plain_dashboard(db, period, phone_number_id=phone))
        assert (board.engagement, board.satisfaction, board.flows) == \
            (whole.engagement, whole.satisfaction, whole.flows)
        assert [p.messages_in for p in board.series] == [p.messages_in for p in whole.series]
        assert analytics.headline(period, phone_number_id=phone).totals == board.totals
        boards[phone] = board
    assert whole.phone_number_id is None
    for c in COUNTS:
        assert getattr(whole.totals, c) == sum(getattr(b.totals, c) for b in boards.values())
    assert whole.latency.delivery_histogram == [sum(x) for x in zip(
        *(b.latency.delivery_histogram for b in boards.values()), strict=True)]
    failures: dict[int | None, int] = {}
    for b in boards.values():
        for e in b.errors:
            failures[e.code] = failures.get(e.code, 0) + e.failures
    assert {e.code: e.failures for e in whole.errors} == failures
    for i, point in enumerate(whole.series):
        assert point.sent == sum(b.series[i].sent for b in boards.values())
        assert point.replied == sum(b.series[i].replied for b in boards.values())
    for phone in PHONES:
        with db.engine.connect() as conn:
            got = {p.start_ms: p for p in delivery.latency_series(conn, period, phone)}
        assert got == reference_latency(exp, phone, got)
    assert analytics.dashboard(period, phone_number_id="000").totals.sent == 0


def reference_latency(exp: Any, phone: str, buckets: dict[int, LatencyPoint]) -> dict[int, LatencyPoint]:
    """Per-day latency percentiles of ``phone``'s messages, from the recomputed histograms."""
    days: dict[int, list[int]] = {t: [0] * 24 for t in buckets}
    for (hour, number, _name, _lang), figures in exp.delivery.items():
        if number == phone:
            hist = days[hour - hour % DAY_MS]
            for i in range(12):
                hist[i] += figures.get(f"dl_h{i:02d}", 0)
                hist[12 + i] += figures.get(f"rd_h{i:02d}", 0)
    return {t: LatencyPoint(t, percentile(h[:12], 0.5), percentile(h[:12], 0.95),
                            percentile(h[12:], 0.5), percentile(h[12:], 0.95)) for t, h in days.items()}
