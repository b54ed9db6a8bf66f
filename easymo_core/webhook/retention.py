"""How long the raw bodies of webhook POSTs are kept.

Every POST is stored whole before the receiver answers 200 (``webhook_events.body``): it holds
every customer's text and number. Once ingested, what the console needs lives in ``messages``
and ``status_events``; the raw body is only evidence for a while (a replay, a bug report).
Ingested POSTs older than the retention are deleted; POSTs not yet ingested are never touched,
whatever their age, and ``status_events.webhook_event_id`` becomes NULL (ON DELETE SET NULL).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select

from easymo_core.storage.engine import Database
from easymo_core.storage.models import WebhookEvent, table_of
from easymo_core.storage.types import utcnow

DEFAULT_RETENTION_DAYS = 30
PURGE_INTERVAL_S = 6 * 3600.0
# Small deletes: a long one would hold the receiver's inserts up on SQLite.
PURGE_BATCH = 2000

_events = table_of(WebhookEvent)


def purge_webhook_bodies(db: Database, retention_days: int, *, now: datetime | None = None,
                         batch: int = PURGE_BATCH) -> int:
    """Delete ingested POSTs received more than ``retention_days`` ago; returns how many.

    ``retention_days`` 0 keeps everything (an explicit choice for an audit, say)."""
    if retention_days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    purged = 0
    while True:
        def one_batch(conn: Connection) -> int:
            oldest = (select(_events.c.id)
                      .where(_events.c.processed_at.is_not(None), _events.c.received_at < cutoff)
                      .order_by(_events.c.id).limit(batch))
            ids = list(conn.execute(oldest).scalars())
            if ids:
                conn.execute(delete(_events).where(_events.c.id.in_(ids)))
            return len(ids)

        n = db.transaction(one_batch)
        purged += n
        if n < batch:
            return purged
