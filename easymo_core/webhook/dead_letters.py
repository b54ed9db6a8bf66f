"""The dead letters: stored POSTs that failed to ingest several times alone.

`easymo webhook dead-letters` lists them; `easymo webhook replay` ingests them again after
a fix (of the code, or of the database). A replayed letter is kept, marked with when.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from easymo_core.messaging.ingest import IngestResult, StatusIngest
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.storage.engine import Database
from easymo_core.storage.models import WebhookDeadLetter, WebhookEvent, table_of
from easymo_core.storage.types import utcnow
from easymo_core.webhook.storable import decode

dead_t = table_of(WebhookDeadLetter)
events_t = table_of(WebhookEvent)


@dataclass
class DeadLetter:
    id: int
    event_id: int | None
    received_at: datetime
    failed_at: datetime
    attempts: int
    error: str
    size: int
    body: bytes


@dataclass
class Replay:
    id: int
    ok: bool
    error: str | None


def count_dead_letters(db: Database) -> int:
    """Dead letters not replayed yet."""
    with db.engine.connect() as conn:
        return int(conn.execute(
            select(func.count()).select_from(dead_t).where(dead_t.c.replayed_at.is_(None))).scalar_one())


def list_dead_letters(db: Database) -> list[DeadLetter]:
    """Dead letters not replayed yet, oldest first."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(dead_t).where(dead_t.c.replayed_at.is_(None)).order_by(dead_t.c.id)).all()
    return [DeadLetter(r.id, r.event_id, r.received_at, r.failed_at, r.attempts, r.error,
                       len(r.body), r.body) for r in rows]


def replay(db: Database, ids: list[int] | None = None, ingest: StatusIngest | None = None) -> list[Replay]:
    """Ingest the dead letters ``ids`` (None: every one not replayed), each in its own
    transaction; one that fails again stays, with its new error."""
    ingest = ingest or StatusIngest(db)
    query = select(dead_t.c.id).where(dead_t.c.replayed_at.is_(None)).order_by(dead_t.c.id)
    if ids is not None:
        query = query.where(dead_t.c.id.in_(ids))
    with db.engine.connect() as conn:
        todo = list(conn.execute(query).scalars())
    results: list[Replay] = []
    for letter_id in todo:
        def work(conn: Connection, letter_id: int = letter_id) -> IngestResult:
            row = conn.execute(select(dead_t.c.body, dead_t.c.event_id)
                               .where(dead_t.c.id == letter_id)).one()
            batch = parse_envelope(decode(row.body, json.loads))
            # The statuses point at their stored POST while it is kept (it may have been pruned).
            event_id = row.event_id if row.event_id is not None and conn.execute(
                select(events_t.c.id).where(events_t.c.id == row.event_id)).first() else None
            total = ingest.ingest_group(conn, [(event_id, batch)])
            conn.execute(update(dead_t).where(dead_t.c.id == letter_id).values(replayed_at=utcnow()))
            return total

        try:
            total = db.transaction(work)
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(getattr(exc, 'orig', None) or exc).strip()[:400]}"
            with db.engine.begin() as conn:
                conn.execute(update(dead_t).where(dead_t.c.id == letter_id)
                             .values(error=error, failed_at=utcnow(), attempts=dead_t.c.attempts + 1))
            results.append(Replay(letter_id, False, error))
            continue
        ingest.after_commit(total)
        results.append(Replay(letter_id, True, None))
    return results
