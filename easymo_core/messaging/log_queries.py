"""The messages log: filtered pages by keyset, counts, rows by id, conversations, CSV export.

Pages are newest first, ordered by ``(created_at, id)`` and read by keyset
(``(created_at, id) < (last_created_at, last_id)``), never by OFFSET: page 5,000 of a
million rows costs what page 1 costs. Every filter is an equality or a range that the
``messages`` indexes serve (status, template, contact, error code, each with created_at).

Search limits (documented for admins in the log's tooltip):
- ``search`` matches the body case-insensitively anywhere (``lower(body) LIKE '%term%'``).
  No B-tree index can serve an infix match, so a rare term over a long period scans that
  period; a common term fills a page at once. Narrow the period or add a filter to speed
  it up. (On PostgreSQL a pg_trgm GIN index on ``lower(body)`` serves this same query.)
- A search starting with ``wamid.`` matches the wamid by prefix through its unique index.
- ``phone`` with 10 or more digits matches the contact exactly (index); fewer digits
  match numbers starting with them (a prefix LIKE; index-served on SQLite and on
  PostgreSQL with a C collation or a ``varchar_pattern_ops`` index).
"""

from __future__ import annotations

import csv
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Select, and_, func, select, text, tuple_, type_coerce
from sqlalchemy.engine import Connection

from easymo_core.cloudapi.error_codes import explain
from easymo_core.exports.csv_cells import safe_cell
from easymo_core.media.inbound import MEDIA_KINDS, InboundMedia, inbound_media
from easymo_core.private_files import private_opener
from easymo_core.storage.engine import Database
from easymo_core.storage.models import (
    Contact,
    ConversationFlow,
    ConversationSession,
    FlowState,
    Message,
    table_of,
)
from easymo_core.storage.types import from_ms

PAGE_SIZE = 200
BODY_PREVIEW = 160
COUNT_CAP = 100_000
Progress = Callable[[int, int | None], None]

_m = table_of(Message)


@dataclass(frozen=True)
class LogFilter:
    status: str | None = None
    direction: str | None = None  # "out" | "in"
    type: str | None = None
    template: str | None = None
    phone: str | None = None
    error_code: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None
    number: str | None = None  # the sending phone number (phone_number_id)

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, "") for f in fields(self))


@dataclass(frozen=True, slots=True)
class LogRow:
    id: int
    created_at: datetime
    direction: str
    contact_wa_id: str
    type: str
    template_name: str | None
    template_language: str | None
    body: str | None  # the first BODY_PREVIEW characters
    status: str
    error_code: int | None
    delivery_latency_ms: int | None
    read_latency_ms: int | None
    fallback: str | None
    wamid: str | None
    created_ms: int  # created_at as stored, for exact keyset positions

    @property
    def key(self) -> tuple[int, int]:
        """The keyset position: (created_at ms, id)."""
        return (self.created_ms, self.id)


@dataclass(frozen=True)
class Page:
    rows: list[LogRow]
    # Pass to the next call; None when this was the last page.
    after: tuple[int, int] | None


_COLUMNS = (
    _m.c.id,
    type_coerce(_m.c.created_at, BigInteger).label("created_ms"),
    _m.c.direction,
    _m.c.contact_wa_id,
    _m.c.type,
    _m.c.template_name,
    _m.c.template_language,
    func.substr(_m.c.body, 1, BODY_PREVIEW).label("body"),
    _m.c.status,
    _m.c.error_code,
    _m.c.delivery_latency_ms,
    _m.c.read_latency_ms,
    _m.c.fallback,
    _m.c.wamid,
)


def _row(r: Any) -> LogRow:
    return LogRow(
        id=int(r.id), created_at=from_ms(int(r.created_ms)), direction=r.direction,
        contact_wa_id=r.contact_wa_id, type=r.type, template_name=r.template_name,
        template_language=r.template_language, body=r.body, status=r.status,
        error_code=r.error_code, delivery_latency_ms=r.delivery_latency_ms,
        read_latency_ms=r.read_latency_ms, fallback=r.fallback, wamid=r.wamid,
        created_ms=int(r.created_ms),
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def apply_filter(q: Select[Any], f: LogFilter) -> Select[Any]:
    c = _m.c
    if f.status:
        q = q.where(c.status == f.status)
    if f.direction:
        q = q.where(c.direction == f.direction)
    if f.type:
        q = q.where(c.type == f.type)
    if f.template:
        q = q.where(c.template_name == f.template)
    if f.error_code is not None:
        q = q.where(c.error_code == f.error_code)
    if f.number:
        q = q.where(c.phone_number_id == f.number)
    if f.since is not None:
        q = q.where(c.created_at >= f.since)
    if f.until is not None:
        q = q.where(c.created_at < f.until)
    digits = re.sub(r"\D", "", f.phone or "")
    if digits:
        if len(digits) >= 10:
            q = q.where(c.contact_wa_id == digits)
        else:
            q = q.where(c.contact_wa_id.like(digits + "%"))
    term = (f.search or "").strip()
    if term:
        if term.startswith("wamid."):
            q = q.where(c.wamid.like(_like_escape(term) + "%", escape="\\"))
        else:
            pattern = f"%{_like_escape(term.lower())}%"
            q = q.where(func.lower(c.body).like(pattern, escape="\\"))
    return q


def phone_numbers(conn: Connection) -> list[str]:
    """The phone numbers that sent messages, from the daily rollups (a few hundred rows,
    where a GROUP BY over messages would scan them all)."""
    return [str(r) for (r,) in conn.execute(text(
        "SELECT DISTINCT phone_number_id FROM delivery_rollups_daily "
        "WHERE phone_number_id <> '' ORDER BY phone_number_id"))]


class LogQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the table -------------------------------------------------------------------
    def page(self, f: LogFilter, after: tuple[int, int] | None = None, limit: int = PAGE_SIZE) -> Page:
        """Up to ``limit`` rows newest first, after the keyset position ``after``."""
        q = apply_filter(select(*_COLUMNS), f)
        if after is not None:
            q = q.where(tuple_(_m.c.created_at, _m.c.id) < tuple_(after[0], after[1]))
        q = q.order_by(_m.c.created_at.desc(), _m.c.id.desc()).limit(limit + 1)
        with self.db.engine.connect() as conn:
            raw = conn.execute(q).all()
        rows = [_row(r) for r in raw[:limit]]
        more = len(raw) > limit
        return Page(rows, rows[-1].key if more and rows else None)

    def rows_by_ids(self, ids: Sequence[int], f: LogFilter) -> list[LogRow]:
        """The rows among ``ids`` that pass ``f``, newest first (for rows the feed reports)."""
        if not ids:
            return []
        out: list[LogRow] = []
        wanted = list(ids)
        with self.db.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                q = apply_filter(select(*_COLUMNS), f).where(_m.c.id.in_(wanted[i:i + 500]))
                out.extend(_row(r) for r in conn.execute(q))
        out.sort(key=lambda r: r.key, reverse=True)
        return out

    def count(self, f: LogFilter, cap: int = COUNT_CAP) -> tuple[int, bool]:
        """How many rows pass ``f``, counting at most ``cap``; (n, True) when capped."""
        inner = apply_filter(select(_m.c.id), f).limit(cap + 1).subquery()
        with self.db.engine.connect() as conn:
            n = int(conn.execute(select(func.count()).select_from(inner)).scalar() or 0)
        return (min(n, cap), n > cap)

    def choices(self) -> dict[str, list[Any]]:
        """Values for the filter menus: templates, types and error codes seen."""
        with self.db.engine.connect() as conn:
            templates = [r for (r,) in conn.execute(
                select(_m.c.template_name).where(_m.c.template_name.is_not(None))
                .group_by(_m.c.template_name).order_by(_m.c.template_name).limit(500))]
            codes = [int(r) for (r,) in conn.execute(
                select(_m.c.error_code).where(_m.c.error_code.is_not(None))
                .group_by(_m.c.error_code).order_by(_m.c.error_code).limit(200))]
            numbers = phone_numbers(conn)
        return {"templates": templates, "error_codes": codes, "numbers": numbers}

    # -- conversations ---------------------------------------------------------------
    def conversation(self, contact: str, message_id: int | None = None,
                     limit: int = 300, *, waba_id: str | None = None) -> Conversation:
        """A contact's session around ``message_id`` (or their latest), in order.

        A contact is a person as one account knows them: the account is the message's, else
        ``waba_id``, else that of the contact's latest message. Another account's thread
        with the same person never mixes in."""
        with self.db.session() as s:
            anchor = s.get(Message, message_id) if message_id is not None else None
            if anchor is not None:
                waba_id = anchor.waba_id
            elif waba_id is None:
                waba_id = s.scalars(
                    select(Message.waba_id).where(Message.contact_wa_id == contact)
                    .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)).first() or ""
            c = s.get(Contact, (waba_id, contact))
            contact_info = None
            if c is not None:
                contact_info = ContactInfo(c.wa_id, c.profile_name, c.first_seen_at, c.last_inbound_at,
                                           c.messages_in, c.messages_out, c.replies, c.engagement_score)
            session_id = anchor.session_id if anchor is not None else None
            sessions = s.scalars(
                select(ConversationSession).where(ConversationSession.contact_wa_id == contact,
                                                  ConversationSession.waba_id == waba_id)
                .order_by(ConversationSession.last_message_at.desc()).limit(20)).all()
            chosen = next((x for x in sessions if x.id == session_id), None)
            if chosen is None and anchor is None and sessions:
                chosen = sessions[0]
            q = select(*_COLUMNS).where(_m.c.contact_wa_id == contact, _m.c.waba_id == waba_id)
            scope = "contact"
            if chosen is not None:
                q = q.where(_m.c.session_id == chosen.id)
                scope = "session"
            elif anchor is not None:
                # No session rows yet: the day around the message stands in for its session.
                span = 24 * 3600 * 1000
                at = int(anchor.created_at.timestamp() * 1000)
                q = q.where(and_(_m.c.created_at >= at - span, _m.c.created_at <= at + span))
                scope = "day"
            rows = [_row(r) for r in s.execute(
                q.order_by(_m.c.created_at.desc(), _m.c.id.desc()).limit(limit))]
            rows.reverse()
            flows = [
                FlowInfo(name=name, title=title, status=st.status, current_step=st.current_step,
                         retries=st.retries, started_at=st.started_at, updated_at=st.updated_at,
                         completed_at=st.completed_at, history=list(st.history or []))
                for st, name, title in s.execute(
                    select(FlowState, ConversationFlow.name, ConversationFlow.title)
                    .join(ConversationFlow, ConversationFlow.id == FlowState.flow_id)
                    .where(FlowState.contact_wa_id == contact, FlowState.waba_id == waba_id)
                    .order_by(FlowState.updated_at.desc()).limit(10))
            ]
            media_ids = [r.id for r in rows if r.direction == "in" and r.type in MEDIA_KINDS]
            media: dict[int, InboundMedia] = {}
            if media_ids:
                for row_id, payload in s.execute(
                        select(_m.c.id, _m.c.payload).where(_m.c.id.in_(media_ids))):
                    found = inbound_media(payload)
                    if found is not None:
                        media[int(row_id)] = found
            return Conversation(
                contact=contact, info=contact_info, scope=scope, messages=rows,
                session=_session_info(chosen) if chosen is not None else None,
                sessions=len(sessions), flows=flows, media=media,
            )

    # -- export ----------------------------------------------------------------------
    def export_csv(self, f: LogFilter, path: str | Path, *, progress: Progress | None = None,
                   cancelled: threading.Event | None = None, chunk: int = 2000) -> ExportResult:
        """Write the rows passing ``f`` (full bodies) to ``path``; nothing is left on cancel.

        Rows go to ``path.part`` first and are renamed at the end, so a cancelled or failed
        export never leaves half a file under the chosen name.
        """
        target = Path(path)
        part = target.with_name(target.name + ".part")
        total, _capped = self.count(f, cap=10**9)
        written = 0
        after: tuple[int, int] | None = None
        columns = [c.key for c in EXPORT_COLUMNS]
        try:
            with open(part, "w", newline="", encoding="utf-8", opener=private_opener) as fh:
                writer = csv.writer(fh)
                writer.writerow(columns)
                while True:
                    if cancelled is not None and cancelled.is_set():
                        raise _Cancelled
                    q = apply_filter(select(*EXPORT_COLUMNS, _CREATED_MS), f)
                    if after is not None:
                        q = q.where(tuple_(_m.c.created_at, _m.c.id) < tuple_(after[0], after[1]))
                    q = q.order_by(_m.c.created_at.desc(), _m.c.id.desc()).limit(chunk)
                    with self.db.engine.connect() as conn:
                        rows = conn.execute(q).all()
                    for r in rows:
                        writer.writerow([_csv_value(v) for v in r[:-1]])
                    written += len(rows)
                    if progress is not None:
                        progress(written, total)
                    if len(rows) < chunk:
                        break
                    last = rows[-1]
                    after = (int(last[-1]), int(last.id))
            os.replace(part, target)
        except _Cancelled:
            part.unlink(missing_ok=True)
            return ExportResult(target, written, total, cancelled=True)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return ExportResult(target, written, total, cancelled=False)


EXPORT_COLUMNS = (
    _m.c.id, _m.c.created_at, _m.c.direction, _m.c.contact_wa_id, _m.c.type, _m.c.template_name,
    _m.c.template_language, _m.c.status, _m.c.body, _m.c.wamid, _m.c.source, _m.c.fallback,
    _m.c.queued_at, _m.c.accepted_at, _m.c.sent_at, _m.c.delivered_at, _m.c.read_at,
    _m.c.failed_at, _m.c.received_at, _m.c.error_code, _m.c.error_title, _m.c.error_detail,
    _m.c.delivery_latency_ms, _m.c.read_latency_ms, _m.c.pricing_category,
)

_CREATED_MS = type_coerce(_m.c.created_at, BigInteger).label("keyset_created_ms")


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    return "" if value is None else safe_cell(value)


class _Cancelled(Exception):
    pass


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    total: int
    cancelled: bool


@dataclass(frozen=True)
class ContactInfo:
    wa_id: str
    profile_name: str | None
    first_seen_at: datetime | None
    last_inbound_at: datetime | None
    messages_in: int
    messages_out: int
    replies: int
    engagement_score: float


@dataclass(frozen=True)
class SessionInfo:
    id: int
    started_at: datetime
    last_message_at: datetime
    messages_in: int
    messages_out: int
    duration_ms: int
    user_response_avg_ms: float | None
    business_response_avg_ms: float | None
    flow_completed: bool | None
    satisfaction: int | None


@dataclass(frozen=True)
class FlowInfo:
    name: str
    title: str | None
    status: str
    current_step: str | None
    retries: int
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    history: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Conversation:
    contact: str
    info: ContactInfo | None
    # "session": one conversation_sessions row; "day": the day around the message (no
    # session rows yet); "contact": the contact's latest messages.
    scope: str
    messages: list[LogRow]
    session: SessionInfo | None
    sessions: int
    flows: list[FlowInfo]
    # The media of the inbound images, voice notes, videos and documents above, by message id.
    media: dict[int, InboundMedia] = field(default_factory=dict)


def _session_info(x: ConversationSession) -> SessionInfo:
    def avg(total: int, n: int) -> float | None:
        return total / n if n else None

    return SessionInfo(
        id=x.id, started_at=x.started_at, last_message_at=x.last_message_at,
        messages_in=x.messages_in, messages_out=x.messages_out, duration_ms=x.duration_ms,
        user_response_avg_ms=avg(x.user_response_ms_sum, x.user_response_count),
        business_response_avg_ms=avg(x.business_response_ms_sum, x.business_response_count),
        flow_completed=x.flow_completed, satisfaction=x.satisfaction,
    )


def explain_code(code: int | None) -> str:
    return explain(code) if code is not None else ""

