"""Reading Meta's webhook envelope into plain records, tolerant of what it does not know.

Unknown fields and new message types are kept raw and ignored gracefully; a payload that is
not a WhatsApp webhook at all raises :class:`PayloadShapeError` (the receiver answers 400).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class PayloadShapeError(ValueError):
    """The body is JSON but not a WhatsApp Business Account webhook."""


@dataclass
class StatusRecord:
    wamid: str
    status: str
    meta_ts: datetime
    recipient_id: str | None
    error_code: int | None
    error_title: str | None
    error_detail: str | None
    conversation_id: str | None
    pricing_category: str | None
    raw: dict[str, Any]
    # The account (the envelope's entry.id; "" when it names none) and the business number.
    waba_id: str = ""
    phone_number_id: str | None = None


@dataclass
class InboundRecord:
    wamid: str
    from_wa_id: str
    profile_name: str | None
    meta_ts: datetime
    type: str
    body: str | None
    reply_id: str | None
    context_wamid: str | None
    phone_number_id: str | None
    raw: dict[str, Any]
    # The account the message was sent to: the envelope's entry.id, else the ingest finds
    # it from phone_number_id; "" when neither tells.
    waba_id: str = ""


@dataclass
class TemplateUpdate:
    kind: str  # 'status' | 'quality'
    meta_id: str | None
    name: str | None
    language: str | None
    event: str | None
    reason: str | None
    raw: dict[str, Any]
    waba_id: str = ""


@dataclass
class WebhookBatch:
    statuses: list[StatusRecord] = field(default_factory=list)
    inbound: list[InboundRecord] = field(default_factory=list)
    template_updates: list[TemplateUpdate] = field(default_factory=list)
    ignored: int = 0
    # (phone_number_id -> (waba_id, display_phone_number)) pairs the envelope named.
    numbers: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def _ts(value: Any) -> datetime:
    """Meta's unix seconds (a string) as UTC; arrival time is never used instead."""
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise PayloadShapeError(f"timestamp {value!r} is not unix seconds") from None


def _dict(value: Any) -> dict[str, Any]:
    """A sub-object of the payload, or an empty one when Meta sent something else."""
    return value if isinstance(value, dict) else {}


def _str(value: Any, limit: int = 4096) -> str | None:
    if value is None:
        return None
    return str(value)[:limit]


def parse_envelope(data: Any) -> WebhookBatch:
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise PayloadShapeError("not a whatsapp_business_account webhook")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise PayloadShapeError("'entry' is not a list")
    batch = WebhookBatch()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
            raise PayloadShapeError("an entry has no list of changes")
        # Meta's WABA id: the account every change of this entry belongs to.
        waba_id = _str(entry.get("id"), 32) or ""
        for change in entry.get("changes", []):
            if not isinstance(change, dict):
                raise PayloadShapeError("a change is not an object")
            value = change.get("value")
            if not isinstance(value, dict):
                batch.ignored += 1
                continue
            fld = change.get("field")
            if fld == "messages":
                _parse_messages_value(value, batch, waba_id)
            elif fld in ("message_template_status_update", "message_template_quality_update"):
                batch.template_updates.append(_template_update(fld, value, waba_id))
            else:
                batch.ignored += 1
    return batch


def _parse_messages_value(value: dict[str, Any], batch: WebhookBatch, waba_id: str) -> None:
    metadata: dict[str, Any] = value["metadata"] if isinstance(value.get("metadata"), dict) else {}
    phone_number_id = _str(metadata.get("phone_number_id"), 32) if metadata else None
    if phone_number_id and waba_id:
        batch.numbers[phone_number_id] = (waba_id, _str(metadata.get("display_phone_number"), 32))
    names = {}
    for contact in value.get("contacts") or []:
        if isinstance(contact, dict):
            profile: dict[str, Any] = contact["profile"] if isinstance(contact.get("profile"), dict) else {}
            names[str(contact.get("wa_id"))] = _str(profile.get("name"), 256)
    for status in value.get("statuses") or []:
        if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
            raise PayloadShapeError("a status has no id or status")
        batch.statuses.append(_status(status, waba_id, phone_number_id))
    for message in value.get("messages") or []:
        if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
            raise PayloadShapeError("a message has no id or sender")
        batch.inbound.append(_inbound(message, names, phone_number_id, waba_id))


def _status(s: dict[str, Any], waba_id: str = "", phone_number_id: str | None = None) -> StatusRecord:
    errors = s.get("errors") if isinstance(s.get("errors"), list) else []
    err = _dict(errors[0]) if errors else {}
    err_data = _dict(err.get("error_data"))
    conversation = _dict(s.get("conversation"))
    pricing = _dict(s.get("pricing"))
    code = err.get("code")
    return StatusRecord(
        wamid=str(s["id"])[:160],
        status=str(s["status"])[:16],
        meta_ts=_ts(s.get("timestamp")),
        recipient_id=_str(s.get("recipient_id"), 20),
        error_code=_error_code(code),
        error_title=_str(err.get("title") or err.get("message"), 256),
        error_detail=_str(err_data.get("details") or err.get("message")),
        conversation_id=_str(conversation.get("id"), 128),
        pricing_category=_str(pricing.get("category"), 32),
        raw=s,
        waba_id=waba_id,
        phone_number_id=phone_number_id,
    )


INT32_MAX = 2**31 - 1


def _error_code(code: Any) -> int | None:
    """Meta's error code as the integer column holds it; one out of range (a 20-digit
    number) is NULL there and stays whole in the raw payload."""
    if not isinstance(code, int | str) or isinstance(code, bool) or not str(code).isdigit():
        return None
    value = int(code)
    return value if value <= INT32_MAX else None


def _inbound(
    m: dict[str, Any], names: dict[str, str | None], pnid: str | None, waba_id: str = ""
) -> InboundRecord:
    mtype = str(m.get("type") or "unknown")[:16]
    body: str | None = None
    reply_id: str | None = None
    kind = mtype
    content = _dict(m.get(mtype))
    if mtype == "text":
        body = _str(content.get("body"))
    elif mtype == "button":  # quick reply on a template
        body = _str(content.get("text"))
        reply_id = _str(content.get("payload"), 256)
        kind = "reply"
    elif mtype == "interactive":
        itype = content.get("type")
        reply = _dict(content.get(itype)) if isinstance(itype, str) else {}
        body = _str(reply.get("title"))
        reply_id = _str(reply.get("id"), 256)
        kind = "reply"
    elif isinstance(content, dict):
        body = _str(content.get("caption") or content.get("body") or content.get("emoji"))
    context = _dict(m.get("context"))
    sender = str(m["from"])[:20]
    return InboundRecord(
        wamid=str(m["id"])[:160],
        from_wa_id=sender,
        profile_name=names.get(sender),
        meta_ts=_ts(m.get("timestamp")),
        type=kind,
        body=body,
        reply_id=reply_id,
        context_wamid=_str(context.get("id"), 160),
        phone_number_id=pnid,
        raw=m,
        waba_id=waba_id,
    )


def _template_update(fld: str, value: dict[str, Any], waba_id: str = "") -> TemplateUpdate:
    return TemplateUpdate(
        kind="status" if fld == "message_template_status_update" else "quality",
        meta_id=_str(value.get("message_template_id"), 64),
        name=_str(value.get("message_template_name"), 512),
        language=_str(value.get("message_template_language"), 16),
        event=_str(value.get("event") or value.get("new_quality_score"), 32),
        reason=_str(value.get("reason"), 64),
        raw=value,
        waba_id=waba_id,
    )
