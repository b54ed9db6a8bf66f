"""A stored message as WhatsApp previews, and the conversation as a chat (pure data).

Outbound messages are drawn from what was sent: the template rendered with its stored
parameters when the template is known, the interactive payload's buttons or list, or
the text. Inbound ones are the user's bubbles under the message they answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.models.preview import buttons_preview, list_preview, text_preview, ticks_for
from app.models.preview_data import PreviewMessage, PreviewReply

TemplateLookup = Callable[[str, str], Any]


def _hhmm(at: datetime | None) -> str:
    return at.astimezone().strftime("%H:%M") if at is not None else ""


def day_label(at: datetime | None, today: datetime | None = None) -> str:
    """The date chip: "TODAY", "YESTERDAY" or "3 MAY 2026", in local time."""
    if at is None:
        return ""
    local = at.astimezone()
    now = (today or datetime.now().astimezone()).date()
    if local.date() == now:
        return "TODAY"
    if (now - local.date()).days == 1:
        return "YESTERDAY"
    return f"{local.day} {local:%B %Y}".upper()


def outbound_preview(message: dict[str, Any], replies: Sequence[PreviewReply] = (),
                     template: Any = None) -> PreviewMessage:
    """The bubble for one outbound message dict (MessageQueries.detail's ``message``)."""
    extra: dict[str, Any] = {"time": _hhmm(message.get("created_at")),
                             "ticks": ticks_for(message.get("status")), "replies": tuple(replies),
                             "date_label": day_label(message.get("created_at"))}
    body = str(message.get("body") or "")
    payload = message.get("payload") or {}
    interactive = payload.get("interactive") if isinstance(payload, dict) else None
    if message.get("type") == "template" and template is not None:
        try:
            from app.models.preview import template_preview
            from easymo_core.templates.params import TemplateParams

            params = message.get("parameters") or {}
            tparams = TemplateParams.of(
                header=dict(params.get("header") or {}), body=dict(params.get("body") or {}),
                buttons={int(k): v for k, v in (params.get("buttons") or {}).items()})
            return template_preview(template.definition, tparams, **extra)
        except Exception:
            pass  # parameters of another shape: the stored rendering below says the same
    if isinstance(interactive, dict):
        header = (interactive.get("header") or {}).get("text")
        footer = (interactive.get("footer") or {}).get("text")
        text = (interactive.get("body") or {}).get("text") or body
        action = interactive.get("action") or {}
        if interactive.get("type") == "button":
            titles = [b.get("reply", {}).get("title", "") for b in action.get("buttons", [])]
            return buttons_preview(text, titles, header=header, footer=footer, **extra)
        if interactive.get("type") == "list":
            sections = [(s.get("title", ""), [(r.get("title", ""), r.get("description", ""))
                                              for r in s.get("rows", [])])
                        for s in action.get("sections", [])]
            return list_preview(text, action.get("button", "Options"), sections, header=header,
                                footer=footer, **extra)
    if not body and message.get("template_name"):
        body = f"Template {message['template_name']} ({message.get('template_language')})"
    return text_preview(body or "(no text)", **extra)


def reply_of(row: Any) -> PreviewReply:
    """An inbound message (dict or LogRow) as a user's bubble."""
    get = row.get if isinstance(row, dict) else (lambda k, d=None: getattr(row, k, d))
    kind = str(get("type") or "")
    shown = "button" if kind in ("reply", "button", "interactive") else "text"
    at = get("received_at") or get("created_at")
    return PreviewReply(shown, str(get("body") or f"({kind})"), _hhmm(at))  # type: ignore[arg-type]


def detail_preview(detail: Any, template: Any = None) -> PreviewMessage:
    """The detail pane's bubble: an outbound message with the replies it got, or an
    inbound message on its own."""
    message = detail.message
    if message.get("direction") == "in":
        return PreviewMessage(replies=(reply_of(message),),
                              date_label=day_label(message.get("created_at")))
    replies = tuple(reply_of(r) for r in detail.replies)
    return outbound_preview(message, replies, template)


@dataclass(frozen=True)
class ChatGroup:
    """One bubble group: an outbound message and the user's messages after it."""

    preview: PreviewMessage
    message_ids: tuple[int, ...]
    day: str  # the date chip above the group ("" when the day did not change)


def chat_groups(rows: Sequence[Any], *, today: datetime | None = None) -> list[ChatGroup]:
    """A conversation's LogRows (oldest first) as groups the bubble widget draws."""
    groups: list[ChatGroup] = []
    current: PreviewMessage | None = None
    ids: list[int] = []
    replies: list[PreviewReply] = []
    last_day = ""
    day_of_group = ""

    def flush() -> None:
        nonlocal current, ids, replies
        if current is not None or replies:
            base = current or PreviewMessage()
            from dataclasses import replace

            groups.append(ChatGroup(replace(base, replies=tuple(replies), date_label=day_of_group),
                                    tuple(ids), day_of_group))
        current, ids, replies = None, [], []

    for r in rows:
        day = day_label(r.created_at, today)
        if r.direction == "out" or day != last_day:
            flush()
            day_of_group = day if day != last_day else ""
            last_day = day
        if r.direction == "out":
            message = {"body": r.body, "type": r.type, "status": r.status,
                       "created_at": r.created_at, "template_name": r.template_name,
                       "template_language": r.template_language}
            current = outbound_preview(message)
        else:
            replies.append(reply_of(r))
        ids.append(r.id)
    flush()
    return groups
