"""The status ingest: the one path for every status and inbound message.

Whoever hands it events (the webhook receiver, an import, a test), it stores each distinct
status once (append-only, raw payload kept), moves the message forward by the rules in
status_rules, records inbound messages and opens the contact's 24-hour window. It works on
batches with set-based SQL, so a receiver can ingest thousands of events per second.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, or_, select, type_coerce, update
from sqlalchemy.engine import Connection

from easymo_core.messaging.phone_numbers import accounts_of, remember
from easymo_core.messaging.status_rules import rank_sql
from easymo_core.messaging.webhook_payload import (
    InboundRecord,
    StatusRecord,
    TemplateUpdate,
    WebhookBatch,
)
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Contact, Message, StatusEvent, Template, table_of
from easymo_core.storage.sql import DriverStatement, insert_ignore
from easymo_core.storage.types import to_ms, utcnow

log = logging.getLogger(__name__)

# Statuses per statement set: keeps each IN list well under SQLite's 32,766 variables.
STATUS_CHUNK = 2000
# sweep(): how often the console's scheduler and `easymo webhook serve` run it, and how far
# back it looks for held statuses.
SWEEP_INTERVAL_S = 30.0
SWEEP_WINDOW = timedelta(days=7)

messages_t = table_of(Message)
events_t = table_of(StatusEvent)
contacts_t = table_of(Contact)
templates_t = table_of(Template)

# One UPDATE applies one status event to its message. Right-hand sides read the row's old
# values in both SQLite and PostgreSQL, so each expression is self-contained.
def _earliest(status_in: str, column: str) -> str:
    """The column's new value: the event's time if it is an earlier report of that status."""
    return (
        f"CASE WHEN :status IN ({status_in}) AND ({column} IS NULL OR {column} > :ts) "
        f"THEN :ts ELSE {column} END"
    )


_SENT, _DELIVERED, _READ = (
    _earliest("'sent'", "sent_at"),
    _earliest("'delivered', 'read'", "delivered_at"),
    _earliest("'read'", "read_at"),
)
_FAILED_LATEST = ":status = 'failed' AND (failed_at IS NULL OR failed_at >= :ts)"
# The latency columns are set here from the new timestamps, so the analytics triggers that
# keep them for every other writer find nothing stale and do not fire: on SQLite that saves
# a second write of the whole row for each delivered and read report.
_APPLY_SET = f"""
  status = CASE WHEN {rank_sql(":status")} > {rank_sql("status")} THEN :status ELSE status END,
  sent_at = {_SENT},
  delivered_at = {_DELIVERED},
  read_at = {_READ},
  failed_at = {_earliest("'failed'", "failed_at")},
  error_code = CASE WHEN {_FAILED_LATEST} THEN :error_code ELSE error_code END,
  error_title = CASE WHEN {_FAILED_LATEST} THEN :error_title ELSE error_title END,
  error_detail = CASE WHEN {_FAILED_LATEST} THEN :error_detail ELSE error_detail END,
  delivery_latency_ms = ({_DELIVERED}) - ({_SENT}),
  read_latency_ms = ({_READ}) - ({_DELIVERED}),
  conversation_id = COALESCE(conversation_id, :conversation_id),
  pricing_category = COALESCE(pricing_category, :pricing_category),
  updated_at = :now
"""
# A status applies to a message of its own account: one naming account B never changes a row
# of account A. '' on either side (a status whose account could not be told, a message written
# before accounts) is not a different account.
_SAME_ACCOUNT = "(:waba_id = '' OR waba_id = :waba_id OR waba_id = '')"
_APPLY_SQL = DriverStatement(
    f"UPDATE messages SET {_APPLY_SET} WHERE wamid = :wamid AND direction = 'out' AND {_SAME_ACCOUNT}")
# PostgreSQL: one statement for many messages, each status from arrays (the statement-level
# rollup triggers of migration 0005 then sum the whole set once). v's columns are prefixed
# so that a bare column name in the SET list still means the message's.
_APPLY_TYPES = {
    "wamid": "text", "status": "text", "ts": "bigint", "error_code": "integer",
    "error_title": "text", "error_detail": "text", "conversation_id": "text",
    "pricing_category": "text", "waba_id": "text",
}
_APPLY_MANY_PG = DriverStatement(
    "UPDATE messages SET "
    + re.sub(r"(?<![:\w]):(?!now\b)(\w+)", r"v.p_\1", _APPLY_SET)
    + f" FROM unnest({', '.join(f':{c}::{t}[]' for c, t in _APPLY_TYPES.items())}) "
    + f"AS v({', '.join('p_' + c for c in _APPLY_TYPES)}) "
    + "WHERE messages.wamid = v.p_wamid AND messages.direction = 'out' AND "
    + "(v.p_waba_id = '' OR messages.waba_id = v.p_waba_id OR messages.waba_id = '')"
)


def same_account(status_waba: str, message_waba: str) -> bool:
    """_SAME_ACCOUNT, in Python."""
    return not status_waba or not message_waba or status_waba == message_waba


def _apply(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Apply status events to their messages, in the order given for each message."""
    if conn.dialect.name != "postgresql":
        _APPLY_SQL.executemany(conn, rows)
        return
    # A message may join an UPDATE ... FROM only once: its second status of the list goes
    # into the next statement, and so on (sent, delivered and read of one POST: 3 rounds).
    rounds: list[list[dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for row in rows:
        n = seen.get(row["wamid"], 0)
        seen[row["wamid"]] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(row)
    for batch in rounds:
        params: dict[str, Any] = {c: [r[c] for r in batch] for c in _APPLY_TYPES}
        params["now"] = batch[0]["now"]
        _APPLY_MANY_PG.execute(conn, params)


# Latencies, contact counters, sessions and rollups are kept by the analytics triggers
# (storage/analytics_triggers.py); the ingest only records what Meta reported.

_EVENT_COLUMNS = (
    "wamid", "waba_id", "status", "meta_ts", "received_at", "recipient_id", "error_code", "error_title",
    "error_detail", "conversation_id", "pricing_category", "source", "applied", "raw",
    "webhook_event_id",
)
# ON CONFLICT DO NOTHING: another receiver may have stored the same event meanwhile.
_INSERT_EVENT_SQL = DriverStatement(
    f"INSERT INTO status_events ({', '.join(_EVENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _EVENT_COLUMNS)}) ON CONFLICT DO NOTHING"
)


def _dumps(raw: dict[str, Any]) -> str:
    # As SQLAlchemy's JSON type writes it, so rows read back the same whichever path wrote them.
    return json.dumps(raw)


@dataclass
class IngestResult:
    statuses_new: int = 0
    statuses_duplicate: int = 0
    statuses_pending: int = 0
    inbound_new: int = 0
    inbound_duplicate: int = 0
    templates_updated: int = 0
    changed_wamids: set[str] = field(default_factory=set)
    # Messages with a status held at commit (unknown wamid): after_commit settles them.
    held_wamids: set[str] = field(default_factory=set)
    inbound: list[InboundRecord] = field(default_factory=list)
    # (phone number -> account) pairs this ingest wrote to or read from phone_numbers.
    numbers: dict[str, str] = field(default_factory=dict)


InboundListener = Callable[[Connection, InboundRecord], None]
# Called after the transaction that ingested ``IngestResult`` committed (flows use it).
CommittedListener = Callable[[IngestResult], None]


class StatusIngest:
    """Applies webhook batches to the database; safe to run in many processes at once."""

    def __init__(self, db: Database, *, source: str = "webhook") -> None:
        self.db = db
        self.source = source
        # Called inside the ingest transaction for each new inbound message (flows use it).
        self.inbound_listeners: list[InboundListener] = []
        # Called after commit, so a listener may send (through the processor) and use the
        # database freely; whoever commits an ingest_in() transaction calls after_commit.
        self.committed_listeners: list[CommittedListener] = []
        # phone_numbers as this process knows it committed: a pair seen again is neither
        # written nor looked up, so attribution costs nothing per POST once a number is known.
        self._accounts: dict[str, str] = {}
        self._warned: set[tuple[str, str]] = set()

    # -- public API ------------------------------------------------------------------
    def ingest(self, batch: WebhookBatch, *, webhook_event_id: int | None = None) -> IngestResult:
        result = self.db.transaction(
            lambda conn: self.ingest_in(conn, batch, webhook_event_id=webhook_event_id))
        self.after_commit(result)
        return result

    def after_commit(self, result: IngestResult) -> None:
        """Finish an ingest whose transaction committed: settle the statuses it held, then
        hand its new inbound messages to the committed listeners.

        Neither undoes what was ingested: a failing listener is logged and skipped, and a
        status that stays held is applied by sweep().
        """
        self._accounts.update(result.numbers)
        if result.held_wamids:
            self.settle(result.held_wamids)
        if not result.inbound:
            return
        for listener in self.committed_listeners:
            try:
                listener(result)
            except Exception:
                log.exception("ingest listener %r failed", listener)

    def ingest_in(
        self, conn: Connection, batch: WebhookBatch, *, webhook_event_id: int | None = None
    ) -> IngestResult:
        return self.ingest_group(conn, [(webhook_event_id, batch)])

    def ingest_group(
        self, conn: Connection, posts: Sequence[tuple[int | None, WebhookBatch]]
    ) -> IngestResult:
        """Ingest several POSTs (each with its webhook_events id) in the caller's transaction.

        Their statuses go through one set of statements, so a receiver's group commit pays
        the per-statement cost once per group, not once per POST. Inbound messages and
        template updates keep their POST order.
        """
        result = IngestResult()
        now = utcnow()
        new_numbers = self._attribute(conn, [batch for _, batch in posts], now, result)
        for _, batch in posts:
            if batch.inbound:
                self._inbound(conn, batch.inbound, now, result)
        statuses = [(event_id, s) for event_id, batch in posts for s in batch.statuses]
        for start in range(0, len(statuses), STATUS_CHUNK):
            self._statuses(conn, statuses[start : start + STATUS_CHUNK], now, result)
        for _, batch in posts:
            if batch.template_updates:
                self._templates(conn, batch.template_updates, now, result)
        if new_numbers:
            # Last: on SQLite the first write takes the database's lock, held to the commit.
            remember(conn, new_numbers, now)
        return result

    def _attribute(
        self, conn: Connection, batches: Sequence[WebhookBatch], now: datetime, result: IngestResult
    ) -> dict[str, tuple[str, str | None]]:
        """Give every record its account: the envelope's entry.id, else the account of its
        number in phone_numbers; returns the (number, account) pairs the envelopes named that
        this process has not seen committed, for phone_numbers."""
        seen: dict[str, tuple[str, str | None]] = {}
        for batch in batches:
            seen.update(batch.numbers)
        new = {pnid: pair for pnid, pair in seen.items() if self._accounts.get(pnid) != pair[0]}
        result.numbers.update({pnid: waba for pnid, (waba, _) in new.items()})
        records: list[StatusRecord | InboundRecord] = []
        for batch in batches:
            records += [r for r in batch.statuses if not r.waba_id and r.phone_number_id]
            records += [r for r in batch.inbound if not r.waba_id and r.phone_number_id]
        if not records:
            return new
        known = {**self._accounts, **result.numbers}
        missing = {r.phone_number_id for r in records if r.phone_number_id not in known} - {None}
        if missing:
            found = accounts_of(conn, [p for p in missing if p])
            result.numbers.update(found)
            known.update(found)
        for r in records:
            r.waba_id = known.get(r.phone_number_id or "", "")
        return new

    def settle(self, wamids: Iterable[str]) -> int:
        """Apply held statuses of these messages in a transaction of its own, once the
        caller's transaction has committed; returns how many were applied.

        A status held because its wamid was unknown and the send's answer that makes the
        wamid known can be written by two transactions at the same moment. Neither sees the
        other's uncommitted row, so both sides look again after their commit: whichever
        commits second then sees both, and the status is applied now rather than at the next
        sweep. Should both look at once, the status is applied twice, which changes nothing:
        the rules keep the earliest time and the higher status, and the triggers count
        differences.
        """
        wamid_list = sorted(set(wamids))
        applied = 0
        try:
            for start in range(0, len(wamid_list), STATUS_CHUNK):
                chunk = wamid_list[start : start + STATUS_CHUNK]

                def work(conn: Connection, chunk: list[str] = chunk) -> int:
                    return self.apply_pending(conn, chunk)

                applied += self.db.transaction(work)
        except Exception as exc:
            # What the caller committed stays committed; sweep() applies the rest.
            log.warning("%d messages keep held statuses until the next sweep: %s", len(wamid_list), exc)
        return applied

    def sweep(self, window: timedelta = SWEEP_WINDOW) -> int:
        """Apply every held status of the last ``window`` whose message is now known.

        The safety net behind apply_pending and settle: a writer that crashed between its
        commit and its settle, or whose settle failed, leaves a status held that nothing
        else would apply. The console's scheduler and `easymo webhook serve` run it every
        SWEEP_INTERVAL_S. The window bounds the scan: statuses of messages this database
        will never know (another app on the same number) stay held, and older than a week
        they are no longer looked at.
        """
        since = utcnow() - window
        return self.db.transaction(lambda conn: self.apply_pending(conn, received_after=since))

    def apply_pending(
        self,
        conn: Connection,
        wamids: Iterable[str] | None = None,
        *,
        received_after: datetime | None = None,
    ) -> int:
        """Apply held statuses whose message is now known; returns how many were applied.

        The processor calls it right after it records a wamid, and settle() once a
        transaction has committed; sweep() looks at every held status of the last week.
        """
        query = (
            select(
                events_t.c.id,
                events_t.c.wamid,
                events_t.c.status,
                events_t.c.meta_ts,
                events_t.c.error_code,
                events_t.c.error_title,
                events_t.c.error_detail,
                events_t.c.conversation_id,
                events_t.c.pricing_category,
                events_t.c.waba_id,
            )
            .join(
                messages_t,
                and_(messages_t.c.wamid == events_t.c.wamid, messages_t.c.direction == "out",
                     or_(events_t.c.waba_id == "", messages_t.c.waba_id == events_t.c.waba_id,
                         messages_t.c.waba_id == "")),
            )
            .where(events_t.c.applied.is_(False))
            .order_by(events_t.c.id)
        )
        if wamids is not None:
            wamid_list = list(wamids)
            if not wamid_list:
                return 0
            query = query.where(events_t.c.wamid.in_(wamid_list))
        if received_after is not None:
            query = query.where(events_t.c.received_at >= received_after)
        rows = conn.execute(query).all()
        if not rows:
            return 0
        now_ms = to_ms(utcnow())
        params = [
            {
                "wamid": r.wamid,
                "status": r.status,
                "ts": to_ms(r.meta_ts),
                "error_code": r.error_code,
                "error_title": r.error_title,
                "error_detail": r.error_detail,
                "conversation_id": r.conversation_id,
                "pricing_category": r.pricing_category,
                "waba_id": r.waba_id,
                "now": now_ms,
            }
            for r in rows
        ]
        _apply(conn, params)
        conn.execute(
            update(events_t).where(events_t.c.id == bindparam("eid")).values(applied=True),
            [{"eid": r.id} for r in rows],
        )
        return len(rows)

    # -- statuses --------------------------------------------------------------------
    def _statuses(
        self,
        conn: Connection,
        statuses: Sequence[tuple[int | None, StatusRecord]],
        now: datetime,
        result: IngestResult,
    ) -> None:
        wamids = {s.wamid for _, s in statuses}
        accounts: dict[str, set[str]] = {}
        for wamid, waba in conn.execute(
            select(messages_t.c.wamid, messages_t.c.waba_id).where(
                messages_t.c.wamid.in_(wamids), messages_t.c.direction == "out"
            )
        ):
            accounts.setdefault(wamid, set()).add(waba)
        # (wamid, account) of the statuses whose message is known in their account.
        known = {
            (s.wamid, s.waba_id) for _, s in statuses
            if any(same_account(s.waba_id, m) for m in accounts.get(s.wamid, ()))
        }
        now_ms = to_ms(now)
        unknown = {(s.wamid, s.waba_id) for _, s in statuses} - known
        self._warn_other_account(unknown, accounts)
        if unknown:
            known |= self._link_lost_answers(conn, [s for _, s in statuses], unknown, now)
        # Dedupe inside the batch too: Meta may repeat a status within one POST.
        unique: dict[tuple[str, str, int], tuple[int | None, StatusRecord]] = {}
        for event_id, s in statuses:
            unique.setdefault((s.wamid, s.status, to_ms(s.meta_ts)), (event_id, s))
        existing = self._existing_events(conn, wamids)
        fresh = [(k, s, event_id) for k, (event_id, s) in unique.items() if k not in existing]
        result.statuses_duplicate += len(statuses) - len(fresh)
        if not fresh:
            return
        rows = [
            {
                "wamid": s.wamid,
                "waba_id": s.waba_id,
                "status": s.status,
                "meta_ts": k[2],
                "received_at": now_ms,
                "recipient_id": s.recipient_id,
                "error_code": s.error_code,
                "error_title": s.error_title,
                "error_detail": s.error_detail,
                "conversation_id": s.conversation_id,
                "pricing_category": s.pricing_category,
                "source": self.source,
                "applied": (s.wamid, s.waba_id) in known,
                "raw": _dumps(s.raw),
                "webhook_event_id": event_id,
            }
            for k, s, event_id in fresh
        ]
        inserted = _INSERT_EVENT_SQL.executemany(conn, rows)
        if 0 <= inserted < len(rows):
            result.statuses_duplicate += len(rows) - inserted
        apply = [
            {
                "wamid": s.wamid,
                "status": s.status,
                "ts": k[2],
                "error_code": s.error_code,
                "error_title": s.error_title,
                "error_detail": s.error_detail,
                "conversation_id": s.conversation_id,
                "pricing_category": s.pricing_category,
                "waba_id": s.waba_id,
                "now": now_ms,
            }
            for k, s, _ in fresh
            if (s.wamid, s.waba_id) in known
        ]
        result.statuses_new += len(fresh)
        result.statuses_pending += len(fresh) - len(apply)
        result.held_wamids |= {s.wamid for _, s, _ in fresh if (s.wamid, s.waba_id) not in known}
        if apply:
            _apply(conn, apply)
            result.changed_wamids |= {str(p["wamid"]) for p in apply}

    def _warn_other_account(self, unknown: set[tuple[str, str]], accounts: dict[str, set[str]]) -> None:
        """Statuses held because their message is another account's: once per pair of
        accounts, since a profile whose WABA id is mistyped would see its messages stop at
        "accepted" with no other sign."""
        for wamid, waba in unknown:
            for theirs in accounts.get(wamid, ()):
                if (waba, theirs) not in self._warned:
                    self._warned.add((waba, theirs))
                    log.warning(
                        "statuses of account %s name messages sent as account %s: they are kept, "
                        "not applied; check the WABA id of the profile that sent them", waba, theirs)

    def _link_lost_answers(
        self, conn: Connection, statuses: Sequence[StatusRecord], unknown: set[tuple[str, str]],
        now: datetime,
    ) -> set[tuple[str, str]]:
        """Give queued rows whose send answer was lost their wamid, from the echoed key.

        The processor sends its idempotency key as biz_opaque_callback_data and Meta echoes
        it in every status, so a message sent just before a crash is still tracked.
        """
        linked: set[tuple[str, str]] = set()
        for s in statuses:
            key = s.raw.get("biz_opaque_callback_data")
            pair = (s.wamid, s.waba_id)
            if pair not in unknown or pair in linked or not isinstance(key, str) or not key:
                continue
            done = conn.execute(
                update(messages_t)
                .where(
                    messages_t.c.idempotency_key == key,
                    messages_t.c.wamid.is_(None),
                    messages_t.c.direction == "out",
                    *(() if not s.waba_id else
                      (messages_t.c.waba_id.in_([s.waba_id, ""]),)),
                )
                .values(wamid=s.wamid, status="accepted", accepted_at=s.meta_ts, updated_at=now)
            ).rowcount
            if done:
                log.info("linked a send whose answer was lost to %s", s.wamid)
                linked.add(pair)
        return linked

    def _existing_events(self, conn: Connection, wamids: set[str]) -> set[tuple[str, str, int]]:
        # Epoch ms as stored: the dedupe key needs no datetime round trip per row.
        meta_ms = type_coerce(events_t.c.meta_ts, BigInteger)
        rows = conn.execute(
            select(events_t.c.wamid, events_t.c.status, meta_ms).where(events_t.c.wamid.in_(wamids))
        ).all()
        return {(r[0], r[1], int(r[2])) for r in rows}

    # -- inbound messages --------------------------------------------------------------
    def _inbound(
        self,
        conn: Connection,
        inbound: Sequence[InboundRecord],
        now: datetime,
        result: IngestResult,
    ) -> None:
        for rec in inbound:
            ins = insert_ignore(conn, messages_t, ["wamid"]).values(
                wamid=rec.wamid,
                profile="",
                phone_number_id=rec.phone_number_id or "",
                waba_id=rec.waba_id,
                direction="in",
                contact_wa_id=rec.from_wa_id,
                type=rec.type,
                body=rec.body,
                payload=rec.raw,
                status="received",
                source=self.source,
                context_wamid=rec.context_wamid,
                reply_id=rec.reply_id,
                created_at=rec.meta_ts,
                updated_at=now,
                received_at=rec.meta_ts,
            )
            # RETURNING tells reliably on both dialects whether the row was new.
            if conn.execute(ins.returning(messages_t.c.id)).first() is None:
                result.inbound_duplicate += 1
                continue
            result.inbound_new += 1
            result.inbound.append(rec)
            self._touch_contact(conn, rec, now)
            for listener in self.inbound_listeners:
                listener(conn, rec)

    def _touch_contact(self, conn: Connection, rec: InboundRecord, now: datetime) -> None:
        """Keep the profile name; the insert trigger made the contact and counted the message."""
        if rec.profile_name is None:
            return
        conn.execute(
            update(contacts_t)
            .where(contacts_t.c.waba_id == rec.waba_id, contacts_t.c.wa_id == rec.from_wa_id)
            .values(profile_name=rec.profile_name, updated_at=now)
        )

    # -- template review and quality -------------------------------------------------
    def _templates(
        self,
        conn: Connection,
        updates: Sequence[TemplateUpdate],
        now: datetime,
        result: IngestResult,
    ) -> None:
        for upd in updates:
            cond = (
                templates_t.c.meta_id == upd.meta_id
                if upd.meta_id
                else and_(templates_t.c.name == upd.name, templates_t.c.language == upd.language)
            )
            if upd.waba_id:  # another account's template of that name is not this one
                cond = and_(cond, templates_t.c.waba_id == upd.waba_id)
            values: dict[str, Any] = {"updated_at": now}
            if upd.kind == "status" and upd.event:
                values |= {"status": upd.event.upper(), "status_changed_at": now}
                if upd.reason and upd.reason.upper() != "NONE":
                    values["rejected_reason"] = upd.reason.upper()
            elif upd.kind == "quality" and upd.event:
                values["quality_score"] = upd.event.upper()
            result.templates_updated += (
                conn.execute(update(templates_t).where(cond).values(**values)).rowcount or 0
            )
