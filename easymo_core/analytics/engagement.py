"""Engagement, response times and satisfaction, from activity_rollups and contacts."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from easymo_core.analytics.figures import Engagement, Satisfaction, SeriesPoint, rate
from easymo_core.analytics.period import Period
from easymo_core.storage.analytics_triggers import decile_sql

RANGE = "hour_start >= :start AND hour_start < :end"
_SAT = [f"sat_{i}" for i in range(1, 6)]
_COLS = [
    "messages_in",
    "messages_out",
    "sessions_started",
    "user_responses",
    "user_response_ms_sum",
    "business_responses",
    "business_response_ms_sum",
    "satisfaction_count",
    "satisfaction_sum",
    *_SAT,
]
ACTIVITY_SQL = text(
    f"SELECT {', '.join(f'SUM({c}) AS {c}' for c in _COLS)} FROM activity_rollups WHERE {RANGE}"
)
INBOUND_SERIES_SQL = text(
    "SELECT (hour_start / :step) * :step AS bucket_start, SUM(messages_in) AS n FROM activity_rollups "
    f"WHERE {RANGE} GROUP BY 1"
)
# Contacts who wrote since the start: ix_contacts_last_inbound makes it an index range count.
ACTIVE_NOW_SQL = text("SELECT COUNT(*) FROM contacts WHERE last_inbound_at >= :start")
# A range in the past: contacts with a session started in it in which they wrote (a contact
# is a person in one account, as the contacts table keys it).
ACTIVE_RANGE_SQL = text(
    "SELECT COUNT(*) FROM (SELECT DISTINCT waba_id, contact_wa_id FROM conversation_sessions "
    "WHERE started_at >= :start AND started_at < :end AND messages_in > 0) AS active"
)
# Contacts whose latest message either way is since the start, by score decile: a scan of
# contacts, kept as the plain queries' baseline (the dashboard reads score_rollups).
SCORES_SQL = text(
    f"SELECT {decile_sql('engagement_score')} AS decile, COUNT(*) AS n, SUM(engagement_score) AS total "
    "FROM contacts WHERE last_inbound_at >= :start OR last_outbound_at >= :start "
    f"GROUP BY {decile_sql('engagement_score')}"
)
# The same from the histogram the contacts triggers keep (migration 0003): score_rollups
# files each contact under the hour of its latest message, so "since the start" is a range.
SCORE_ROLLUPS_SQL = text(
    "SELECT decile, SUM(contacts) AS n, SUM(score_sum) AS total FROM score_rollups "
    "WHERE hour_start >= :start GROUP BY decile"
)


def engagement_and_satisfaction(conn: Connection, period: Period) -> tuple[Engagement, Satisfaction]:
    b = {"start": period.start_ms, "end": period.end_ms}
    row = conn.execute(ACTIVITY_SQL, b).one()._mapping
    s = {c: int(row[c] or 0) for c in _COLS}
    active_sql = ACTIVE_NOW_SQL if period.ends_now else ACTIVE_RANGE_SQL
    eng = Engagement(
        active_users=int(conn.execute(active_sql, b).scalar() or 0),
        messages_in=s["messages_in"],
        messages_out=s["messages_out"],
        sessions_started=s["sessions_started"],
        user_responses=s["user_responses"],
        response_rate=rate(s["user_responses"], s["messages_out"]),
        avg_user_response_ms=_avg(s["user_response_ms_sum"], s["user_responses"]),
        avg_business_response_ms=_avg(s["business_response_ms_sum"], s["business_responses"]),
    )
    n_scored, score_total = 0, 0.0
    for r in conn.execute(SCORE_ROLLUPS_SQL, b):
        if not r.n:
            continue  # every contact of the decile moved on to a later hour
        eng.score_distribution[int(r.decile)] = int(r.n)
        n_scored += int(r.n)
        score_total += float(r.total or 0.0)
    eng.score_average = None if n_scored == 0 else round(score_total / n_scored, 2)
    sat = Satisfaction(
        ratings=s["satisfaction_count"],
        average=_avg(s["satisfaction_sum"], s["satisfaction_count"]),
        distribution={str(i): s[f"sat_{i}"] for i in range(1, 6)},
    )
    return eng, sat


def add_inbound_series(conn: Connection, period: Period, points: dict[int, SeriesPoint]) -> None:
    b = {"start": period.start_ms, "end": period.end_ms, "step": period.bucket_ms}
    for r in conn.execute(INBOUND_SERIES_SQL, b):
        start = int(r.bucket_start)
        points.setdefault(start, SeriesPoint(start_ms=start)).messages_in = int(r.n or 0)


def _avg(total: int, count: int) -> float | None:
    return None if count <= 0 else total / count
