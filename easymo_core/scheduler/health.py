"""Health checks: webhook lag (received → processed) and whether the Cloud API answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, func, select, type_coerce

from easymo_core.scheduler.state import error_line
from easymo_core.storage.engine import Database
from easymo_core.storage.models import WebhookEvent, table_of
from easymo_core.storage.types import from_ms, to_ms, utcnow

RECENT = 50  # processed events the lag is measured over


@dataclass(frozen=True)
class HealthReport:
    checked_at: datetime
    # Webhook intake: lag of recently processed events, backlog not processed yet.
    last_event_at: datetime | None
    lag_p50_ms: float | None
    lag_max_ms: float | None
    backlog: int
    oldest_unprocessed_s: float | None
    # The Cloud API (phone-number endpoint).
    api_ok: bool | None  # None: not checked (no client)
    api_ms: float | None
    api_error: str | None
    phone: str | None

    def webhook_summary(self) -> str:
        if self.last_event_at is None:
            return "no webhook event received yet"
        parts = []
        if self.lag_p50_ms is not None:
            parts.append(f"lag {self.lag_p50_ms:.0f} ms")
        if self.backlog:
            parts.append(f"{self.backlog} waiting")
        return ", ".join(parts) or "events received"


class HealthCheck:
    def __init__(self, db: Database, client: Any | None = None, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.client, self.clock = db, client, clock

    def __call__(self) -> HealthReport:
        now = self.clock()
        w = table_of(WebhookEvent)
        received = type_coerce(w.c.received_at, BigInteger)
        processed = type_coerce(w.c.processed_at, BigInteger)
        with self.db.engine.connect() as conn:
            lags = sorted(
                int(p) - int(r) for r, p in conn.execute(
                    select(received, processed).where(w.c.processed_at.is_not(None))
                    .order_by(w.c.id.desc()).limit(RECENT))
            )
            backlog, oldest = conn.execute(
                select(func.count(), func.min(received)).where(w.c.processed_at.is_(None))
            ).one()
            last = conn.execute(select(func.max(w.c.id))).scalar()
            last_at = conn.execute(select(received).where(w.c.id == last)).scalar() if last else None
        api_ok: bool | None = None
        api_ms = api_error = phone = None
        if self.client is not None:
            t0 = time.perf_counter()
            try:
                info = self.client.phone_number_info()
                api_ok = True
                phone = getattr(info, "display_phone_number", None)
            except Exception as exc:
                api_ok, api_error = False, error_line(exc)
            api_ms = (time.perf_counter() - t0) * 1000
        return HealthReport(
            checked_at=now,
            last_event_at=from_ms(int(last_at)) if last_at is not None else None,
            lag_p50_ms=float(lags[len(lags) // 2]) if lags else None,
            lag_max_ms=float(lags[-1]) if lags else None,
            backlog=int(backlog or 0),
            oldest_unprocessed_s=(to_ms(now) - int(oldest)) / 1000 if oldest is not None else None,
            api_ok=api_ok, api_ms=api_ms, api_error=api_error, phone=phone,
        )
