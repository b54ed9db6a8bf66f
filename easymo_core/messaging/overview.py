"""Cheap whole-database figures for the console's overview pages and status bar: message
counts of the last 24 hours, totals, flows, and when the last webhook event arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from easymo_core.storage.engine import Database
from easymo_core.storage.models import Contact, ConversationFlow, FlowState, Message, WebhookEvent

# Cumulative, as people read them: a read message was also sent and delivered.
_REACHED = {"accepted": ("sent",), "sent": ("sent",), "delivered": ("sent", "delivered"),
            "read": ("sent", "delivered", "read"), "failed": ("failed",), "queued": ("queued",)}


class OverviewQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    def counts(self, now: datetime | None = None) -> dict[str, int]:
        """Messages of the last 24 hours by how far they got ("in" for received ones), and
        the totals of messages, contacts, flows and active flow runs."""
        since = (now or datetime.now(UTC)) - timedelta(hours=24)
        counts: dict[str, int] = {}
        with self.db.session() as s:
            rows = s.execute(
                select(Message.direction, Message.status, func.count())
                .where(Message.created_at >= since)
                .group_by(Message.direction, Message.status)
            ).all()
            for direction, status, n in rows:
                keys = ("in",) if direction == "in" else _REACHED.get(status, (status,))
                for key in keys:
                    counts[key] = counts.get(key, 0) + int(n)
            counts["messages_total"] = int(s.scalar(select(func.count()).select_from(Message)) or 0)
            counts["contacts"] = int(s.scalar(select(func.count()).select_from(Contact)) or 0)
            counts["flows"] = int(s.scalar(select(func.count()).select_from(ConversationFlow)) or 0)
            counts["flows_active"] = int(
                s.scalar(select(func.count()).select_from(FlowState).where(FlowState.status == "active"))
                or 0
            )
        return counts

    def last_webhook_event(self) -> datetime | None:
        """When the shared database last got a webhook POST (any receiver)."""
        with self.db.session() as s:
            last = s.scalar(select(func.max(WebhookEvent.received_at)))
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        return last
