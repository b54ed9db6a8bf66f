"""The one entry point of the analytics: every dashboard figure for a period, from rollups.

``Analytics(db).dashboard(period)`` runs the whole set in one read transaction and returns
a :class:`Dashboard` (``to_dict()`` for JSON); ``phone_number_id`` narrows its message
figures to one sending number (see ``Dashboard.phone_number_id``). It reads rollups,
contacts, flow states and a bounded slice of webhook events, never a scan of messages, so
the console can call it off the UI thread every few seconds. ``cursor()`` is the cheap
call to poll in between: it changes whenever anything the dashboard shows may have changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from easymo_core.analytics import delivery, engagement, funnel, health, meta
from easymo_core.analytics.figures import Dashboard, Headline
from easymo_core.analytics.period import Period, resolve_period
from easymo_core.analytics.settings import session_gap_ms
from easymo_core.storage.engine import Database
from easymo_core.storage.types import to_ms, utcnow

# Each MAX(id) is one step down a primary key; updated_at catches status changes.
CURSOR_SQL = text(
    "SELECT (SELECT MAX(id) FROM messages), (SELECT MAX(id) FROM status_events), "
    "(SELECT MAX(id) FROM webhook_events), (SELECT MAX(updated_at) FROM messages), "
    "(SELECT MAX(updated_at) FROM flow_states), (SELECT MAX(pulled_at) FROM meta_analytics)"
)


@dataclass(frozen=True)
class Cursor:
    value: str

    def __str__(self) -> str:
        return self.value


class Analytics:
    def __init__(self, db: Database) -> None:
        self.db = db

    def period(
        self, name: str | None = "24h", *, start: datetime | None = None, end: datetime | None = None
    ) -> Period:
        return resolve_period(name, start=start, end=end)

    def dashboard(
        self,
        period: Period | str = "24h",
        *,
        now: datetime | None = None,
        with_meta: bool = True,
        phone_number_id: str | None = None,
    ) -> Dashboard:
        """Every figure of ``period``; the message figures of ``phone_number_id`` alone if given."""
        if isinstance(period, str):
            period = resolve_period(period, now=now)
        began = time.perf_counter()
        with self.db.engine.connect() as conn:
            board = self._dashboard(conn, period, to_ms(now or utcnow()), with_meta, phone_number_id)
        board.query_ms = (time.perf_counter() - began) * 1000
        return board

    def headline(self, period: Period, *, phone_number_id: str | None = None) -> Headline:
        """Totals, latency, engagement and satisfaction only: what the dashboard's tiles
        compare with the previous period, without its series, tables and funnels."""
        with self.db.engine.connect() as conn:
            rows = delivery.per_template(conn, period, phone_number_id)
            totals, latency = delivery.totals_and_latency(rows)
            eng, sat = engagement.engagement_and_satisfaction(conn, period)
        return Headline(totals, latency, eng, sat, phone_number_id)

    def _dashboard(
        self, conn: Connection, period: Period, now_ms: int, with_meta: bool, phone_number_id: str | None
    ) -> Dashboard:
        rows = delivery.per_template(conn, period, phone_number_id)
        totals, latency = delivery.totals_and_latency(rows)
        points = delivery.series(conn, period, phone_number_id)
        engagement.add_inbound_series(conn, period, points)
        eng, sat = engagement.engagement_and_satisfaction(conn, period)
        return Dashboard(
            period=period,
            totals=totals,
            latency=latency,
            errors=delivery.errors(conn, period, totals.failed, phone_number_id),
            templates=delivery.templates(conn, rows),
            engagement=eng,
            satisfaction=sat,
            flows=funnel.funnels(conn, period),
            health=health.health(conn, now_ms),
            series=[points[k] for k in sorted(points)],
            session_gap_ms=session_gap_ms(conn),
            meta=meta.meta_section(conn, period) if with_meta else None,
            phone_number_id=phone_number_id,
        )

    def cursor(self) -> Cursor:
        """A value that changes when the figures may have; compare it before recomputing."""
        with self.db.engine.connect() as conn:
            row = conn.execute(CURSOR_SQL).one()
        return Cursor("/".join("" if v is None else str(v) for v in row))

    def changed_since(self, cursor: Cursor | None) -> tuple[bool, Cursor]:
        current = self.cursor()
        return (cursor is None or current != cursor), current
