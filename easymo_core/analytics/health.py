"""System health: webhook lag and rate, queue depth, API errors, scheduler runs.

Every query is bounded by an index (the latest webhook events by id, unprocessed events,
the last hour's refused sends by status and time), so it stays cheap on a big database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from easymo_core.analytics.figures import Health, JobRun, rate
from easymo_core.analytics.period import HOUR_MS
from easymo_core.storage.models import AppState, table_of
from easymo_core.storage.types import to_ms

RECENT_EVENTS = 1000
RATE_WINDOW_MS = 15 * 60_000
# The newest webhook events by id: the health figures read 1,000, the dashboard's last-hour
# chart 5,000.
RECENT_SQL = text("SELECT received_at, processed_at FROM webhook_events ORDER BY id DESC LIMIT :n")
HEALTH_WINDOW_MS = 60 * 60_000
HEALTH_EVENTS = 5000
MINUTE_MS = 60_000
PAUSED_SQL = text(
    "SELECT name, language, status FROM templates WHERE status IN ('PAUSED', 'DISABLED') "
    "ORDER BY name, language"
)
QUEUE_SQL = text("SELECT COUNT(*) FROM webhook_events WHERE processed_at IS NULL")
# Sends Meta refused outright (no wamid): ix_messages_status_created bounds this to the last
# hour's failures.
API_ERRORS_SQL = text(
    "SELECT COUNT(*) FROM messages WHERE status = 'failed' AND created_at >= :since "
    "AND direction = 'out' AND wamid IS NULL"
)
SENT_SQL = text("SELECT COALESCE(SUM(sent), 0) FROM delivery_rollups WHERE hour_start >= :since")
app_state_t = table_of(AppState)
# Through the table, so the JSON value comes back decoded on both dialects.
JOBS_SQL = (
    select(app_state_t.c.key, app_state_t.c.value)
    .where(app_state_t.c.key.like("scheduler.%"))
    .order_by(app_state_t.c.key)
)


@dataclass
class HealthPoint:
    start_ms: int  # minute
    events: int
    lag_avg_ms: float | None


def health(conn: Connection, now_ms: int) -> Health:
    h = Health(queue_depth=int(conn.execute(QUEUE_SQL).scalar() or 0))
    recent = conn.execute(RECENT_SQL, {"n": RECENT_EVENTS}).all()
    if recent:
        h.last_event_ms = max(int(r.received_at) for r in recent)
        lags = [int(r.processed_at) - int(r.received_at) for r in recent if r.processed_at is not None]
        if lags:
            h.webhook_lag_avg_ms = sum(lags) / len(lags)
            h.webhook_lag_max_ms = max(lags)
        in_window = [r for r in recent if int(r.received_at) >= now_ms - RATE_WINDOW_MS]
        if len(in_window) == RECENT_EVENTS:  # the sample is all recent: rate over its span
            span = max(1, now_ms - min(int(r.received_at) for r in in_window))
            h.events_per_min = len(in_window) * 60_000 / span
        else:
            h.events_per_min = len(in_window) * 60_000 / RATE_WINDOW_MS
    since = now_ms - HOUR_MS
    h.api_errors_last_hour = int(conn.execute(API_ERRORS_SQL, {"since": since}).scalar() or 0)
    sent = int(conn.execute(SENT_SQL, {"since": since - since % HOUR_MS}).scalar() or 0)
    h.api_error_rate = rate(h.api_errors_last_hour, sent)
    h.scheduler = [_job(r.key, r.value) for r in conn.execute(JOBS_SQL)]
    return h


def _job(key: str, value: Any) -> JobRun:
    v = value if isinstance(value, dict) else {}

    def ms(name: str) -> int | None:
        x = v.get(name)
        return int(x) if isinstance(x, int | float) else None

    return JobRun(
        name=str(v.get("name") or key.removeprefix("scheduler.")),
        last_run_ms=ms("last_run"),
        last_ok_ms=ms("last_ok"),
        failures=int(v.get("failures") or 0),
        last_error=v.get("last_error"),
        skipped=v.get("skipped"),
    )


def health_series(conn: Connection, now_ms: int) -> list[HealthPoint]:
    """Webhook events received per minute and their average lag, over the last hour."""
    first = (now_ms - HEALTH_WINDOW_MS) // MINUTE_MS * MINUTE_MS
    counts: dict[int, int] = {}
    lags: dict[int, list[int]] = {}
    for r in conn.execute(RECENT_SQL, {"n": HEALTH_EVENTS}):
        received = _ms(r.received_at)
        if received < first:
            continue
        minute = received // MINUTE_MS * MINUTE_MS
        counts[minute] = counts.get(minute, 0) + 1
        if r.processed_at is not None:
            lags.setdefault(minute, []).append(_ms(r.processed_at) - received)
    out = []
    for minute in range(first, now_ms // MINUTE_MS * MINUTE_MS + MINUTE_MS, MINUTE_MS):
        values = lags.get(minute)
        out.append(HealthPoint(minute, counts.get(minute, 0),
                               sum(values) / len(values) if values else None))
    return out


def paused_templates(conn: Connection) -> list[tuple[str, str, str]]:
    """(name, language, status) of the templates Meta paused or disabled."""
    return [(str(r.name), str(r.language), str(r.status)) for r in conn.execute(PAUSED_SQL)]


def _ms(value: Any) -> int:
    # The raw SQL hands EpochMs columns back as integers; a datetime if a driver decodes them.
    return to_ms(value) if isinstance(value, datetime) else int(value)
