"""Media as the Cloud API keeps it: upload, look up, download through a short-lived URL, delete.

  POST   /{v}/{phone_number_id}/media    multipart ``file`` (+ ``type``, ``messaging_product``)
                                         -> ``{"id"}``
  GET    /{v}/{media_id}                 -> ``{messaging_product, url, mime_type, sha256,
                                            file_size, id}``
  DELETE /{v}/{media_id}                 -> ``{"success": true}``
  GET    /whatsapp_business/attachments/?mid=..&ext=..&hash=..   the bytes, with the token

Shapes are those of Meta's OpenAPI description (v23.0). The supported types and sizes come
from Meta's media reference (not in the description: unverified); the download URL lives
5 minutes, as Meta's media guide says, and needs the access token like every Graph call.
Users of the sandbox send media the same way (``Users.receive`` with a stored id).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import HTTP
from typing import Any

from easymo_core.sandbox.graph_errors import GraphError

DOWNLOAD_PATH = "/whatsapp_business/attachments/"
URL_LIFETIME_SECONDS = 300
_MB = 1024 * 1024
# mime type -> (kind, largest size in bytes)
SUPPORTED: dict[str, tuple[str, int]] = {
    "image/jpeg": ("image", 5 * _MB), "image/png": ("image", 5 * _MB),
    "image/webp": ("sticker", 500 * 1024),
    "audio/aac": ("audio", 16 * _MB), "audio/amr": ("audio", 16 * _MB), "audio/mpeg": ("audio", 16 * _MB),
    "audio/mp4": ("audio", 16 * _MB), "audio/ogg": ("audio", 16 * _MB),
    "video/mp4": ("video", 16 * _MB), "video/3gpp": ("video", 16 * _MB),
    "text/plain": ("document", 100 * _MB), "application/pdf": ("document", 100 * _MB),
    "application/msword": ("document", 100 * _MB), "application/vnd.ms-excel": ("document", 100 * _MB),
    "application/vnd.ms-powerpoint": ("document", 100 * _MB),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("document", 100 * _MB),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("document", 100 * _MB),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("document", 100 * _MB),
}
# What a simulated user's media message carries when no file is given: a tiny sample of the
# kind (recognisable magic bytes, enough for a client to store and show something).
SAMPLES: dict[str, tuple[str, bytes]] = {
    "image": ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00sandbox image\xff\xd9"),
    "document": ("application/pdf", b"%PDF-1.4\n% easyMO sandbox document\n%%EOF\n"),
    "audio": ("audio/ogg", b"OggS\x00\x02sandbox voice note"),
    "video": ("video/mp4", b"\x00\x00\x00\x18ftypmp42sandbox video"),
    "sticker": ("image/webp", b"RIFF\x1a\x00\x00\x00WEBPVP8 sandbox"),
}


@dataclass(slots=True)
class Media:
    id: str
    mime_type: str
    data: bytes
    sha256: str
    filename: str | None = None


class MediaStore:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self.items: dict[str, Media] = {}

    def clear(self) -> None:
        self.items.clear()

    def add(self, media_id: str, mime_type: str, data: bytes, filename: str | None = None) -> Media:
        media = Media(media_id, mime_type, data, hashlib.sha256(data).hexdigest(), filename)
        self.items[media_id] = media
        return media

    def describe(self, media: Media, base_url: str, now: float) -> dict[str, Any]:
        expires = int(now) + URL_LIFETIME_SECONDS
        url = f"{base_url}{DOWNLOAD_PATH}?mid={media.id}&ext={expires}&hash={self._hash(media.id, expires)}"
        return {"messaging_product": "whatsapp", "url": url, "mime_type": media.mime_type,
                "sha256": media.sha256, "file_size": str(len(media.data)), "id": media.id}

    def download(self, mid: str, ext: str, given_hash: str, now: float) -> Media | None:
        """The media a download URL names, or None when the URL is wrong or has expired."""
        media = self.items.get(mid)
        if media is None or not ext.isdigit() or int(ext) < now:
            return None
        if not hmac.compare_digest(self._hash(mid, int(ext)), given_hash):
            return None
        return media

    def _hash(self, media_id: str, expires: int) -> str:
        return hmac.new(self._secret, f"{media_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def parse_upload(content_type: str, body: bytes) -> tuple[str, bytes, str | None]:
    """(mime type, bytes, file name) of a multipart upload, or GraphError(100)."""
    if not content_type.startswith("multipart/form-data"):
        raise GraphError(100, "Upload the file as multipart/form-data", message="(#100) Invalid parameter")
    parsed = message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body, policy=HTTP)
    fields: dict[str, Message] = {}
    for part in parsed.iter_parts() if parsed.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            fields[name] = part
    if "messaging_product" not in fields:
        raise GraphError(100, message="(#100) The parameter messaging_product is required.")
    if _text(fields["messaging_product"]) != "whatsapp":
        raise GraphError(100, "messaging_product must be whatsapp", message="(#100) Invalid parameter")
    file_part = fields.get("file")
    if file_part is None:
        raise GraphError(100, message="(#100) The parameter file is required.")
    data = file_part.get_payload(decode=True)
    data = data if isinstance(data, bytes) else b""
    mime = _text(fields["type"]) if "type" in fields else file_part.get_content_type()
    if mime not in SUPPORTED:
        raise GraphError(100, f"Param file must be a file with one of the following types: "
                              f"{', '.join(sorted(SUPPORTED))}. Received file of type '{mime}'.",
                         message="(#100) Invalid parameter")
    kind, largest = SUPPORTED[mime]
    if not data:
        raise GraphError(100, "Param file is empty", message="(#100) Invalid parameter")
    if len(data) > largest:
        raise GraphError(100, f"Param file: a {kind} may be at most {largest // 1024} KB",
                         message="(#100) Invalid parameter")
    filename = file_part.get_filename()
    return mime, data, filename


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace").strip() if isinstance(payload, bytes) else ""

