"""Durable intake: make each webhook POST durable before answering 200, then ingest.

One writer thread takes POSTs from a bounded queue and group-commits them: every POST that
arrived while the previous commit ran goes into the next transaction, so the database sees
one commit per group, not per POST. Only after that commit is each POST's future resolved
and its 200 sent. The same thread then ingests the group; a failure there leaves the raw
rows unprocessed for :meth:`DurableIntake.recover`, never lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, insert, select, update

from easymo_core.messaging.ingest import SWEEP_INTERVAL_S, IngestResult, StatusIngest
from easymo_core.messaging.webhook_payload import WebhookBatch, parse_envelope
from easymo_core.storage.engine import Database
from easymo_core.storage.models import WebhookEvent, table_of
from easymo_core.storage.types import utcnow

log = logging.getLogger(__name__)
events_t = table_of(WebhookEvent)

MAX_GROUP = 256


class IntakeFull(Exception):
    """The queue is full: the receiver answers 503 so that Meta retries later."""


@dataclass
class _Item:
    body: bytes
    batch: WebhookBatch
    future: Future[int]


@dataclass
class IntakeStats:
    received: int = 0
    stored: int = 0
    ingested: int = 0
    failed_ingest: int = 0
    rejected_full: int = 0
    last_event_at: float | None = None


class DurableIntake:
    def __init__(
        self,
        db: Database,
        *,
        receiver_id: str = "embedded",
        max_queue: int = 1000,
        ingest: StatusIngest | None = None,
    ) -> None:
        self.db = db
        self.receiver_id = receiver_id
        self.ingest = ingest or StatusIngest(db)
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.stats = IntakeStats()
        self.listeners: list[Callable[[IngestResult], None]] = []
        self._next_sweep = 0.0

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="webhook-intake", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        # When full, the loop still sees _stopping between groups.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(timeout)
        self._thread = None

    def submit(self, body: bytes, batch: WebhookBatch) -> Future[int]:
        """Queue a verified, parsed POST; the future resolves once it is durable."""
        fut: Future[int] = Future()
        try:
            self._queue.put_nowait(_Item(body, batch, fut))
        except queue.Full:
            self.stats.rejected_full += 1
            raise IntakeFull from None
        self.stats.received += 1
        return fut

    # -- writer thread ---------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if first is None:
                break
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._stopping.set()
                    break
                group.append(nxt)
            self._process(group)
        # Answer whatever is still queued with an error: Meta will retry those POSTs.
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None and not item.future.done():
                item.future.set_exception(IntakeFull())

    def _process(self, group: list[_Item]) -> None:
        now = utcnow()
        try:
            with self.db.engine.begin() as conn:
                ids = list(
                    conn.execute(
                        insert(events_t).returning(events_t.c.id, sort_by_parameter_order=True),
                        [{"received_at": now, "body": it.body, "receiver": self.receiver_id} for it in group],
                    ).scalars()
                )
        except Exception as exc:
            log.error("could not store %d webhook POSTs: %s", len(group), exc)
            for it in group:
                it.future.set_exception(exc)
            return
        self.stats.stored += len(group)
        self.stats.last_event_at = time.time()
        for it, event_id in zip(group, ids, strict=True):
            it.future.set_result(event_id)
        self._ingest_group(list(zip(ids, (it.batch for it in group), strict=True)))

    def _ingest_group(self, pairs: list[tuple[int, WebhookBatch]]) -> IngestResult | None:
        def work(conn: Connection) -> IngestResult:
            total = self.ingest.ingest_group(conn, pairs)
            _mark_processed(conn, [p[0] for p in pairs])
            return total

        try:
            total = self.db.transaction(work)
        except Exception as exc:
            # The raw POSTs are durable; recover() will try them again.
            self.stats.failed_ingest += len(pairs)
            log.exception("ingest of %d webhook POSTs failed; kept for recovery: %s", len(pairs), exc)
            return None
        self.stats.ingested += len(pairs)
        self.ingest.after_commit(total)
        for listener in self.listeners:
            try:
                listener(total)
            except Exception:
                log.exception("webhook listener failed")
        return total

    def upkeep(self, now: float | None = None) -> None:
        """What a standalone receiver runs every second: recover() and, every
        SWEEP_INTERVAL_S (``now``: time.monotonic()), StatusIngest.sweep().

        It raises what the database raised; the caller reports it and tries again.
        """
        now = time.monotonic() if now is None else now
        self.recover()
        if now >= self._next_sweep:
            self.ingest.sweep()
            self._next_sweep = now + SWEEP_INTERVAL_S

    def recover(self, *, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> int:
        """Ingest stored POSTs nobody processed (a crash between store and ingest)."""
        cutoff = utcnow() - older_than
        query = (
            select(events_t.c.id, events_t.c.body)
            .where(events_t.c.processed_at.is_(None), events_t.c.received_at <= cutoff)
            .order_by(events_t.c.id)
            .limit(limit)
        )
        if self.db.dialect == "postgresql":
            # Several receivers share one database: each row is recovered by one of them.
            query = query.with_for_update(skip_locked=True)

        def work(conn: Connection) -> tuple[IngestResult, int]:
            total = IngestResult()
            rows = conn.execute(query).all()
            pairs: list[tuple[int, WebhookBatch]] = []
            for row in rows:
                try:
                    pairs.append((row.id, parse_envelope(json.loads(row.body))))
                except (ValueError, UnicodeDecodeError) as exc:
                    conn.execute(
                        update(events_t)
                        .where(events_t.c.id == row.id)
                        .values(processed_at=utcnow(), error=str(exc)[:500])
                    )
            if pairs:
                total = self.ingest.ingest_group(conn, pairs)
                _mark_processed(conn, [p[0] for p in pairs])
            return total, len(pairs)

        # Through db.transaction: a deadlock with a live writer is run again, not raised.
        total, recovered = self.db.transaction(work)
        self.ingest.after_commit(total)
        return recovered


def _mark_processed(conn: Connection, event_ids: list[int]) -> None:
    conn.execute(update(events_t).where(events_t.c.id.in_(event_ids)).values(processed_at=utcnow()))
