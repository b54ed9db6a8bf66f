"""The per-contact flow state machine, driven by inbound messages.

Hook: the engine listens to :class:`StatusIngest` *after* the ingest transaction commits
(``StatusIngest.committed_listeners``), so the ingest stays the one path for inbound
messages and statuses and the engine never sends from inside its transaction. Every answer
goes out through the :class:`MessageProcessor` with ``source="flow"`` and an idempotency
key derived from the state and its history length, so handling the same step twice can
never send twice.

A contact has at most one active flow: starting another abandons the first ("superseded").
An inbound message while a flow is active is the answer to its current step: an expected
reply moves the flow on (recording ``reply`` then ``entered``, and ``completed`` on an end
step); anything else gets the step's retry prompt until ``max_retries``, then the step's
``on_fail`` step or abandonment. An inbound text equal to a flow's trigger starts that flow
when none is active.

Concurrency: every change is one conditional UPDATE on the state row that matches the
``current_step``, ``retries`` and ``updated_at`` the decision was made from (``updated_at``
strictly increases on every change). Two messages handled at once by two receivers, or a
reply racing :meth:`FlowEngine.expire_due`, cannot both advance the same step: the loser
sees no row updated and drops its decision (the message itself is already recorded).

Satisfaction: a reply stored as ``satisfaction`` (1-5) is written to the history and to
``conversation_sessions.satisfaction`` of the contact's current session: the session the
analytics triggers put the rating message in (``messages.session_id``), else the contact's
latest session. With no session row at all it lives in the history only, where analytics
can still read it. The same session gets ``flow_completed`` (true on completion; false on
abandonment unless a flow already completed in it).

Timeouts: each waiting step has ``step_deadline_at``; :meth:`FlowEngine.expire_due` (the
scheduler, ``easymo webhook serve`` and the sandbox stack call it periodically) abandons
states past it, idempotently. A reply that arrives after the deadline but before the sweep
abandons the state too rather than reviving it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import desc, insert, select, update
from sqlalchemy.engine import Connection

from easymo_core.cloudapi import limits
from easymo_core.cloudapi.phone import normalize_phone
from easymo_core.errors import EasymoError
from easymo_core.flows.definition import SATISFACTION, FlowDefinition, Step
from easymo_core.flows.errors import FlowStartRefused
from easymo_core.flows.history import clip, event
from easymo_core.flows.library import FlowLibrary
from easymo_core.flows.parse import rating_of
from easymo_core.messaging.ingest import IngestResult, StatusIngest
from easymo_core.messaging.outcome import SendOutcome
from easymo_core.messaging.webhook_payload import InboundRecord
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Contact, ConversationSession, FlowState, Message, table_of
from easymo_core.storage.types import from_ms, to_ms, utcnow

log = logging.getLogger(__name__)
states_t = table_of(FlowState)
sessions_t = table_of(ConversationSession)
contacts_t = table_of(Contact)
messages_t = table_of(Message)

SOURCE = "flow"


@dataclass(frozen=True)
class _Snap:
    """The state row as a decision was made from it."""

    id: int
    flow_id: int
    contact: str
    waba_id: str  # the run's account: that of the message that started it
    step: str | None
    retries: int
    updated_ms: int
    deadline_ms: int | None
    history: list[dict[str, Any]]


@dataclass(frozen=True)
class _Match:
    next: str
    reply: str | None
    value: Any


@dataclass(frozen=True)
class Handled:
    """What one inbound message did: ``action`` is one of ignored, started, advanced,
    completed, retry, fallback, abandoned, stale (another handler won the race)."""

    action: str
    state_id: int | None = None
    step: str | None = None


@dataclass(frozen=True)
class Started:
    state_id: int
    flow: str
    step: str
    outcome: SendOutcome | EasymoError | None
    status: str


class FlowEngine:
    def __init__(
        self,
        db: Database,
        processor: Any,
        library: FlowLibrary | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.processor = processor
        self.library = library or FlowLibrary(db)
        self.clock = clock
        self._queue: queue.Queue[InboundRecord | None] | None = None
        self._thread: threading.Thread | None = None
        self._sweep_every = 30.0

    @property
    def waba_id(self) -> str:
        """The account this engine answers for: its processor's profile's (it sends from that
        profile's number); '' for a processor that names none."""
        profile = getattr(self.processor, "profile", None)
        return str(getattr(profile, "waba_id", "") or "")

    # -- wiring --------------------------------------------------------------------------
    def attach(self, ingest: StatusIngest) -> None:
        """Drive flows from what ``ingest`` commits (idempotent)."""
        if self.on_ingested not in ingest.committed_listeners:
            ingest.committed_listeners.append(self.on_ingested)

    def on_ingested(self, result: IngestResult) -> None:
        """Post-commit listener: new inbound messages only (duplicates never reach here)."""
        for rec in result.inbound:
            if self._queue is not None:
                self._queue.put(rec)
            else:
                self._handle_safely(rec)

    def start_background(self, *, sweep_every: float = 30.0) -> None:
        """Handle inbound messages on a worker thread (so a slow send never holds up the
        webhook intake) and sweep timeouts every ``sweep_every`` seconds. One worker keeps
        one contact's messages in order."""
        if self._thread is not None:
            return
        self._sweep_every = sweep_every
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="flow-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        q, thread = self._queue, self._thread
        if q is None or thread is None:
            return
        q.put(None)
        thread.join(timeout)
        self._queue = None
        self._thread = None

    def _run(self) -> None:
        assert self._queue is not None
        q = self._queue
        next_sweep = 0.0
        while True:
            wait = max(0.0, next_sweep - time.monotonic())
            try:
                rec = q.get(timeout=wait) if wait > 0 else q.get_nowait()
            except queue.Empty:
                rec = None
                if time.monotonic() >= next_sweep:
                    self._sweep_safely()
                    next_sweep = time.monotonic() + self._sweep_every
                continue
            if rec is None:
                return
            self._handle_safely(rec)

    def _handle_safely(self, rec: InboundRecord) -> None:
        try:
            self.handle_inbound(rec)
        except Exception:
            # A flow problem must never break the ingest or the worker: log and go on.
            log.exception("flow handling of inbound %s failed", rec.wamid)

    def _sweep_safely(self) -> None:
        try:
            self.expire_due()
        except Exception:
            log.exception("flow timeout sweep failed")

    # -- starting ------------------------------------------------------------------------
    def start(self, name: str, to: str, *, force: bool = False, waba_id: str | None = None) -> Started:
        """Start flow ``name`` for ``to`` and send its first step.

        The run belongs to ``waba_id`` (the account of the message that triggered it), else
        to this engine's account. Refused when the first step is free-form and the contact
        has no open 24-hour window with that account (Meta would fail it with 131047),
        unless ``force``.
        """
        stored = self.library.get(name)
        definition = stored.definition
        wa_id = normalize_phone(to)
        waba = self.waba_id if waba_id is None else waba_id
        first = definition.step(definition.start)
        if not force and first.message.kind != "template" and not self._window_open(wa_id, waba):
            raise FlowStartRefused(
                f"flow {name!r} starts with a {first.message.kind} message and {wa_id} has not written "
                "in the last 24 hours (Meta would refuse it with 131047)",
                hint="start it after the contact writes, begin the flow with a template step, or use --force",
            )
        now = self.clock()
        now_ms = to_ms(now)
        with self.db.engine.begin() as conn:
            self._supersede(conn, wa_id, waba, now_ms)
            key_index = 0
            history = [event(first.id, now_ms, "entered", via="start", key=None)]
            status, deadline, completed = self._after_entering(first, now_ms, history)
            state_id = int(
                conn.execute(
                    insert(states_t).returning(states_t.c.id),
                    {
                        "flow_id": stored.id,
                        "contact_wa_id": wa_id,
                        "waba_id": waba,
                        "status": status,
                        "current_step": first.id,
                        "retries": 0,
                        "history": history,
                        "started_at": now_ms,
                        "updated_at": now_ms,
                        "completed_at": completed,
                        "step_deadline_at": deadline,
                        "session_id": self._latest_session(conn, wa_id, waba),
                    },
                ).scalar_one()
            )
            # The key names the state and the event index, known only after the insert.
            key = _key(state_id, key_index)
            history[0]["key"] = key
            conn.execute(update(states_t).where(states_t.c.id == state_id).values(history=history))
            if status == "completed":
                self._session_flag(conn, wa_id, waba, completed=True)
        outcome = self._send_step(state_id, wa_id, first, key)
        snap = _Snap(state_id, stored.id, wa_id, waba, first.id, 0, now_ms, deadline, history)
        if status == "active" and not _sent(outcome):
            status = "abandoned" if self._abandon(snap, "send_failed", _error_of(outcome)) else status
        return Started(state_id, definition.name, first.id, outcome, status)

    def _supersede(self, conn: Connection, wa_id: str, waba_id: str, now_ms: int) -> None:
        rows = conn.execute(
            select(states_t).where(states_t.c.contact_wa_id == wa_id, states_t.c.waba_id == waba_id,
                                   states_t.c.status == "active")
        ).all()
        for row in rows:
            snap = _snap(row)
            self._commit(
                conn,
                snap,
                [event(snap.step or "", now_ms, "abandoned", reason="superseded")],
                status="abandoned",
                step=snap.step,
                retries=snap.retries,
                deadline=None,
                now_ms=now_ms,
            )

    # -- inbound -------------------------------------------------------------------------
    def handle_inbound(self, rec: InboundRecord) -> Handled:
        """Move ``rec.from_wa_id``'s active flow on by one inbound message.

        A message to another account's number is not this engine's: it would answer from
        its own profile's number, to a contact of that other account."""
        waba = rec.waba_id or self.waba_id
        if self.waba_id and waba != self.waba_id:
            return Handled("ignored")
        snap = self._active(rec.from_wa_id, waba)
        now_ms = to_ms(self.clock())
        if snap is not None and snap.deadline_ms is not None and now_ms > snap.deadline_ms:
            self._abandon(snap, "timeout")
            snap = None
        if snap is None:
            return self._maybe_trigger(rec)
        stored = self.library.by_id(snap.flow_id)
        step = stored.definition.steps.get(snap.step or "") if stored else None
        if stored is None or step is None:
            done = self._abandon(snap, "step_removed")
            return Handled("abandoned" if done else "stale", snap.id, snap.step)
        match = _match(step, rec)
        if match is not None:
            return self._advance(snap, stored.definition, step, match, rec, now_ms)
        return self._unexpected(snap, stored.definition, step, rec, now_ms)

    def _maybe_trigger(self, rec: InboundRecord) -> Handled:
        if rec.type != "text" or not rec.body:
            return Handled("ignored")
        name = self.library.triggers().get(rec.body.strip().casefold())
        if name is None:
            return Handled("ignored")
        # The contact just wrote, so the window is open whatever the local clock says.
        started = self.start(name, rec.from_wa_id, force=True, waba_id=rec.waba_id or self.waba_id)
        return Handled("started", started.state_id, started.step)

    def _advance(
        self,
        snap: _Snap,
        definition: FlowDefinition,
        step: Step,
        match: _Match,
        rec: InboundRecord,
        now_ms: int,
    ) -> Handled:
        nxt = definition.step(match.next)
        store = {"store": step.store, "value": match.value} if step.store else {}
        events = [
            event(step.id, now_ms, "reply", reply=clip(match.reply), next=nxt.id, wamid=rec.wamid, **store)
        ]
        key = _key(snap.id, len(snap.history) + 1)
        events.append(event(nxt.id, now_ms, "entered", via="reply", key=key))
        status, deadline, completed = self._after_entering(nxt, now_ms, events)
        with self.db.engine.begin() as conn:
            done = self._commit(
                conn,
                snap,
                events,
                status=status,
                step=nxt.id,
                retries=0,
                deadline=deadline,
                now_ms=now_ms,
                completed_at=completed,
            )
            if not done:
                return Handled("stale", snap.id, snap.step)
            if step.store == SATISFACTION:
                self._set_satisfaction(conn, snap, int(match.value), rec.wamid)
            if status == "completed":
                self._session_flag(conn, snap.contact, snap.waba_id, completed=True, wamid=rec.wamid)
        outcome = self._send_step(snap.id, snap.contact, nxt, key)
        if status == "active" and not _sent(outcome):
            self._abandon(self._reload(snap.id), "send_failed", _error_of(outcome))
            return Handled("abandoned", snap.id, nxt.id)
        return Handled("completed" if status == "completed" else "advanced", snap.id, nxt.id)

    def _unexpected(
        self, snap: _Snap, definition: FlowDefinition, step: Step, rec: InboundRecord, now_ms: int
    ) -> Handled:
        reply = clip(rec.reply_id or rec.body or f"<{rec.type}>")
        if snap.retries < step.max_retries:
            retries = snap.retries + 1
            key = _key(snap.id, len(snap.history))
            events = [event(step.id, now_ms, "retry", reply=reply, wamid=rec.wamid, retries=retries, key=key)]
            with self.db.engine.begin() as conn:
                done = self._commit(
                    conn,
                    snap,
                    events,
                    status="active",
                    step=step.id,
                    retries=retries,
                    deadline=now_ms + step.timeout_s * 1000,
                    now_ms=now_ms,
                )
            if not done:
                return Handled("stale", snap.id, snap.step)
            outcome = self._send_step(snap.id, snap.contact, step, key, retry=True)
            if not _sent(outcome):
                self._abandon(self._reload(snap.id), "send_failed", _error_of(outcome))
                return Handled("abandoned", snap.id, step.id)
            return Handled("retry", snap.id, step.id)
        if step.on_fail is None:
            done = self._abandon(snap, "max_retries", reply=reply, wamid=rec.wamid)
            return Handled("abandoned" if done else "stale", snap.id, step.id)
        fallback = definition.step(step.on_fail)
        key = _key(snap.id, len(snap.history) + 1)
        events = [
            event(
                step.id,
                now_ms,
                "retry",
                reply=reply,
                wamid=rec.wamid,
                retries=snap.retries,
                exhausted=True,
                next=fallback.id,
            ),
            event(fallback.id, now_ms, "entered", via="fallback", key=key),
        ]
        status, deadline, completed = self._after_entering(fallback, now_ms, events)
        with self.db.engine.begin() as conn:
            done = self._commit(
                conn,
                snap,
                events,
                status=status,
                step=fallback.id,
                retries=0,
                deadline=deadline,
                now_ms=now_ms,
                completed_at=completed,
            )
            if done and status == "completed":
                self._session_flag(conn, snap.contact, snap.waba_id, completed=True, wamid=rec.wamid)
        if not done:
            return Handled("stale", snap.id, snap.step)
        outcome = self._send_step(snap.id, snap.contact, fallback, key)
        if status == "active" and not _sent(outcome):
            self._abandon(self._reload(snap.id), "send_failed", _error_of(outcome))
            return Handled("abandoned", snap.id, fallback.id)
        return Handled("fallback", snap.id, fallback.id)

    # -- timeouts ------------------------------------------------------------------------
    def expire_due(self, now: datetime | None = None) -> int:
        """Abandon every active state whose step deadline has passed; returns how many.

        Idempotent: an abandoned state is no longer active, and each abandonment is the
        same conditional UPDATE as any other change, so a reply racing it wins or loses
        cleanly.
        """
        now_ms = to_ms(now or self.clock())
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(states_t)
                .where(
                    states_t.c.status == "active",
                    states_t.c.step_deadline_at.is_not(None),
                    states_t.c.step_deadline_at <= now_ms,
                )
                .order_by(states_t.c.id)
            ).all()
        done = 0
        for row in rows:
            if self._abandon(_snap(row), "timeout", now_ms=now_ms):
                done += 1
        if done:
            log.info("abandoned %d timed-out flow state(s)", done)
        return done

    # -- state rows ----------------------------------------------------------------------
    def _active(self, wa_id: str, waba_id: str) -> _Snap | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(states_t)
                .where(states_t.c.contact_wa_id == wa_id, states_t.c.waba_id == waba_id,
                       states_t.c.status == "active")
                .order_by(desc(states_t.c.id))
                .limit(1)
            ).first()
        return None if row is None else _snap(row)

    def _reload(self, state_id: int) -> _Snap:
        with self.db.engine.connect() as conn:
            return _snap(conn.execute(select(states_t).where(states_t.c.id == state_id)).one())

    def _commit(
        self,
        conn: Connection,
        snap: _Snap,
        events: list[dict[str, Any]],
        *,
        status: str,
        step: str | None,
        retries: int,
        deadline: int | None,
        now_ms: int,
        completed_at: int | None = None,
    ) -> bool:
        """The conditional UPDATE every change goes through; False when another won."""
        # Strictly increasing, so two changes within one millisecond still differ.
        updated = max(now_ms, snap.updated_ms + 1)
        current = (
            states_t.c.current_step.is_(None) if snap.step is None else states_t.c.current_step == snap.step
        )
        result = conn.execute(
            update(states_t)
            .where(
                states_t.c.id == snap.id,
                states_t.c.status == "active",
                current,
                states_t.c.retries == snap.retries,
                states_t.c.updated_at == snap.updated_ms,
            )
            .values(
                status=status,
                current_step=step,
                retries=retries,
                history=[*snap.history, *events],
                updated_at=updated,
                step_deadline_at=deadline,
                completed_at=completed_at,
            )
        )
        return result.rowcount == 1

    def _abandon(
        self,
        snap: _Snap,
        reason: str,
        error: str | None = None,
        *,
        now_ms: int | None = None,
        reply: str | None = None,
        wamid: str | None = None,
    ) -> bool:
        at = now_ms if now_ms is not None else to_ms(self.clock())
        ev = event(snap.step or "", at, "abandoned", reason=reason, error=error, reply=reply, wamid=wamid)
        with self.db.engine.begin() as conn:
            done = self._commit(
                conn,
                snap,
                [ev],
                status="abandoned",
                step=snap.step,
                retries=snap.retries,
                deadline=None,
                now_ms=at,
            )
            if done:
                self._session_flag(conn, snap.contact, snap.waba_id, completed=False)
        return done

    @staticmethod
    def _after_entering(
        step: Step, now_ms: int, events: list[dict[str, Any]]
    ) -> tuple[str, int | None, int | None]:
        """(status, deadline, completed_at) once ``step`` is entered; appends ``completed``."""
        if step.end:
            events.append(event(step.id, now_ms, "completed"))
            return "completed", None, now_ms
        return "active", now_ms + step.timeout_s * 1000, None

    # -- sessions ------------------------------------------------------------------------
    @staticmethod
    def _latest_session(conn: Connection, wa_id: str, waba_id: str, wamid: str | None = None) -> int | None:
        """The session of the inbound message ``wamid`` (set by the analytics triggers), else
        the contact's latest session with the account, else None."""
        if wamid is not None:
            found = conn.execute(select(messages_t.c.session_id).where(messages_t.c.wamid == wamid)).scalar()
            if found is not None:
                return int(found)
        return conn.execute(
            select(sessions_t.c.id)
            .where(sessions_t.c.contact_wa_id == wa_id, sessions_t.c.waba_id == waba_id)
            .order_by(desc(sessions_t.c.last_message_at), desc(sessions_t.c.id))
            .limit(1)
        ).scalar()

    def _set_satisfaction(self, conn: Connection, snap: _Snap, rating: int, wamid: str) -> None:
        session_id = self._latest_session(conn, snap.contact, snap.waba_id, wamid)
        if session_id is None:
            log.debug("no session yet for %s: satisfaction kept in the flow history", snap.contact)
            return
        conn.execute(update(sessions_t).where(sessions_t.c.id == session_id).values(satisfaction=rating))
        conn.execute(update(states_t).where(states_t.c.id == snap.id).values(session_id=session_id))

    def _session_flag(
        self, conn: Connection, wa_id: str, waba_id: str, *, completed: bool, wamid: str | None = None
    ) -> None:
        session_id = self._latest_session(conn, wa_id, waba_id, wamid)
        if session_id is None:
            return
        stmt = update(sessions_t).where(sessions_t.c.id == session_id)
        if not completed:
            # A flow completed earlier in the same session keeps the session marked complete.
            stmt = stmt.where(sessions_t.c.flow_completed.is_(None))
        conn.execute(stmt.values(flow_completed=completed))

    def _window_open(self, wa_id: str, waba_id: str) -> bool:
        with self.db.engine.connect() as conn:
            last = conn.execute(
                select(contacts_t.c.last_inbound_at).where(contacts_t.c.waba_id == waba_id,
                                                           contacts_t.c.wa_id == wa_id)
            ).scalar()
        if last is None:
            return False
        return bool(self.clock() - _as_dt(last) < timedelta(seconds=limits.CUSTOMER_SERVICE_WINDOW_SECONDS))

    # -- sending -------------------------------------------------------------------------
    def _send_step(
        self, state_id: int, to: str, step: Step, key: str, *, retry: bool = False
    ) -> SendOutcome | EasymoError:
        """Send ``step``'s message (or its retry prompt) through the processor.

        A retry of an interactive step sends the same options again with the retry prompt
        as the body, so the contact can still tap; other steps get the prompt as text.
        """
        m = step.message
        p = self.processor
        try:
            if retry and not m.interactive:
                return p.send_text(to, step.retry, source=SOURCE, idempotency_key=key)
            body = step.retry if retry else m.body
            if m.kind == "text":
                return p.send_text(to, body, source=SOURCE, idempotency_key=key)
            if m.kind == "buttons":
                return p.send_buttons(
                    to,
                    body,
                    [(o.id, o.title) for o in m.options],
                    header=m.header,
                    footer=m.footer,
                    source=SOURCE,
                    idempotency_key=key,
                )
            if m.kind == "list":
                return p.send_list(
                    to,
                    body,
                    m.button or "Options",
                    m.sections(),
                    header=m.header,
                    footer=m.footer,
                    source=SOURCE,
                    idempotency_key=key,
                )
            assert m.template is not None and m.language is not None
            params = dict(m.params) if isinstance(m.params, dict) else list(m.params)
            return p.send_template(to, m.template, m.language, params, source=SOURCE, idempotency_key=key)
        except EasymoError as exc:
            log.warning("flow state %s: step %s could not be sent: %s", state_id, step.id, exc)
            return exc


def _key(state_id: int, index: int) -> str:
    return f"flow-{state_id}-{index}"


def _sent(outcome: SendOutcome | EasymoError | None) -> bool:
    """Accepted, or of unknown outcome (kept queued and reconciled later): not a failure."""
    return isinstance(outcome, SendOutcome) and outcome.status != "failed"


def _error_of(outcome: SendOutcome | EasymoError | None) -> str | None:
    if isinstance(outcome, EasymoError):
        return outcome.one_line()[:256]
    if isinstance(outcome, SendOutcome) and outcome.error is not None:
        return outcome.error.one_line()[:256]
    return None


def _snap(row: Any) -> _Snap:
    return _Snap(
        id=int(row.id),
        flow_id=int(row.flow_id),
        contact=row.contact_wa_id,
        waba_id=row.waba_id,
        step=row.current_step,
        retries=int(row.retries),
        updated_ms=_ms(row.updated_at),
        deadline_ms=None if row.step_deadline_at is None else _ms(row.step_deadline_at),
        history=list(row.history or []),
    )


def _ms(value: Any) -> int:
    return value if isinstance(value, int) else to_ms(value)


def _as_dt(value: Any) -> datetime:
    return from_ms(value) if isinstance(value, int) else value


def _match(step: Step, rec: InboundRecord) -> _Match | None:
    """The expected reply ``rec`` is, or None (then the step's retry prompt goes out)."""
    text = (rec.body or "").strip() if rec.type == "text" else None
    rid = rec.reply_id
    found: _Match | None = None
    if step.message.options:
        folded = text.casefold() if text else None
        for opt in step.message.options:
            # A typed "4" or "Good" for the option titled so counts as the tap.
            if rid == opt.id or (folded and folded in (opt.id.casefold(), opt.title.casefold())):
                target = opt.next or step.next
                assert target is not None
                found = _Match(target, rid or text, opt.id if opt.value is None else opt.value)
                break
    else:
        for exp in step.expects:
            if exp.kind == "id" and rid is not None and rid == exp.value:
                found = _Match(exp.next, rid, rid)
                break
            if exp.kind == "pattern" and text and exp.pattern is not None and exp.pattern.fullmatch(text):
                found = _Match(exp.next, text, text)
                break
        if found is None and not step.expects and step.next:
            reply = rid or text or (rec.body or f"<{rec.type}>")
            found = _Match(step.next, reply, reply)
    if found is not None and step.store == SATISFACTION:
        rating = rating_of(found.value)
        if rating is None:
            return None  # not a rating: ask again rather than store nonsense
        found = _Match(found.next, found.reply, rating)
    return found
