"""Delivery figures from delivery_rollups and error_rollups: totals, latency, templates, errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection

from easymo_core.analytics.figures import (
    ErrorRow,
    Latency,
    LatencyPoint,
    SeriesPoint,
    TemplateRow,
    Totals,
    rate,
)
from easymo_core.analytics.histogram import percentile
from easymo_core.analytics.period import DAY_MS, Period, day_split
from easymo_core.cloudapi.error_codes import code_info, explain
from easymo_core.storage.analytics_triggers import UNKNOWN_ERROR_CODE
from easymo_core.storage.models import N_BUCKETS

COUNTS = ("sent", "delivered", "read", "failed", "replied", "clicks")
LATENCY = ("delivery_latency_sum_ms", "delivery_latency_count", "read_latency_sum_ms", "read_latency_count")
DL = tuple(f"dl_h{i:02d}" for i in range(N_BUCKETS))
RD = tuple(f"rd_h{i:02d}" for i in range(N_BUCKETS))
_ALL = (*COUNTS, *LATENCY, *DL, *RD)
RANGE = "hour_start >= :start AND hour_start < :end"
# Whole days from delivery_rollups_daily, the edge hours from delivery_rollups (day_split).
DAYS = "day_start >= :dstart AND day_start < :dend"
EDGES = "((hour_start >= :start AND hour_start < :dstart) OR (hour_start >= :dend AND hour_start < :end))"


def _days_and_edges(cols: str, daily: str, hourly: str) -> str:
    """``cols`` from the whole days and the edge hours, as one derived table ``r``."""
    return (
        f"(SELECT day_start AS t, {cols} FROM {daily} WHERE {DAYS} "
        f"UNION ALL SELECT hour_start AS t, {cols} FROM {hourly} WHERE {EDGES}) AS r"
    )


_KEYED = f"template_name, template_language, {', '.join(_ALL)}"
PER_TEMPLATE_SQL = text(
    f"SELECT template_name, template_language, {', '.join(f'SUM({c}) AS {c}' for c in _ALL)} "
    f"FROM {_days_and_edges(_KEYED, 'delivery_rollups_daily', 'delivery_rollups')} "
    "GROUP BY template_name, template_language"
)
def _series_sql(columns: tuple[str, ...]) -> tuple[TextClause, TextClause]:
    """``columns`` summed per bucket: (hourly buckets from the hourly table, daily buckets
    from whole days plus the edge hours)."""
    sums = ", ".join(f"SUM({c}) AS {c}" for c in columns)
    hourly = text(
        f"SELECT (hour_start / :step) * :step AS bucket_start, {sums} "
        f"FROM delivery_rollups WHERE {RANGE} GROUP BY 1"
    )
    daily = text(
        f"SELECT (t / :step) * :step AS bucket_start, {sums} "
        f"FROM {_days_and_edges(', '.join(columns), 'delivery_rollups_daily', 'delivery_rollups')} GROUP BY 1"
    )
    return hourly, daily


SERIES_SQL, DAILY_SERIES_SQL = _series_sql(COUNTS[:5])
LATENCY_SERIES_SQL, DAILY_LATENCY_SERIES_SQL = _series_sql((*DL, *RD))
ERRORS_SQL = text(
    "SELECT error_code, SUM(failures) AS failures FROM ("
    f"SELECT error_code, failures FROM error_rollups_daily WHERE {DAYS} "
    f"UNION ALL SELECT error_code, failures FROM error_rollups WHERE {EDGES}) AS r "
    "GROUP BY error_code HAVING SUM(failures) > 0 ORDER BY SUM(failures) DESC, error_code"
)
TEMPLATES_SQL = text("SELECT name, language, quality_score, status FROM templates WHERE is_draft = :no")


def bounds(period: Period) -> dict[str, int]:
    return day_split(period.start_ms, period.end_ms)


def per_template(conn: Connection, period: Period) -> list[dict[str, Any]]:
    return [
        {k: (v if isinstance(v, str) or v is None else int(v)) for k, v in r._mapping.items()}
        for r in conn.execute(PER_TEMPLATE_SQL, bounds(period))
    ]


def totals_and_latency(rows: list[dict[str, Any]]) -> tuple[Totals, Latency]:
    sums = {c: sum(r[c] or 0 for r in rows) for c in _ALL}
    totals = Totals(**{c: sums[c] for c in COUNTS}).finish()
    dl = [sums[c] for c in DL]
    rd = [sums[c] for c in RD]
    latency = Latency(
        delivery_count=sums["delivery_latency_count"],
        delivery_avg_ms=_avg(sums["delivery_latency_sum_ms"], sums["delivery_latency_count"]),
        delivery_p50_ms=percentile(dl, 0.5),
        delivery_p95_ms=percentile(dl, 0.95),
        read_count=sums["read_latency_count"],
        read_avg_ms=_avg(sums["read_latency_sum_ms"], sums["read_latency_count"]),
        read_p50_ms=percentile(rd, 0.5),
        read_p95_ms=percentile(rd, 0.95),
        delivery_histogram=dl,
        read_histogram=rd,
    )
    return totals, latency


def _avg(total: int, count: int) -> float | None:
    return None if count <= 0 else total / count


def templates(conn: Connection, rows: list[dict[str, Any]]) -> list[TemplateRow]:
    meta = {
        (r.name, r.language): (r.quality_score, r.status) for r in conn.execute(TEMPLATES_SQL, {"no": False})
    }
    out = []
    for r in sorted(rows, key=lambda r: (-(r["sent"] or 0), r["template_name"], r["template_language"])):
        quality, status = meta.get((r["template_name"], r["template_language"]), (None, None))
        sent = r["sent"] or 0
        out.append(
            TemplateRow(
                name=r["template_name"],
                language=r["template_language"],
                sent=sent,
                delivered=r["delivered"] or 0,
                read=r["read"] or 0,
                replied=r["replied"] or 0,
                clicks=r["clicks"] or 0,
                failed=r["failed"] or 0,
                delivered_pct=_pct(r["delivered"], sent),
                read_pct=_pct(r["read"], sent),
                replied_pct=_pct(r["replied"], sent),
                quality=quality,
                status=status,
            )
        )
    return out


def _pct(part: int | None, whole: int) -> float | None:
    value = rate(part or 0, whole)
    return None if value is None else round(100 * value, 2)


def errors(conn: Connection, period: Period, failed_total: int) -> list[ErrorRow]:
    rows = [(int(r.error_code), int(r.failures)) for r in conn.execute(ERRORS_SQL, bounds(period))]
    return error_rows(rows, failed_total)


def error_rows(rows: list[tuple[int, int]], failed_total: int) -> list[ErrorRow]:
    out = []
    for raw_code, failures in rows:
        code = None if raw_code == UNKNOWN_ERROR_CODE else raw_code
        info = code_info(code)
        out.append(
            ErrorRow(
                code=code,
                failures=failures,
                share=rate(failures, failed_total),
                family=str(info.family) if info else "other",
                explanation=explain(code) if code is not None else "Meta reported no error code.",
            )
        )
    return out


def series(conn: Connection, period: Period) -> dict[int, SeriesPoint]:
    points: dict[int, SeriesPoint] = {}
    t = period.start_ms - period.start_ms % period.bucket_ms
    while t < period.end_ms:
        points[t] = SeriesPoint(start_ms=t)
        t += period.bucket_ms
    sql = DAILY_SERIES_SQL if period.bucket_ms == DAY_MS else SERIES_SQL
    for r in conn.execute(sql, {**bounds(period), "step": period.bucket_ms}):
        p = points.setdefault(int(r.bucket_start), SeriesPoint(start_ms=int(r.bucket_start)))
        p.sent, p.delivered, p.read = int(r.sent or 0), int(r.delivered or 0), int(r.read or 0)
        p.failed, p.replied = int(r.failed or 0), int(r.replied or 0)
    return points


def latency_series(conn: Connection, period: Period) -> list[LatencyPoint]:
    """p50/p95 per bucket from the rollups' latency histograms; every bucket of the period,
    so an empty one is a gap in the chart's lines."""
    sql = DAILY_LATENCY_SERIES_SQL if period.bucket_ms == DAY_MS else LATENCY_SERIES_SQL
    found: dict[int, LatencyPoint] = {}
    for r in conn.execute(sql, {**bounds(period), "step": period.bucket_ms}):
        m = r._mapping
        dl = [int(m[c] or 0) for c in DL]
        rd = [int(m[c] or 0) for c in RD]
        start = int(r.bucket_start)
        found[start] = LatencyPoint(start, percentile(dl, 0.5), percentile(dl, 0.95),
                                    percentile(rd, 0.5), percentile(rd, 0.95))
    out = []
    t = period.start_ms - period.start_ms % period.bucket_ms
    while t < period.end_ms:
        out.append(found.get(t) or LatencyPoint(t))
        t += period.bucket_ms
    return out
