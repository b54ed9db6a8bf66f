"""What changed in the shared database since the last look: messages and status events.

Many writers (webhook receivers, consoles, the CLI) commit to one database, so a plain
"greater than the last id" cursor would lose rows: an id or a timestamp is taken when a
row is written, but other readers only see it when its transaction commits, which may be
after a later row is already visible. The feed therefore re-reads a small **overlap
window** behind its cursor on every poll and drops what it has already reported:

- messages by ``updated_at`` (every write of a message row sets it: a new message, a
  status applied, a send answered), re-reading ``overlap_ms`` behind the newest value seen
  and deduplicating on ``(id, updated_at)``;
- status events by ``id`` (append-only, ids from a sequence or the SQLite rowid),
  re-reading ``overlap_ids`` ids behind the highest id seen and deduplicating on id.

A row committed later than the overlap allows (a transaction open longer than
``overlap_ms``, or a writer whose clock lags by more) is not reported; the defaults cover
seconds of commit delay and clock skew. The feed only reads: many consoles can poll one
PostgreSQL without taking a lock, each with its own cursor in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Row, func, select, type_coerce

from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, StatusEvent, table_of
from easymo_core.storage.types import from_ms

DEFAULT_OVERLAP_MS = 10_000
DEFAULT_OVERLAP_IDS = 2_000
PAGE = 2_000


def _ms(column: ColumnElement[Any]) -> ColumnElement[int]:
    """The raw integer milliseconds of an EpochMs column (no datetime round trip)."""
    return type_coerce(column, BigInteger)


@dataclass(frozen=True)
class MessageChange:
    """A message written since the last poll (created, or its status moved)."""

    id: int
    wamid: str | None
    direction: str
    contact_wa_id: str
    status: str
    created_at: datetime
    updated_at: datetime
    # First report of a message created after the feed started (the log puts it on top).
    is_new: bool


@dataclass(frozen=True)
class StatusChange:
    """A status event Meta reported (webhook, sandbox or import), newly visible."""

    id: int
    wamid: str
    status: str
    meta_ts: datetime
    error_code: int | None
    applied: bool


@dataclass(frozen=True)
class FeedCursor:
    messages_ms: int
    events_id: int


@dataclass(frozen=True)
class ChangeBatch:
    messages: tuple[MessageChange, ...] = ()
    events: tuple[StatusChange, ...] = ()
    cursor: FeedCursor = field(default_factory=lambda: FeedCursor(0, 0))

    @property
    def empty(self) -> bool:
        return not self.messages and not self.events

    def message_ids(self) -> set[int]:
        return {m.id for m in self.messages}

    def new_ids(self) -> list[int]:
        return [m.id for m in self.messages if m.is_new]

    def wamids(self) -> set[str]:
        return {e.wamid for e in self.events} | {m.wamid for m in self.messages if m.wamid}


class ChangeFeed:
    """A per-process cursor over the shared database; ``poll()`` returns a ChangeBatch.

    The first poll (or :meth:`start`) places the cursor at the newest rows: what was
    already there is not reported. ``poll`` is safe to call from one thread at a time
    (the scheduler never runs it twice at once); a lock guards misuse.
    """

    def __init__(self, db: Database, *, overlap_ms: int = DEFAULT_OVERLAP_MS,
                 overlap_ids: int = DEFAULT_OVERLAP_IDS, page: int = PAGE) -> None:
        self.db = db
        self.overlap_ms, self.overlap_ids, self.page = overlap_ms, overlap_ids, page
        self._lock = threading.Lock()
        self._started = False
        self._messages_ms = 0
        self._events_id = 0
        # What was reported inside the overlap windows, to drop repeats.
        self._seen_messages: dict[int, int] = {}  # id -> updated_at ms
        self._seen_events: set[int] = set()

    @property
    def cursor(self) -> FeedCursor:
        return FeedCursor(self._messages_ms, self._events_id)

    def start(self) -> FeedCursor:
        """Put the cursor at the newest rows now in the database."""
        with self._lock:
            self._start_locked()
            return self.cursor

    def _start_locked(self) -> None:
        m, e = table_of(Message), table_of(StatusEvent)
        with self.db.engine.connect() as conn:
            newest_ms = conn.execute(select(func.max(_ms(m.c.updated_at)))).scalar()
            newest_id = conn.execute(select(func.max(e.c.id))).scalar()
        self._messages_ms = int(newest_ms or 0)
        self._events_id = int(newest_id or 0)
        self._started = True
        # Rows already inside the windows count as seen: the start reports nothing old.
        self._prime()

    def _prime(self) -> None:
        m, e = table_of(Message), table_of(StatusEvent)
        with self.db.engine.connect() as conn:
            for row in conn.execute(
                select(m.c.id, _ms(m.c.updated_at).label("ms"))
                .where(m.c.updated_at >= self._messages_ms - self.overlap_ms)
            ):
                self._seen_messages[int(row.id)] = int(row.ms)
            for (eid,) in conn.execute(select(e.c.id).where(e.c.id > self._events_id - self.overlap_ids)):
                self._seen_events.add(int(eid))

    def poll(self) -> ChangeBatch:
        with self._lock:
            if not self._started:
                self._start_locked()
                return ChangeBatch(cursor=self.cursor)
            messages = self._poll_messages()
            events = self._poll_events()
            return ChangeBatch(tuple(messages), tuple(events), self.cursor)

    # -- messages --------------------------------------------------------------------
    def _poll_messages(self) -> list[MessageChange]:
        m = table_of(Message)
        low = self._messages_ms - self.overlap_ms
        changed: list[tuple[int, int]] = []
        newest = self._messages_ms
        last: tuple[int, int] | None = None
        with self.db.engine.connect() as conn:
            # Keyset pages over (updated_at, id): a burst larger than a page is read in full.
            while True:
                q = select(m.c.id, _ms(m.c.updated_at).label("ms")).where(m.c.updated_at >= low)
                if last is not None:
                    q = q.where((m.c.updated_at > last[0])
                                | ((m.c.updated_at == last[0]) & (m.c.id > last[1])))
                rows = conn.execute(q.order_by(m.c.updated_at, m.c.id).limit(self.page)).all()
                for row in rows:
                    mid, ms = int(row.id), int(row.ms)
                    newest = max(newest, ms)
                    if self._seen_messages.get(mid) != ms:
                        changed.append((mid, ms))
                if len(rows) < self.page:
                    break
                last = (int(rows[-1].ms), int(rows[-1].id))
            details = self._message_rows(conn, [mid for mid, _ in changed])
        out: list[MessageChange] = []
        for mid, ms in changed:
            found = details.get(mid)
            if found is None:
                continue  # deleted meanwhile
            created = int(found.created_ms)
            # Never reported nor there at the start, and created inside the window: new.
            is_new = mid not in self._seen_messages and created >= low
            self._seen_messages[mid] = ms
            out.append(MessageChange(
                id=mid, wamid=found.wamid, direction=found.direction,
                contact_wa_id=found.contact_wa_id, status=found.status,
                created_at=from_ms(created), updated_at=from_ms(ms), is_new=is_new,
            ))
        self._messages_ms = newest
        self._prune_messages()
        return out

    def _message_rows(self, conn: Connection, ids: Iterable[int]) -> dict[int, Row[Any]]:
        m = table_of(Message)
        wanted = list(ids)
        found: dict[int, Row[Any]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            q = select(m.c.id, m.c.wamid, m.c.direction, m.c.contact_wa_id, m.c.status,
                       _ms(m.c.created_at).label("created_ms")).where(m.c.id.in_(chunk))
            for row in conn.execute(q):
                found[int(row.id)] = row
        return found

    def _prune_messages(self) -> None:
        low = self._messages_ms - self.overlap_ms
        self._seen_messages = {k: v for k, v in self._seen_messages.items() if v >= low}

    # -- status events ---------------------------------------------------------------
    def _poll_events(self) -> list[StatusChange]:
        e = table_of(StatusEvent)
        low = self._events_id - self.overlap_ids
        out: list[StatusChange] = []
        newest = self._events_id
        after = low
        with self.db.engine.connect() as conn:
            while True:
                rows = conn.execute(
                    select(e.c.id, e.c.wamid, e.c.status, e.c.meta_ts, e.c.error_code, e.c.applied)
                    .where(e.c.id > after).order_by(e.c.id).limit(self.page)
                ).all()
                for row in rows:
                    eid = int(row.id)
                    newest = max(newest, eid)
                    if eid in self._seen_events:
                        continue
                    self._seen_events.add(eid)
                    out.append(StatusChange(eid, row.wamid, row.status, row.meta_ts,
                                            row.error_code, bool(row.applied)))
                if len(rows) < self.page:
                    break
                after = int(rows[-1].id)
        self._events_id = newest
        floor = newest - self.overlap_ids
        self._seen_events = {i for i in self._seen_events if i > floor}
        return out
