"""The dashboard's figures by plain GROUP BY over the raw tables: the benchmark's baseline.

Same figures as :mod:`dashboard` (the benchmark checks they agree), computed the way one
would without rollups: aggregates over messages and sessions for the period, the outbound
ones of one phone number if asked (conversation figures are always all numbers').
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection

from easymo_core.analytics import delivery, engagement, funnel, health
from easymo_core.analytics.figures import Dashboard, Engagement, Satisfaction, SeriesPoint, rate
from easymo_core.analytics.period import Period
from easymo_core.analytics.settings import session_gap_ms
from easymo_core.storage.analytics_triggers import (
    UNKNOWN_ERROR_CODE,
    bucket_sql,
    delivery_latency_sql,
    read_latency_sql,
)
from easymo_core.storage.engine import Database
from easymo_core.storage.types import to_ms, utcnow

RANGE = "m.created_at >= :start AND m.created_at < :end"
_DLB, _RDB = bucket_sql(delivery_latency_sql("m")), bucket_sql(read_latency_sql("m"))
_QUOTES = (
    "LEFT JOIN (SELECT waba_id, context_wamid, COUNT(*) AS quotes, "
    "SUM(CASE WHEN reply_id IS NOT NULL THEN 1 ELSE 0 END) AS clicks FROM messages "
    "WHERE direction = 'in' AND context_wamid IS NOT NULL GROUP BY waba_id, context_wamid) q "
    "ON m.wamid IS NOT NULL AND q.context_wamid = m.wamid AND q.waba_id = m.waba_id"
)


def _out(filtered: bool) -> str:
    """Outbound messages, of phone number ``:phone`` if ``filtered``."""
    return "m.direction = 'out' AND m.phone_number_id = :phone" if filtered else "m.direction = 'out'"


@cache
def per_template_sql(filtered: bool) -> TextClause:
    """Per template, language and latency bins (``dlb``, ``rdb``: -1 without a latency);
    _per_template folds the bins into histogram columns."""
    return text(
        "SELECT COALESCE(m.template_name, '') AS template_name, "
        f"COALESCE(m.template_language, '') AS template_language, {_DLB} AS dlb, {_RDB} AS rdb, "
        "COUNT(*) AS sent, "
        "SUM(CASE WHEN m.delivered_at IS NOT NULL THEN 1 ELSE 0 END) AS delivered, "
        "SUM(CASE WHEN m.read_at IS NOT NULL THEN 1 ELSE 0 END) AS read, "
        "SUM(CASE WHEN m.status = 'failed' THEN 1 ELSE 0 END) AS failed, "
        "SUM(CASE WHEN q.quotes > 0 THEN 1 ELSE 0 END) AS replied, SUM(COALESCE(q.clicks, 0)) AS clicks, "
        f"SUM(COALESCE({delivery_latency_sql('m')}, 0)) AS delivery_latency_sum_ms, "
        "SUM(CASE WHEN m.delivered_at IS NOT NULL AND m.sent_at IS NOT NULL THEN 1 ELSE 0 END) "
        "AS delivery_latency_count, "
        f"SUM(COALESCE({read_latency_sql('m')}, 0)) AS read_latency_sum_ms, "
        "SUM(CASE WHEN m.read_at IS NOT NULL AND m.delivered_at IS NOT NULL THEN 1 ELSE 0 END) "
        "AS read_latency_count"
        f" FROM messages m {_QUOTES} WHERE {_out(filtered)} AND {RANGE} GROUP BY 1, 2, 3, 4"
    )


def _per_template(conn: Connection, filtered: bool, bind: dict[str, Any]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in conn.execute(per_template_sql(filtered), bind):
        m = r._mapping
        key = (m["template_name"], m["template_language"])
        row = rows.setdefault(key, {"template_name": key[0], "template_language": key[1],
                                    **dict.fromkeys([*delivery.COUNTS, *delivery.LATENCY, *delivery.DL,
                                                     *delivery.RD], 0)})
        for c in (*delivery.COUNTS, *delivery.LATENCY):
            row[c] += int(m[c] or 0)
        if int(m["dlb"]) >= 0:
            row[delivery.DL[int(m["dlb"])]] += int(m["sent"])
        if int(m["rdb"]) >= 0:
            row[delivery.RD[int(m["rdb"])]] += int(m["sent"])
    return list(rows.values())


@cache
def errors_sql(filtered: bool) -> TextClause:
    return text(
        f"SELECT COALESCE(m.error_code, {UNKNOWN_ERROR_CODE}) AS error_code, COUNT(*) AS failures "
        f"FROM messages m WHERE {_out(filtered)} AND m.status = 'failed' AND {RANGE} "
        "GROUP BY COALESCE(m.error_code, -1) ORDER BY COUNT(*) DESC, 1"
    )


@cache
def series_sql(filtered: bool) -> TextClause:
    out = _out(filtered)
    return text(
        "SELECT (m.created_at / :step) * :step AS bucket_start, "
        f"SUM(CASE WHEN {out} THEN 1 ELSE 0 END) AS sent, "
        f"SUM(CASE WHEN {out} AND m.delivered_at IS NOT NULL THEN 1 ELSE 0 END) AS delivered, "
        f"SUM(CASE WHEN {out} AND m.read_at IS NOT NULL THEN 1 ELSE 0 END) AS read, "
        f"SUM(CASE WHEN {out} AND m.status = 'failed' THEN 1 ELSE 0 END) AS failed, "
        f"SUM(CASE WHEN {out} AND q.quotes > 0 THEN 1 ELSE 0 END) AS replied, "
        "SUM(CASE WHEN m.direction = 'in' THEN 1 ELSE 0 END) AS messages_in "
        f"FROM messages m {_QUOTES} WHERE {RANGE} GROUP BY 1"
    )

ACTIVITY_SQL = text(
    "SELECT SUM(CASE WHEN m.direction = 'in' THEN 1 ELSE 0 END) AS messages_in, "
    "SUM(CASE WHEN m.direction = 'out' AND m.wamid IS NOT NULL THEN 1 ELSE 0 END) AS messages_out, "
    "SUM(CASE WHEN m.direction = 'in' AND m.response_ms IS NOT NULL THEN 1 ELSE 0 END) AS user_responses, "
    "SUM(CASE WHEN m.direction = 'in' THEN COALESCE(m.response_ms, 0) ELSE 0 END) AS user_ms, "
    "SUM(CASE WHEN m.direction = 'out' AND m.response_ms IS NOT NULL THEN 1 ELSE 0 END) AS biz, "
    "SUM(CASE WHEN m.direction = 'out' THEN COALESCE(m.response_ms, 0) ELSE 0 END) AS biz_ms, "
    # A contact is a person in one account (the contacts table's key).
    "COUNT(DISTINCT CASE WHEN m.direction = 'in' THEN m.waba_id || ':' || m.contact_wa_id END) AS active "
    f"FROM messages m WHERE {RANGE} AND (m.direction = 'in' OR m.wamid IS NOT NULL)"
)
SESSIONS_SQL = text(
    "SELECT COUNT(*) AS started, SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END) AS rated, "
    "SUM(COALESCE(satisfaction, 0)) AS total, "
    + ", ".join(f"SUM(CASE WHEN satisfaction = {i} THEN 1 ELSE 0 END) AS s{i}" for i in range(1, 6))
    + " FROM conversation_sessions WHERE started_at >= :start AND started_at < :end"
)


def plain_dashboard(
    db: Database, period: Period, *, now: datetime | None = None, phone_number_id: str | None = None
) -> Dashboard:
    began = time.perf_counter()
    with db.engine.connect() as conn:
        board = _plain(conn, period, to_ms(now or utcnow()), phone_number_id)
    board.query_ms = (time.perf_counter() - began) * 1000
    return board


def _plain(conn: Connection, period: Period, now_ms: int, phone_number_id: str | None) -> Dashboard:
    b = {"start": period.start_ms, "end": period.end_ms}
    filtered = phone_number_id is not None
    out = {**b, "phone": phone_number_id} if filtered else b
    rows = _per_template(conn, filtered, out)
    totals, latency = delivery.totals_and_latency(rows)
    points: dict[int, SeriesPoint] = {}
    t = period.start_ms - period.start_ms % period.bucket_ms
    while t < period.end_ms:
        points[t] = SeriesPoint(start_ms=t)
        t += period.bucket_ms
    for r in conn.execute(series_sql(filtered), {**out, "step": period.bucket_ms}):
        points[int(r.bucket_start)] = SeriesPoint(int(r.bucket_start), *(int(x or 0) for x in r[1:]))
    a = conn.execute(ACTIVITY_SQL, b).one()
    s = conn.execute(SESSIONS_SQL, b).one()
    eng = Engagement(
        active_users=int(a.active or 0),
        messages_in=int(a.messages_in or 0),
        messages_out=int(a.messages_out or 0),
        sessions_started=int(s.started or 0),
        user_responses=int(a.user_responses or 0),
        response_rate=rate(int(a.user_responses or 0), int(a.messages_out or 0)),
        avg_user_response_ms=_avg(a.user_ms, a.user_responses),
        avg_business_response_ms=_avg(a.biz_ms, a.biz),
    )
    scored = conn.execute(engagement.SCORES_SQL, b).all()
    for r in scored:
        eng.score_distribution[int(r.decile)] = int(r.n)
    n = sum(int(r.n) for r in scored)
    eng.score_average = None if n == 0 else round(sum(float(r.total or 0) for r in scored) / n, 2)
    sat = Satisfaction(
        ratings=int(s.rated or 0),
        average=_avg(s.total, s.rated),
        distribution={str(i): int(getattr(s, f"s{i}") or 0) for i in range(1, 6)},
    )
    errors = []
    for e in conn.execute(errors_sql(filtered), out):
        errors.extend(delivery.error_rows([(int(e.error_code), int(e.failures))], totals.failed))
    return Dashboard(
        period=period,
        totals=totals,
        latency=latency,
        errors=errors,
        templates=delivery.templates(conn, rows),
        engagement=eng,
        satisfaction=sat,
        flows=funnel.funnels(conn, period),
        health=health.health(conn, now_ms),
        series=[points[k] for k in sorted(points)],
        session_gap_ms=session_gap_ms(conn),
        phone_number_id=phone_number_id,
    )


def _avg(total: Any, count: Any) -> float | None:
    return None if not count else int(total or 0) / int(count)
