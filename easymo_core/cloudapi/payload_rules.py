"""The checks every payload builder shares: lengths, counts, required values, the envelope.

Each check raises :class:`PayloadError` whose message names the field, the measured
length or count and the limit, e.g. "button 2 title is 23 characters; the limit is 20".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.limits import BIZ_OPAQUE_CALLBACK_DATA_MAX
from easymo_core.cloudapi.phone import normalize_phone

MESSAGING_PRODUCT = "whatsapp"
MEDIA_KINDS = ("image", "video", "document")


def require_text(field: str, value: Any, limit: int | None = None) -> str:
    """``value`` as a non-empty string of at most ``limit`` characters."""
    if not isinstance(value, str):
        raise PayloadError(f"{field} must be text, not {type(value).__name__}", field=field)
    if not value:
        raise PayloadError(f"{field} is empty", field=field, value_length=0, limit=limit)
    check_length(field, value, limit)
    return value


def check_length(field: str, value: str, limit: int | None) -> None:
    if limit is not None and len(value) > limit:
        raise PayloadError(
            f"{field} is {len(value)} characters; the limit is {limit}",
            field=field, value_length=len(value), limit=limit,
        )


def optional_text(field: str, value: Any, limit: int) -> str | None:
    return None if value is None else require_text(field, value, limit)


def check_count(field: str, what: str, count: int, low: int, high: int) -> None:
    """``count`` items of ``what`` (a plural noun) must lie within ``low``..``high``."""
    if count > high:
        raise PayloadError(
            f"{field} has {count} {what}; the limit is {high}", field=field, count=count, limit=high
        )
    if count < low:
        raise PayloadError(
            f"{field} has {count} {what}; at least {low} required", field=field, count=count,
            limit=low,
        )


def require_mapping(field: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{field} is missing or not an object", field=field)
    return value


def require_list(field: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise PayloadError(f"{field} is missing or not a list", field=field)
    return list(value)


def check_unique(field: str, what: str, values: list[str]) -> None:
    """Each of ``values`` (numbered from 1 in messages) must differ from the ones before it."""
    seen: dict[str, int] = {}
    for number, value in enumerate(values, 1):
        if value in seen:
            raise PayloadError(
                f"{what} {number} {field} {value!r} repeats {what} {seen[value]}'s; "
                f"{field}s must be unique",
                field=f"{what} {number} {field}",
            )
        seen[value] = number


def check_media(field: str, media: Any) -> None:
    """A media object: exactly one of ``link`` (http or https) and ``id``."""
    media = require_mapping(field, media)
    link, media_id = media.get("link"), media.get("id")
    if (link is None) == (media_id is None):
        raise PayloadError(f"{field} needs either a link or a media id, not both", field=field)
    if link is not None:
        require_text(f"{field} link", link)
        if not link.startswith(("https://", "http://")):
            raise PayloadError(f"{field} link {link!r} must start with https://", field=field)
    else:
        require_text(f"{field} id", media_id)


def envelope(
    to: str,
    message_type: str,
    reply_to: str | None,
    biz_opaque_callback_data: str | None,
) -> dict[str, Any]:
    """The part every outgoing message shares, with ``to`` normalised."""
    payload: dict[str, Any] = {
        "messaging_product": MESSAGING_PRODUCT,
        "recipient_type": "individual",
        "to": normalize_phone(to),
        "type": message_type,
    }
    if reply_to is not None:
        payload["context"] = {"message_id": require_text("reply-to message id", reply_to)}
    if biz_opaque_callback_data is not None:
        payload["biz_opaque_callback_data"] = require_text(
            "biz_opaque_callback_data", biz_opaque_callback_data, BIZ_OPAQUE_CALLBACK_DATA_MAX
        )
    return payload


def check_envelope(payload: Mapping[str, Any]) -> str:
    """Check the shared part of a raw payload; returns its normalised ``to``."""
    if payload.get("messaging_product") != MESSAGING_PRODUCT:
        raise PayloadError('messaging_product must be "whatsapp"', field="messaging_product")
    if payload.get("recipient_type", "individual") != "individual":
        raise PayloadError('recipient_type must be "individual"', field="recipient_type")
    to = payload.get("to")
    if not isinstance(to, str):
        raise PayloadError("to is missing", field="to")
    context = payload.get("context")
    if context is not None:
        require_text("reply-to message id", require_mapping("context", context).get("message_id"))
    opaque = payload.get("biz_opaque_callback_data")
    if opaque is not None:
        require_text("biz_opaque_callback_data", opaque, BIZ_OPAQUE_CALLBACK_DATA_MAX)
    return normalize_phone(to)
