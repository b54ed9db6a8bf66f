"""Reading messages back: one message with its history, and filtered lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from easymo_core.cloudapi.error_codes import explain
from easymo_core.errors import EasymoError
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, StatusEvent

_FIELDS = (
    "id",
    "wamid",
    "idempotency_key",
    "profile",
    "waba_id",
    "direction",
    "contact_wa_id",
    "type",
    "template_name",
    "template_language",
    "body",
    "status",
    "source",
    "admin",
    "fallback",
    "context_wamid",
    "reply_id",
    "created_at",
    "queued_at",
    "accepted_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "received_at",
    "error_code",
    "error_title",
    "error_detail",
    "delivery_latency_ms",
    "read_latency_ms",
    "pricing_category",
    "payload",
    "parameters",
)


class MessageNotFound(EasymoError):
    pass


def message_dict(m: Message) -> dict[str, Any]:
    data = {f: getattr(m, f) for f in _FIELDS}
    if m.error_code is not None:
        data["error_explanation"] = explain(m.error_code)
    return data


@dataclass
class MessageDetail:
    message: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)


class MessageQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    def detail(self, ref: int | str) -> MessageDetail:
        """By row id or wamid: the message, every status with Meta's timestamp, replies."""
        with self.db.session() as s:
            q = (
                select(Message).where(Message.id == ref)
                if isinstance(ref, int)
                else select(Message).where(Message.wamid == ref)
            )
            m = s.scalars(q).first()
            if m is None:
                raise MessageNotFound(
                    f"no message {ref!r} in the database", hint="see `easymo messages list`"
                )
            events: list[dict[str, Any]] = []
            replies: list[dict[str, Any]] = []
            if m.wamid:
                # Its own account's statuses: one naming another account (held, never
                # applied: see the ingest) is not this message's history.
                same_account = (
                    () if not m.waba_id else (StatusEvent.waba_id.in_([m.waba_id, ""]),))
                for e in s.scalars(
                    select(StatusEvent)
                    .where(StatusEvent.wamid == m.wamid, *same_account)
                    .order_by(StatusEvent.meta_ts, StatusEvent.id)
                ):
                    events.append(
                        {
                            "status": e.status,
                            "meta_ts": e.meta_ts,
                            "received_at": e.received_at,
                            "error_code": e.error_code,
                            "error_title": e.error_title,
                            "error_detail": e.error_detail,
                            "explanation": explain(e.error_code) if e.error_code else None,
                            "raw": e.raw,
                        }
                    )
                for r in s.scalars(
                    select(Message)
                    .where(Message.context_wamid == m.wamid, Message.direction == "in")
                    .order_by(Message.created_at)
                ):
                    replies.append(
                        {
                            "id": r.id,
                            "type": r.type,
                            "body": r.body,
                            "reply_id": r.reply_id,
                            "received_at": r.received_at,
                            "wamid": r.wamid,
                        }
                    )
            return MessageDetail(message_dict(m), events, replies)

    def list(
        self,
        *,
        status: str | None = None,
        since: datetime | None = None,
        direction: str | None = None,
        contact: str | None = None,
        template: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        q = select(Message)
        if status:
            q = q.where(Message.status == status)
        if since:
            q = q.where(Message.created_at >= since)
        if direction:
            q = q.where(Message.direction == direction)
        if contact:
            q = q.where(Message.contact_wa_id == contact)
        if template:
            q = q.where(Message.template_name == template)
        q = q.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit).offset(offset)
        with self.db.session() as s:
            return [message_dict(m) for m in s.scalars(q)]
