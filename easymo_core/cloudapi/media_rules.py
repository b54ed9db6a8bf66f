"""Which files WhatsApp takes, checked before a byte is uploaded.

Types and sizes are Meta's "Supported media types" table for the Cloud API (messages) and
the Resumable Upload API's ``file_type`` list (template header samples): Meta's developer
documentation, not its OpenAPI description, which gives neither. Figures as published in 2025;
the sticker sizes (100 KB static, 500 KB animated) are Meta's, the animated/static distinction
is not checked here (unverified whether Meta enforces it at upload or at send).

The type of a file is read from its first bytes where the format has a signature, not only
from its name, so ``photo.png`` that is really a PDF is refused with a message saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from easymo_core.cloudapi.errors import PayloadError

MB = 1024 * 1024

# kind -> (MIME types Meta accepts, largest file in bytes)
MESSAGE_MEDIA: dict[str, tuple[tuple[str, ...], int]] = {
    "audio": (("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"), 16 * MB),
    "document": ((
        "text/plain", "application/pdf",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ), 100 * MB),
    "image": (("image/jpeg", "image/png"), 5 * MB),
    "sticker": (("image/webp",), 500 * 1024),
    "video": (("video/3gpp", "video/mp4"), 16 * MB),
}
MEDIA_MESSAGE_KINDS = tuple(MESSAGE_MEDIA)

# Template header formats and what a sample for each may be (Resumable Upload API file types).
HEADER_SAMPLES: dict[str, tuple[tuple[str, ...], int]] = {
    "IMAGE": (("image/jpeg", "image/png"), 5 * MB),
    "VIDEO": (("video/mp4",), 16 * MB),
    "DOCUMENT": (("application/pdf",), 100 * MB),
}
UPLOAD_FILE_TYPES = ("application/pdf", "image/jpeg", "image/jpg", "image/png", "video/mp4")

_BY_SUFFIX = {
    ".aac": "audio/aac", ".amr": "audio/amr", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
    ".ogg": "audio/ogg", ".opus": "audio/ogg", ".txt": "text/plain", ".pdf": "application/pdf",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
    ".3gp": "video/3gpp", ".mp4": "video/mp4",
}
# The suffix a saved download gets, for each type (the first suffix that names it).
SUFFIX_FOR_TYPE = {mime: suffix for suffix, mime in reversed(_BY_SUFFIX.items())}


@dataclass(frozen=True)
class MediaFile:
    """A file checked for one use: its path, the type sent to Meta and its size."""

    path: Path
    mime_type: str
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def sniff_type(head: bytes) -> str | None:
    """The MIME type the file's first bytes prove, or None where they prove nothing."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"3gp"):
            return "video/3gpp"
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        return "video/mp4"
    return None


def media_type(path: Path, head: bytes) -> str | None:
    """The file's type: its signature where it has one, else its name's suffix."""
    by_name = _BY_SUFFIX.get(path.suffix.lower())
    sniffed = sniff_type(head)
    if sniffed is None:
        return by_name
    # An .m4a and an .mp4 share the container; the name tells audio from video.
    if sniffed == "video/mp4" and by_name == "audio/mp4":
        return by_name
    return sniffed


def check_file(path: str | Path, allowed: tuple[tuple[str, ...], int], what: str) -> MediaFile:
    """``path`` as a MediaFile fit for ``what`` (e.g. "an image message"), or PayloadError."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise PayloadError(f"{file} is not a file", field="file",
                           explanation="Check the path and try again.")
    try:
        with file.open("rb") as fh:
            head = fh.read(16)
        size = file.stat().st_size
    except OSError as exc:
        raise PayloadError(f"cannot read {file}: {exc.strerror}", field="file",
                           explanation="Check the file's permissions.") from None
    types, limit = allowed
    mime = media_type(file, head)
    if mime is None or mime not in types:
        shown = f"a {mime} file" if mime else "of a type WhatsApp does not take"
        raise PayloadError(
            f"{file.name} is {shown}; {what} takes {', '.join(types)}", field="file",
            explanation="Convert the file to one of those types and try again.")
    if size == 0:
        raise PayloadError(f"{file.name} is empty", field="file", value_length=0)
    if size > limit:
        raise PayloadError(
            f"{file.name} is {size / MB:.1f} MB; {what} takes at most {limit / MB:g} MB",
            field="file", value_length=size, limit=limit,
            explanation="Make the file smaller (compress or resize it) and try again.")
    return MediaFile(file, mime, size)


def check_message_file(kind: str, path: str | Path) -> MediaFile:
    if kind not in MESSAGE_MEDIA:
        raise PayloadError(f"{kind!r} is not a media message kind "
                           f"({', '.join(MEDIA_MESSAGE_KINDS)})", field="type")
    return check_file(path, MESSAGE_MEDIA[kind], f"a{'n' if kind[0] in 'aeiou' else ''} {kind} message")


def check_header_sample(header_format: str, path: str | Path) -> MediaFile:
    fmt = header_format.upper()
    if fmt not in HEADER_SAMPLES:
        raise PayloadError(f"a {fmt} header takes no media sample (only "
                           f"{', '.join(HEADER_SAMPLES)} do)", field="header")
    return check_file(path, HEADER_SAMPLES[fmt], f"a template {fmt} header sample")
