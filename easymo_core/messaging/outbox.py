"""The outbox's records: what a send writes before and after it leaves, for the single path
(:class:`~easymo_core.messaging.processor.MessageProcessor`) and the batch path
(:mod:`easymo_core.messaging.batch`) alike.

Both paths share these rules, so they live here with public names rather than as one path's
private helpers borrowed by the other: an idempotency key per send, the ``queued`` row's
payload and parameters, the "accepted" write, the look at a key already used, and the
outcome of a send the webhook ingest linked while its answer was lost.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select

from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.outcome import OutcomeUnknown, SendOutcome
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, table_of
from easymo_core.storage.sql import DriverStatement
from easymo_core.storage.types import to_ms
from easymo_core.templates.params import TemplateParams, display_value
from easymo_core.templates.render import checked_send_components
from easymo_core.templates.store import TemplateRecord

log = logging.getLogger(__name__)
messages_t = table_of(Message)


def new_key() -> str:
    """An idempotency key for a send whose caller gave none."""
    return uuid.uuid4().hex


def existing_outcome(db: Database, key: str) -> SendOutcome | None:
    """The recorded outcome of a send with ``key``, or None when sending it (again) cannot
    double it. Raises OutcomeUnknown for a send that may have reached Meta with no answer."""
    with db.session() as s:
        row = s.scalars(select(Message).where(Message.idempotency_key == key)).first()
        if row is None:
            return None
        never_left = row.status == "failed" or (row.status == "queued" and row.handed_at is None)
        if row.wamid is None and never_left:
            # Meta refused it, or it never reached the transport (the process died while
            # it waited for its turn): sending it now cannot double it. The delete re-checks
            # both, in case its send is handed over between our read and this statement.
            gone = s.connection().execute(
                delete(messages_t).where(
                    messages_t.c.id == row.id, messages_t.c.wamid.is_(None),
                    or_(messages_t.c.status == "failed", messages_t.c.handed_at.is_(None)),
                )
            ).rowcount
            if gone:
                return None
            s.expire(row)
        if row.status == "queued" and row.wamid is None:
            raise OutcomeUnknown(
                f"a send with idempotency key {key!r} is in flight or its answer was lost",
                hint="it is reconciled from Meta's status webhooks; run `easymo messages reconcile`",
            )
        return SendOutcome(row.id, row.wamid, row.status, key, row.fallback, None, None, duplicate=True)


def params_json(params: TemplateParams | None) -> dict[str, Any] | None:
    """A send's parameters as the messages table keeps them (values shown as text)."""
    if params is None:
        return None

    def shown(values: Any) -> dict[str, str]:
        return {k: (v if isinstance(v, str) else display_value(v)) for k, v in values.items()}

    return {
        "header": shown(params.header),
        "body": shown(params.body),
        "buttons": {str(k): v for k, v in params.buttons.items()},
    }


def template_payload(
    wa_id: str, record: TemplateRecord, params: TemplateParams, reply_to: str | None, key: str
) -> dict[str, Any]:
    """The Cloud API payload of a template send; the key travels as biz_opaque_callback_data."""
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": wa_id,
        "type": "template",
        "template": {
            "name": record.name,
            "language": {"code": record.language},
            # decide() only picks a record whose parameters check_parameters passed
            "components": checked_send_components(record.definition, params),
        },
        "biz_opaque_callback_data": key,
    }
    if not payload["template"]["components"]:
        del payload["template"]["components"]
    if reply_to:
        payload["context"] = {"message_id": reply_to}
    return payload


# Run on the driver's cursor: this is one of the two writes of every message sent.
_ACCEPTED_SQL = DriverStatement(
    "UPDATE messages SET wamid = :wamid, status = 'accepted', accepted_at = :now, updated_at = :now, "
    "error_code = NULL, error_title = NULL, error_detail = NULL WHERE id = :b_id AND wamid IS NULL"
)


def record_accepted(
    conn: Connection, ingest: StatusIngest, rows: list[dict[str, Any]], now: datetime
) -> None:
    """Meta's answers (``b_id``: the message row, ``wamid``) as "accepted", for single and
    batch sends alike."""
    # "wamid IS NULL": the webhook ingest may have linked the row from the echoed key
    # already (its status webhook can beat this commit); it is then further along than
    # "accepted" and must stay so.
    now_ms = to_ms(now)
    _ACCEPTED_SQL.executemany(
        conn, [{"b_id": r["b_id"], "wamid": r["wamid"], "now": now_ms} for r in rows])
    # The wamid trigger counts the message for the contact and its session.
    # A status may have arrived before this answer: apply it now.
    ingest.apply_pending(conn, [r["wamid"] for r in rows])


def linked_meanwhile(db: Database, outcomes: list[SendOutcome], row_ids: list[int]) -> list[SendOutcome]:
    """The outcomes, with sends the webhook ingest linked to a wamid while we waited for
    Meta's answer (StatusIngest._link_lost_answers) told as Meta's statuses tell them."""
    with db.engine.connect() as conn:
        linked = {
            r.id: r
            for r in conn.execute(
                select(messages_t.c.id, messages_t.c.wamid, messages_t.c.status)
                .where(messages_t.c.id.in_(row_ids), messages_t.c.wamid.is_not(None))
            )
        }
    for row in linked.values():
        log.info("message %s: its send answer was lost, but Meta's statuses name it %s", row.id, row.wamid)
    return [
        SendOutcome(o.message_id, linked[o.message_id].wamid, linked[o.message_id].status,
                    o.idempotency_key, o.fallback, o.fallback_note)
        if o.message_id in linked else o
        for o in outcomes
    ]


def settle_accepted(ingest: StatusIngest, wamids: list[str]) -> None:
    """Once record_accepted's transaction has committed, on PostgreSQL: apply the statuses
    a receiver held for these wamids while it ran.

    Under READ COMMITTED a receiver's transaction can overlap ours, each deciding without
    the other's row: it holds the status as unknown, and our apply_pending does not see it.
    SQLite needs no second look: its writers take turns, so a receiver's held status either
    committed before our update (apply_pending saw it) or is settled by the receiver after
    our commit (StatusIngest.after_commit).
    """
    if wamids and ingest.db.dialect == "postgresql":
        ingest.settle(wamids)


__all__ = [
    "existing_outcome", "linked_meanwhile", "messages_t", "new_key", "params_json", "record_accepted",
    "settle_accepted", "template_payload",
]
