"""Delivery figures from delivery_rollups and error_rollups: totals, latency, templates, errors.

Each reads all phone numbers, or one (``phone_number_id``): the rollups are keyed by it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection, CursorResult

from easymo_core.analytics.figures import (
    ErrorRow,
    Latency,
    LatencyPoint,
    SeriesPoint,
    TemplateRow,
    Totals,
    rate,
)
from easymo_core.analytics.histogram import EXACT, quantile
from easymo_core.analytics.period import DAY_MS, Period, day_split
from easymo_core.cloudapi.error_codes import code_info, explain
from easymo_core.storage.analytics_triggers import UNKNOWN_ERROR_CODE
from easymo_core.storage.models import DELIVERY_BIN_COLUMNS, READ_BIN_COLUMNS

COUNTS = ("sent", "delivered", "read", "failed", "replied", "clicks")
LATENCY = ("delivery_latency_sum_ms", "delivery_latency_count", "read_latency_sum_ms", "read_latency_count")
DL = tuple(DELIVERY_BIN_COLUMNS)
RD = tuple(READ_BIN_COLUMNS)
_ALL = (*COUNTS, *LATENCY, *DL, *RD)
RANGE = "hour_start >= :start AND hour_start < :end"
# Whole days from delivery_rollups_daily, the edge hours from delivery_rollups (day_split).
DAYS = "day_start >= :dstart AND day_start < :dend"
EDGES = "((hour_start >= :start AND hour_start < :dstart) OR (hour_start >= :dend AND hour_start < :end))"
SERIES = COUNTS[:5]
LATENCY_SERIES = (*DL, *RD)


def _number(filtered: bool) -> str:
    """The condition a read of one phone number adds to its WHERE ('' for all numbers).

    A statement per case rather than one with ``:phone IS NULL OR ...``, which PostgreSQL
    could not plan well for both.
    """
    return " AND phone_number_id = :phone" if filtered else ""


def _days_and_edges(cols: str, daily: str, hourly: str, filtered: bool) -> str:
    """``cols`` from the whole days and the edge hours, as one derived table ``r``."""
    return (
        f"(SELECT day_start AS t, {cols} FROM {daily} WHERE {DAYS}{_number(filtered)} "
        f"UNION ALL SELECT hour_start AS t, {cols} FROM {hourly} WHERE {EDGES}{_number(filtered)}) AS r"
    )


@cache
def per_template_sql(filtered: bool) -> TextClause:
    keyed = f"template_name, template_language, {', '.join(_ALL)}"
    return text(
        f"SELECT template_name, template_language, {', '.join(f'SUM({c}) AS {c}' for c in _ALL)} "
        f"FROM {_days_and_edges(keyed, 'delivery_rollups_daily', 'delivery_rollups', filtered)} "
        "GROUP BY template_name, template_language"
    )


@cache
def series_sql(columns: tuple[str, ...], daily: bool, filtered: bool) -> TextClause:
    """``columns`` summed per bucket: hourly buckets from the hourly table, daily buckets
    from whole days plus the edge hours."""
    sums = ", ".join(f"SUM({c}) AS {c}" for c in columns)
    if not daily:
        return text(
            f"SELECT (hour_start / :step) * :step AS bucket_start, {sums} "
            f"FROM delivery_rollups WHERE {RANGE}{_number(filtered)} GROUP BY 1"
        )
    source = _days_and_edges(", ".join(columns), "delivery_rollups_daily", "delivery_rollups", filtered)
    return text(f"SELECT (t / :step) * :step AS bucket_start, {sums} FROM {source} GROUP BY 1")


@cache
def errors_sql(filtered: bool) -> TextClause:
    return text(
        "SELECT error_code, SUM(failures) AS failures FROM ("
        f"SELECT error_code, failures FROM error_rollups_daily WHERE {DAYS}{_number(filtered)} "
        f"UNION ALL SELECT error_code, failures FROM error_rollups WHERE {EDGES}{_number(filtered)}) AS r "
        "GROUP BY error_code HAVING SUM(failures) > 0 ORDER BY SUM(failures) DESC, error_code"
    )


TEMPLATES_SQL = text("SELECT name, language, quality_score, status FROM templates WHERE is_draft = :no")


def bounds(period: Period) -> dict[str, int]:
    return day_split(period.start_ms, period.end_ms)


def params(period: Period, phone_number_id: str | None, **extra: int) -> dict[str, Any]:
    """The bind parameters of a read of ``period``, for one phone number or (None) all."""
    number = {} if phone_number_id is None else {"phone": phone_number_id}
    return {**bounds(period), **extra, **number}


def per_template(
    conn: Connection, period: Period, phone_number_id: str | None = None
) -> list[dict[str, Any]]:
    sql = per_template_sql(phone_number_id is not None)
    return [
        {k: (v if isinstance(v, str) or v is None else int(v)) for k, v in r._mapping.items()}
        for r in conn.execute(sql, params(period, phone_number_id))
    ]


def totals_and_latency(rows: list[dict[str, Any]]) -> tuple[Totals, Latency]:
    sums = {c: sum(r[c] or 0 for r in rows) for c in _ALL}
    totals = Totals(**{c: sums[c] for c in COUNTS}).finish()
    dl = [sums[c] for c in DL]
    rd = [sums[c] for c in RD]
    figures, estimates = percentiles(dl, rd)
    latency = Latency(
        delivery_count=sums["delivery_latency_count"],
        delivery_avg_ms=_avg(sums["delivery_latency_sum_ms"], sums["delivery_latency_count"]),
        read_count=sums["read_latency_count"],
        read_avg_ms=_avg(sums["read_latency_sum_ms"], sums["read_latency_count"]),
        delivery_histogram=dl,
        read_histogram=rd,
        estimates=estimates,
        **figures,
    )
    return totals, latency


def percentiles(dl: list[int], rd: list[int]) -> tuple[dict[str, float | None], dict[str, str]]:
    """p50 and p95 of both histograms by name (``delivery_p50_ms`` ...), and which are bounds."""
    figures: dict[str, float | None] = {}
    estimates: dict[str, str] = {}
    for kind, counts in (("delivery", dl), ("read", rd)):
        for q in (50, 95):
            name = f"{kind}_p{q}_ms"
            found = quantile(counts, q / 100)
            figures[name] = None if found is None else found.ms
            if found is not None and found.bound != EXACT:
                estimates[name] = found.bound
    return figures, estimates


def _avg(total: int, count: int) -> float | None:
    return None if count <= 0 else total / count


def templates(conn: Connection, rows: list[dict[str, Any]]) -> list[TemplateRow]:
    meta = {
        (r.name, r.language): (r.quality_score, r.status) for r in conn.execute(TEMPLATES_SQL, {"no": False})
    }
    out = []
    for r in sorted(rows, key=lambda r: (-(r["sent"] or 0), r["template_name"], r["template_language"])):
        if not r["sent"]:
            continue  # an all-zero rollup row (its messages deleted): no message in the period
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


def errors(
    conn: Connection, period: Period, failed_total: int, phone_number_id: str | None = None
) -> list[ErrorRow]:
    found = conn.execute(errors_sql(phone_number_id is not None), params(period, phone_number_id))
    return error_rows([(int(r.error_code), int(r.failures)) for r in found], failed_total)


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


def _series_rows(
    conn: Connection, period: Period, columns: tuple[str, ...], phone_number_id: str | None
) -> CursorResult[Any]:
    sql = series_sql(columns, period.bucket_ms == DAY_MS, phone_number_id is not None)
    return conn.execute(sql, params(period, phone_number_id, step=period.bucket_ms))


def series(conn: Connection, period: Period, phone_number_id: str | None = None) -> dict[int, SeriesPoint]:
    points: dict[int, SeriesPoint] = {}
    t = period.start_ms - period.start_ms % period.bucket_ms
    while t < period.end_ms:
        points[t] = SeriesPoint(start_ms=t)
        t += period.bucket_ms
    for r in _series_rows(conn, period, SERIES, phone_number_id):
        p = points.setdefault(int(r.bucket_start), SeriesPoint(start_ms=int(r.bucket_start)))
        p.sent, p.delivered, p.read = int(r.sent or 0), int(r.delivered or 0), int(r.read or 0)
        p.failed, p.replied = int(r.failed or 0), int(r.replied or 0)
    return points


def latency_series(
    conn: Connection, period: Period, phone_number_id: str | None = None
) -> list[LatencyPoint]:
    """p50/p95 per bucket from the rollups' latency histograms; every bucket of the period,
    so an empty one is a gap in the chart's lines."""
    found: dict[int, LatencyPoint] = {}
    for r in _series_rows(conn, period, LATENCY_SERIES, phone_number_id):
        m = r._mapping
        dl = [int(m[c] or 0) for c in DL]
        rd = [int(m[c] or 0) for c in RD]
        start = int(r.bucket_start)
        figures, estimates = percentiles(dl, rd)
        found[start] = LatencyPoint(start, estimates=estimates, **figures)
    out = []
    t = period.start_ms - period.start_ms % period.bucket_ms
    while t < period.end_ms:
        out.append(found.get(t) or LatencyPoint(t))
        t += period.bucket_ms
    return out
