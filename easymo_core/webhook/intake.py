"""Durable intake: make each webhook POST durable before answering 200, then ingest.

One writer thread takes POSTs from a bounded queue and group-commits them: every POST that
arrived while the previous commit ran goes into the next transaction, so the database sees
one commit per group, not per POST. Only after that commit is each POST's future resolved
and its 200 sent. The same thread then ingests the group; a failure there leaves the raw
rows unprocessed for :meth:`DurableIntake.recover`, never lost.

Nothing ends the writer: a POST whose receiver gave up waiting (its future cancelled) is
stored all the same, and an error is recorded for :meth:`DurableIntake.health`, not raised.
A group whose ingest fails for its content is split, each POST ingested alone; one that
keeps failing (MAX_ATTEMPTS, counted in ``webhook_events.attempts``) moves to
``webhook_dead_letters`` with its body and error, out of the way of every other POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import OperationalError

from easymo_core.messaging.ingest import SWEEP_INTERVAL_S, IngestResult, StatusIngest
from easymo_core.messaging.webhook_payload import WebhookBatch, parse_envelope
from easymo_core.storage.engine import Database
from easymo_core.storage.models import WebhookDeadLetter, WebhookEvent, table_of
from easymo_core.storage.types import utcnow
from easymo_core.webhook.storable import decode

log = logging.getLogger(__name__)
events_t = table_of(WebhookEvent)
dead_t = table_of(WebhookDeadLetter)

MAX_GROUP = 256
MAX_ATTEMPTS = 3
# A POST not durable after this long, or ingest failing for this long, makes /health 503.
STALL_AFTER_S = 10.0


class IntakeFull(Exception):
    """The queue is full: the receiver answers 503 so that Meta retries later."""


@dataclass
class _Item:
    body: bytes
    batch: WebhookBatch
    future: Future[int] | None
    # The receiver's own future on its event loop: a whole group is resolved with one wake-up
    # of that loop instead of one per POST (see _Answers).
    waiter: asyncio.Future[int] | None = None
    submitted: float = field(default_factory=time.monotonic)


class _Answers:
    """The group's outcomes, handed to each event loop in one call_soon_threadsafe."""

    def __init__(self) -> None:
        self._by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int | None,
                                                                  BaseException | None]]] = {}

    def add(self, item: _Item, result: int | None = None, error: BaseException | None = None) -> None:
        if item.future is not None:
            _settle(item.future, result, error)
        if item.waiter is not None:
            self._by_loop.setdefault(item.waiter.get_loop(), []).append((item.waiter, result, error))

    def send(self) -> None:
        for loop, answers in self._by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_resolve_waiters, answers)
        self._by_loop = {}


def _resolve_waiters(answers: list[tuple[asyncio.Future[int], int | None, BaseException | None]]) -> None:
    """On the receiver's loop; a waiter cancelled after its timeout is left alone."""
    for waiter, result, error in answers:
        if waiter.done():
            continue
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(result if result is not None else 0)


@dataclass
class IntakeStats:
    received: int = 0
    stored: int = 0
    ingested: int = 0
    failed_ingest: int = 0
    failed_store: int = 0
    dead_lettered: int = 0
    rejected_full: int = 0
    last_event_at: float | None = None


@dataclass
class IntakeHealth:
    """What /health reports; ``problems`` empty means healthy."""

    writer_alive: bool
    queue_depth: int
    oldest_pending_s: float | None
    last_error: str | None
    last_error_age_s: float | None
    failing_for_s: float | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _settle(fut: Future[int], result: int | None = None, error: BaseException | None = None) -> None:
    """Resolve a POST's future unless its receiver already gave up on it (cancelled after
    its timeout: that POST was answered 503 and Meta sends it again)."""
    if fut.done():
        return
    with contextlib.suppress(InvalidStateError):  # cancelled between the check and here
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result if result is not None else 0)


def database_unavailable(exc: BaseException) -> bool:
    """The database, not the POST, is the problem: locked, unreachable, out of space.
    Such a failure is no reason to suspect the POST nor to count it as an attempt."""
    return isinstance(exc, OperationalError)


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]


class DurableIntake:
    def __init__(
        self,
        db: Database,
        *,
        receiver_id: str = "embedded",
        max_queue: int = 1000,
        ingest: StatusIngest | None = None,
        stall_after_s: float = STALL_AFTER_S,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.db = db
        self.receiver_id = receiver_id
        self.ingest = ingest or StatusIngest(db)
        self.stall_after_s = stall_after_s
        self.max_attempts = max_attempts
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.stats = IntakeStats()
        self.listeners: list[Callable[[IngestResult], None]] = []
        self._next_sweep = 0.0
        # Oldest submit time of the group being written (monotonic), None between groups.
        self._inflight_since: float | None = None
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._failing_since: float | None = None

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    @property
    def writer_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
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
        self._put(_Item(body, batch, fut))
        return fut

    def submit_async(self, body: bytes, batch: WebhookBatch) -> asyncio.Future[int]:
        """As submit(), from a coroutine: a future of the running loop."""
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._put(_Item(body, batch, None, waiter))
        return waiter

    def _put(self, item: _Item) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.stats.rejected_full += 1
            raise IntakeFull from None
        self.stats.received += 1

    # -- health ----------------------------------------------------------------------
    def oldest_pending_s(self, now: float | None = None) -> float | None:
        """Age of the oldest POST submitted and not yet durable (stored or refused)."""
        now = time.monotonic() if now is None else now
        since = self._inflight_since
        if since is None:
            with self._queue.mutex:
                head = self._queue.queue[0] if self._queue.queue else None
            since = head.submitted if head is not None else None
        return None if since is None else max(0.0, now - since)

    def health(self) -> IntakeHealth:
        now = time.monotonic()
        oldest = self.oldest_pending_s(now)
        alive = self.writer_alive
        problems: list[str] = []
        if not alive:
            problems.append("the intake's writer is not running")
        if oldest is not None and oldest > self.stall_after_s:
            problems.append(f"a POST has waited {oldest:.1f} s to be stored")
        failing = None if self._failing_since is None else now - self._failing_since
        if failing is not None and failing > self.stall_after_s:
            problems.append(f"ingest failing for {failing:.1f} s: {self._last_error}")
        return IntakeHealth(
            writer_alive=alive,
            queue_depth=self.depth,
            oldest_pending_s=None if oldest is None else round(oldest, 3),
            last_error=self._last_error,
            last_error_age_s=None if self._last_error_at is None else round(now - self._last_error_at, 1),
            failing_for_s=None if failing is None else round(failing, 1),
            problems=problems,
        )

    def _failed(self, exc: BaseException) -> None:
        self._last_error = _one_line(exc)
        self._last_error_at = time.monotonic()
        if self._failing_since is None:
            self._failing_since = self._last_error_at

    def _succeeded(self) -> None:
        self._failing_since = None

    # -- writer thread ---------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            group: list[_Item] = []
            try:
                try:
                    first = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                if first is None:
                    break
                group.append(first)
                while len(group) < MAX_GROUP:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        self._stopping.set()
                        break
                    group.append(nxt)
                self._inflight_since = group[0].submitted
                self._process(group)
            except Exception as exc:
                # A bug of ours must not end the writer: every later POST would wait for
                # nothing. Its group is answered 503 (Meta retries); what was stored stays.
                self._failed(exc)
                log.exception("webhook intake: a group of %d POSTs failed", len(group))
                answers = _Answers()
                for it in group:
                    answers.add(it, error=exc)
                answers.send()
            finally:
                self._inflight_since = None
        # Answer whatever is still queued with an error: Meta will retry those POSTs.
        answers = _Answers()
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                answers.add(item, error=IntakeFull())
        answers.send()

    def _process(self, group: list[_Item]) -> None:
        """Store and ingest the group in one transaction: one commit, and the rows written
        processed, with no second statement to mark them. When that fails for anything but
        the database itself, the group is stored alone and ingested POST by POST."""
        now = utcnow()
        rows = [{"received_at": now, "body": it.body, "receiver": self.receiver_id} for it in group]

        def store_and_ingest(conn: Connection) -> tuple[list[int], IngestResult]:
            ids = self._insert(conn, [{**r, "processed_at": now} for r in rows])
            pairs = list(zip(ids, (it.batch for it in group), strict=True))
            return ids, self.ingest.ingest_group(conn, pairs)

        try:
            ids, total = self.db.transaction(store_and_ingest)
        except Exception as exc:
            if database_unavailable(exc):
                self._store_failed(group, exc)
                return
            log.warning("ingest of a group of %d webhook POSTs failed (%s); storing them, then "
                        "ingesting each alone", len(group), _one_line(exc))
            self._failed(exc)
            self._store_then_ingest(group, rows)
            return
        self._stored(group, ids)
        self._succeeded()
        self.stats.ingested += len(group)
        self._after_ingest(total)

    def _insert(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        return list(conn.execute(
            insert(events_t).returning(events_t.c.id, sort_by_parameter_order=True), rows).scalars())

    def _stored(self, group: list[_Item], ids: list[int]) -> None:
        self.stats.stored += len(group)
        self.stats.last_event_at = time.time()
        answers = _Answers()
        for it, event_id in zip(group, ids, strict=True):
            answers.add(it, event_id)
        answers.send()
        self._inflight_since = None  # durable: what follows is ingest, not storage

    def _store_failed(self, group: list[_Item], exc: BaseException) -> None:
        self.stats.failed_store += len(group)
        self._failed(exc)
        log.error("could not store %d webhook POSTs: %s", len(group), _one_line(exc))
        answers = _Answers()
        for it in group:
            answers.add(it, error=exc)
        answers.send()

    def _store_then_ingest(self, group: list[_Item], rows: list[dict[str, Any]]) -> None:
        try:
            with self.db.engine.begin() as conn:
                ids = self._insert(conn, rows)
        except Exception as exc:
            self._store_failed(group, exc)
            return
        self._stored(group, ids)
        self._ingest_split(list(zip(ids, (it.batch for it in group), strict=True)))

    def _ingest_pairs(self, pairs: list[tuple[int, WebhookBatch]]) -> IngestResult:
        """Ingest ``pairs`` and mark them processed, in one transaction; raises."""
        def work(conn: Connection) -> IngestResult:
            total = self.ingest.ingest_group(conn, pairs)
            _mark_processed(conn, [p[0] for p in pairs])
            return total

        total = self.db.transaction(work)
        self._succeeded()
        self.stats.ingested += len(pairs)
        self._after_ingest(total)
        return total

    def _after_ingest(self, total: IngestResult) -> None:
        self.ingest.after_commit(total)
        for listener in self.listeners:
            try:
                listener(total)
            except Exception:
                log.exception("webhook listener failed")

    def _ingest_split(self, pairs: list[tuple[int, WebhookBatch]]) -> None:
        """Ingest the group in one transaction; when that fails for its content, each POST
        alone, so that one bad POST holds back none of the others."""
        try:
            self._ingest_pairs(pairs)
            return
        except Exception as exc:
            self._failed(exc)
            if database_unavailable(exc) or len(pairs) == 1:
                # The raw POSTs are durable; recover() will try them again.
                self.stats.failed_ingest += len(pairs)
                log.warning("ingest of %d webhook POSTs failed; kept for recovery: %s",
                            len(pairs), _one_line(exc))
                if len(pairs) == 1 and not database_unavailable(exc):
                    self._count_failure(pairs[0][0], exc)
                return
            log.warning("ingest of a group of %d webhook POSTs failed (%s); ingesting each alone",
                        len(pairs), _one_line(exc))
        for pair in pairs:
            self._ingest_split([pair])

    def _count_failure(self, event_id: int, exc: BaseException) -> None:
        """One more failed attempt of this POST alone; at max_attempts, a dead letter."""
        error = _one_line(exc)

        def work(conn: Connection) -> bool:
            row = conn.execute(
                select(events_t.c.attempts, events_t.c.received_at, events_t.c.body)
                .where(events_t.c.id == event_id, events_t.c.processed_at.is_(None))
            ).first()
            if row is None:
                return False
            attempts = row.attempts + 1
            done = attempts >= self.max_attempts
            conn.execute(
                update(events_t).where(events_t.c.id == event_id).values(
                    attempts=attempts, error=error, processed_at=utcnow() if done else None)
            )
            if done:
                _dead_letter(conn, event_id, row.received_at, row.body, error, attempts)
            return done

        try:
            if self.db.transaction(work):
                self.stats.dead_lettered += 1
                log.error("webhook POST %d moved to the dead letters after %d failed ingests: %s",
                          event_id, self.max_attempts, error)
        except Exception as count_exc:
            log.warning("could not count the failed ingest of webhook POST %d: %s",
                        event_id, _one_line(count_exc))

    # -- upkeep and recovery ----------------------------------------------------------
    def upkeep(self, now: float | None = None) -> None:
        """What a standalone receiver runs every second: recover() and, every
        SWEEP_INTERVAL_S (``now``: time.monotonic()), StatusIngest.sweep().

        Each runs whatever the other did: a failing recovery never holds back the sweep.
        It raises the first error the database raised; the caller reports it and tries again.
        """
        now = time.monotonic() if now is None else now
        first: Exception | None = None
        try:
            self.recover()
        except Exception as exc:
            first = exc
        if now >= self._next_sweep:
            try:
                self.ingest.sweep()
                self._next_sweep = now + SWEEP_INTERVAL_S
            except Exception as exc:
                first = first or exc
        if first is not None:
            raise first

    def recover(self, *, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> int:
        """Ingest stored POSTs nobody processed (a crash between store and ingest, or an
        ingest that failed); all in one transaction, or each alone when that fails."""
        cutoff = utcnow() - older_than
        query = (
            select(events_t.c.id, events_t.c.body, events_t.c.received_at)
            .where(events_t.c.processed_at.is_(None), events_t.c.received_at <= cutoff)
            .order_by(events_t.c.id)
            .limit(limit)
        )
        if self.db.dialect == "postgresql":
            # Several receivers share one database: each row is recovered by one of them.
            query = query.with_for_update(skip_locked=True)

        def work(conn: Connection) -> tuple[IngestResult, list[int]]:
            total = IngestResult()
            pairs: list[tuple[int, WebhookBatch]] = []
            for row in conn.execute(query).all():
                batch = _parse(row.body)
                if isinstance(batch, str):
                    _unparseable(conn, row.id, row.received_at, row.body, batch)
                    continue
                pairs.append((row.id, batch))
            if pairs:
                total = self.ingest.ingest_group(conn, pairs)
                _mark_processed(conn, [p[0] for p in pairs])
            return total, [p[0] for p in pairs]

        try:
            # Through db.transaction: a deadlock with a live writer is run again, not raised.
            total, ids = self.db.transaction(work)
        except Exception as exc:
            if database_unavailable(exc):
                raise
            log.warning("recovery of stored webhook POSTs failed (%s); recovering each alone",
                        _one_line(exc))
            return self._recover_each(cutoff, limit)
        self.ingest.after_commit(total)
        return len(ids)

    def _recover_each(self, cutoff: datetime, limit: int) -> int:
        with self.db.engine.connect() as conn:
            ids = list(conn.execute(
                select(events_t.c.id)
                .where(events_t.c.processed_at.is_(None), events_t.c.received_at <= cutoff)
                .order_by(events_t.c.id).limit(limit)
            ).scalars())
        recovered = 0
        for event_id in ids:
            query = select(events_t.c.id, events_t.c.body, events_t.c.received_at).where(
                events_t.c.id == event_id, events_t.c.processed_at.is_(None))
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)

            def work(conn: Connection, query: Any = query) -> IngestResult | None:
                row = conn.execute(query).first()
                if row is None:
                    return None  # another receiver has it, or it is done
                batch = _parse(row.body)
                if isinstance(batch, str):
                    _unparseable(conn, row.id, row.received_at, row.body, batch)
                    return None
                total = self.ingest.ingest_group(conn, [(row.id, batch)])
                _mark_processed(conn, [row.id])
                return total

            try:
                total = self.db.transaction(work)
            except Exception as exc:
                if database_unavailable(exc):
                    raise
                self._failed(exc)
                self._count_failure(event_id, exc)
                continue
            if total is not None:
                self.ingest.after_commit(total)
                recovered += 1
        return recovered


def _parse(body: bytes) -> WebhookBatch | str:
    """The stored body parsed, or why it cannot be."""
    try:
        return parse_envelope(decode(body, json.loads))
    except (ValueError, UnicodeDecodeError, TypeError, KeyError, RecursionError) as exc:
        return _one_line(exc)


def _unparseable(conn: Connection, event_id: int, received_at: datetime, body: bytes, error: str) -> None:
    """Not a webhook at all (stored by an older receiver): no retry can help."""
    _dead_letter(conn, event_id, received_at, body, error, 1)
    conn.execute(update(events_t).where(events_t.c.id == event_id)
                 .values(processed_at=utcnow(), error=error))


def _dead_letter(conn: Connection, event_id: int | None, received_at: datetime, body: bytes,
                 error: str, attempts: int) -> None:
    conn.execute(insert(dead_t).values(
        event_id=event_id, received_at=received_at, failed_at=utcnow(), body=body,
        error=error[:2000], attempts=attempts))


def _mark_processed(conn: Connection, event_ids: list[int]) -> None:
    conn.execute(update(events_t).where(events_t.c.id.in_(event_ids)).values(processed_at=utcnow()))
