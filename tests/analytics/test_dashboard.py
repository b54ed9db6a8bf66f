"""The dashboard (rollups) and the plain GROUP BY baseline agree on every figure."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from easymo_core.analytics import delivery
from easymo_core.analytics.dashboard import Analytics
from easymo_core.analytics.figures import LatencyPoint
from easymo_core.analytics.histogram import AT_LEAST, AT_MOST, EXACT, Quantile, percentile, quantile
from easymo_core.analytics.period import DAY_MS, PeriodError, resolve_period
from easymo_core.analytics.plain import plain_dashboard
from easymo_core.storage.engine import Database
from easymo_core.storage.models import DELIVERY_BIN_COLUMNS, READ_BIN_COLUMNS
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


def _hist(**seconds: int) -> list[int]:
    """A histogram with counts at bins named by their start (``s61=2``: 2 in the bin of 61 s)."""
    counts = [0] * len(DELIVERY_BIN_COLUMNS)
    for name, n in seconds.items():
        counts[DELIVERY_BIN_COLUMNS.index(f"dl_from_{name[1:]}s")] = n
    return counts


def test_percentile_is_the_nearest_rank_exact_in_one_second_bins() -> None:
    # 91 deliveries of 1 s and 9 of 2 s (the case): p50 and p95 are 1 s, not 1.3-2 s.
    assert quantile(_hist(s1=91, s2=9), 0.5) == Quantile(1000, EXACT)
    assert quantile(_hist(s1=91, s2=9), 0.95) == Quantile(2000, EXACT)
    assert quantile(_hist(s1=95, s2=5), 0.95) == Quantile(1000, EXACT)  # rank ceil(95.0) = 95
    assert quantile(_hist(s1=1, s2=1), 0.5) == Quantile(1000, EXACT)  # no interpolation
    assert quantile(_hist(s59=1), 0.5) == Quantile(59_000, EXACT)
    # Wider bins give an upper bound (their end); the open last one a lower bound.
    assert quantile(_hist(s60=1), 0.5) == Quantile(70_000, AT_MOST)
    assert quantile(_hist(s518400=3), 0.5) == Quantile(604_800_000, AT_MOST)
    assert quantile(_hist(s604800=4), 0.5) == Quantile(604_800_000, AT_LEAST)
    assert quantile(_hist(), 0.5) is None
    assert percentile(_hist(s3=2, s7=2), 0.95) == 7000


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
            figures, estimates = delivery.percentiles(dl, rd)
            want[int(r.bucket_start)] = LatencyPoint(int(r.bucket_start), estimates=estimates, **figures)
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
        assert board.latency.delivery_histogram == [want.totals.get(c, 0) for c in DELIVERY_BIN_COLUMNS]
        assert board.latency.read_histogram == [want.totals.get(c, 0) for c in READ_BIN_COLUMNS]
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
    columns = [*DELIVERY_BIN_COLUMNS, *READ_BIN_COLUMNS]
    n = len(DELIVERY_BIN_COLUMNS)
    days: dict[int, list[int]] = {t: [0] * len(columns) for t in buckets}
    for (hour, _waba, number, _name, _lang), figures in exp.delivery.items():
        if number == phone:
            hist = days[hour - hour % DAY_MS]
            for i, c in enumerate(columns):
                hist[i] += figures.get(c, 0)
    out = {}
    for t, h in days.items():
        figures, estimates = delivery.percentiles(h[:n], h[n:])
        out[t] = LatencyPoint(t, estimates=estimates, **figures)
    return out
