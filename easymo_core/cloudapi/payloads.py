"""Outgoing message payloads, checked before anything leaves the machine.

Each builder returns the JSON body of ``POST /{version}/{phone_number_id}/messages`` with
``to`` normalised, or raises :class:`PayloadError` naming the field, its length or count,
and the limit. :func:`validate_message` applies the same checks to a payload built
elsewhere (a stored outbox row, a raw dict from the CLI).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.interactive_payloads import (
    Header,
    ListRow,
    ListSection,
    ReplyButton,
    buttons_object,
    check_interactive,
    list_object,
)
from easymo_core.cloudapi.limits import CAPTION_MAX, TEXT_BODY_MAX
from easymo_core.cloudapi.payload_rules import (
    MEDIA_KINDS,
    MESSAGING_PRODUCT,
    check_envelope,
    check_media,
    envelope,
    optional_text,
    require_mapping,
    require_text,
)
from easymo_core.cloudapi.template_payloads import (
    ComponentParams,
    check_template,
    copy_code_button,
    currency_param,
    date_time_param,
    flow_button,
    location_param,
    media_param,
    quick_reply_button,
    template_object,
    text_param,
    url_button,
)

# Meta's media message objects: caption on image, video and document only.
CAPTIONED_MEDIA = ("image", "video", "document")
UNCAPTIONED_MEDIA = ("audio", "sticker")

__all__ = [
    "ListRow",
    "ListSection",
    "PayloadError",
    "ReplyButton",
    "button_message",
    "copy_code_button",
    "currency_param",
    "date_time_param",
    "flow_button",
    "list_message",
    "location_param",
    "mark_read_payload",
    "media_message",
    "media_param",
    "quick_reply_button",
    "template_message",
    "text_message",
    "text_param",
    "url_button",
    "validate_message",
]


def text_message(
    to: str,
    body: str,
    *,
    preview_url: bool = False,
    reply_to: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> dict[str, Any]:
    """A text message; ``reply_to`` is the wamid of the message it quotes."""
    require_text("text body", body, TEXT_BODY_MAX)
    payload = envelope(to, "text", reply_to, biz_opaque_callback_data)
    payload["text"] = {"body": body, "preview_url": bool(preview_url)}
    return payload


def template_message(
    to: str,
    name: str,
    language: str,
    *,
    header: ComponentParams | None = None,
    body: ComponentParams | None = None,
    buttons: Sequence[Mapping[str, Any]] = (),
    reply_to: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> dict[str, Any]:
    """A template message.

    ``header``/``body`` are a list of values (positional ``{{1}}``...) or a mapping from
    variable name to value (named ``{{first_name}}``); a value is a string or a ``*_param``
    object. ``buttons`` come from ``quick_reply_button``, ``url_button`` and the like.
    """
    template = template_object(name, language, header=header, body=body, buttons=buttons)
    payload = envelope(to, "template", reply_to, biz_opaque_callback_data)
    payload["template"] = template
    return payload


def button_message(
    to: str,
    body: str,
    buttons: Sequence[ReplyButton | tuple[str, str]],
    *,
    header: Header | None = None,
    footer: str | None = None,
    reply_to: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> dict[str, Any]:
    """An interactive message with 1-3 reply buttons, given as (id, title)."""
    interactive = buttons_object(body, buttons, header=header, footer=footer)
    payload = envelope(to, "interactive", reply_to, biz_opaque_callback_data)
    payload["interactive"] = interactive
    return payload


def list_message(
    to: str,
    body: str,
    button: str,
    sections: Sequence[ListSection],
    *,
    header: str | None = None,
    footer: str | None = None,
    reply_to: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> dict[str, Any]:
    """An interactive list: ``button`` is the text of the button that opens it."""
    interactive = list_object(body, button, sections, header=header, footer=footer)
    payload = envelope(to, "interactive", reply_to, biz_opaque_callback_data)
    payload["interactive"] = interactive
    return payload


def media_message(
    to: str,
    kind: str,
    *,
    media_id: str | None = None,
    link: str | None = None,
    caption: str | None = None,
    filename: str | None = None,
    reply_to: str | None = None,
    biz_opaque_callback_data: str | None = None,
) -> dict[str, Any]:
    """An image, video, document, audio or sticker message, by uploaded ``media_id`` or public
    ``link``. Audio and stickers take no caption; only a document takes a ``filename``."""
    if kind not in CAPTIONED_MEDIA and kind not in UNCAPTIONED_MEDIA:
        raise PayloadError(f"message type {kind!r} is not a media type", field="type")
    media: dict[str, Any] = {"id": media_id} if link is None else {"link": link}
    check_media(kind, media)
    if caption:
        if kind in UNCAPTIONED_MEDIA:
            raise PayloadError(f"an {kind} message takes no caption", field="caption",
                               explanation="Send the caption as a text message instead.")
        media["caption"] = caption
        optional_text(f"{kind} caption", caption, CAPTION_MAX)
    if filename:
        if kind != "document":
            raise PayloadError(f"only a document carries a file name, not an {kind}", field="filename")
        media["filename"] = filename
    payload = envelope(to, kind, reply_to, biz_opaque_callback_data)
    payload[kind] = media
    return payload


def mark_read_payload(message_id: str, *, typing_indicator: bool = False) -> dict[str, Any]:
    """Marks an inbound message read; ``typing_indicator`` also shows "typing…" to the user."""
    payload: dict[str, Any] = {
        "messaging_product": MESSAGING_PRODUCT,
        "status": "read",
        "message_id": require_text("message id", message_id),
    }
    if typing_indicator:
        payload["typing_indicator"] = {"type": "text"}
    return payload


def validate_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Check a payload built elsewhere; returns a copy with ``to`` normalised."""
    to = check_envelope(payload)
    message_type = payload.get("type")
    if not isinstance(message_type, str) or message_type not in payload:
        raise PayloadError(
            f"type {message_type!r} needs an object under the key of the same name", field="type"
        )
    content = payload[message_type]
    if message_type == "text":
        text = require_mapping("text", content)
        require_text("text body", text.get("body"), TEXT_BODY_MAX)
    elif message_type == "template":
        check_template(require_mapping("template", content))
    elif message_type == "interactive":
        check_interactive(require_mapping("interactive", content))
    elif message_type in (*MEDIA_KINDS, "audio", "sticker"):
        check_media(message_type, content)
        optional_text(f"{message_type} caption", content.get("caption"), CAPTION_MAX)
    elif message_type == "reaction":
        reaction = require_mapping("reaction", content)
        require_text("reaction message id", reaction.get("message_id"))
    elif message_type not in ("location", "contacts"):
        raise PayloadError(f"message type {message_type!r} is not supported", field="type")
    return {**payload, "to": to}
