"""The media object of an inbound message, read from the payload Meta sent (``messages.payload``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MEDIA_KINDS = ("image", "sticker", "audio", "video", "document")


@dataclass(frozen=True)
class InboundMedia:
    """An image, sticker, voice note, video or document a customer sent."""

    kind: str
    media_id: str
    mime_type: str
    sha256: str | None
    caption: str | None
    # The sender's own name for a document: shown as text, never used as a path.
    filename: str | None
    voice: bool = False


def inbound_media(payload: Mapping[str, Any] | None) -> InboundMedia | None:
    """The media of a stored inbound payload, or None for a text, a reply, a location..."""
    if not payload:
        return None
    kind = payload.get("type")
    content = payload.get(kind) if isinstance(kind, str) else None
    if kind not in MEDIA_KINDS or not isinstance(content, Mapping) or not content.get("id"):
        return None
    return InboundMedia(
        kind=str(kind),
        media_id=str(content["id"]),
        mime_type=str(content.get("mime_type") or ""),
        sha256=_text(content.get("sha256")),
        caption=_text(content.get("caption")),
        filename=_text(content.get("filename")),
        voice=bool(content.get("voice")),
    )


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None
