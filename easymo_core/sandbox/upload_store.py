"""The sandbox's side of Meta's Resumable Upload API: upload sessions, and the handles they
produce in Meta's shape (see ``upload_routes`` for the requests).

A handle reads ``4::<base64 of the file type>:<token>:e:<expiry, unix s>:<app id>``, the shape of
the handles in Meta's own template creation examples. How long Meta keeps a handle usable is not
published (unverified): ``HANDLE_LIFETIME_S`` is 24 h, the figure integrators quote for creating
a template after an upload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

HANDLE_LIFETIME_S = 24 * 3600.0
# Meta's largest sample (a document header) is 100 MB.
MAX_FILE_LENGTH = 100 * 1024 * 1024
# Which file types a sample of each header format may be (Meta's template media guide).
HEADER_FILE_TYPES = {
    "IMAGE": ("image/jpeg", "image/jpg", "image/png"),
    "VIDEO": ("video/mp4",),
    "DOCUMENT": ("application/pdf",),
}


@dataclass
class UploadSession:
    id: str
    file_name: str
    file_type: str
    file_length: int
    data: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True)
class UploadedFile:
    """What a handle stands for: the sample a template's reviewers would see."""

    file_name: str
    file_type: str
    data: bytes
    expires: float


class UploadStore:
    """The sandbox's upload sessions and the handles they produced."""

    def __init__(self, app_id: str, clock: Callable[[], float] = time.time,
                 handle_lifetime_s: float = HANDLE_LIFETIME_S) -> None:
        self.app_id = app_id
        self.clock = clock
        self.handle_lifetime_s = handle_lifetime_s
        self.sessions: dict[str, UploadSession] = {}
        self.handles: dict[str, UploadedFile] = {}
        self._count = 0

    def clear(self) -> None:
        self.sessions.clear()
        self.handles.clear()

    def open(self, file_name: str, file_type: str, file_length: int) -> UploadSession:
        self._count += 1
        raw = f"{self._count}:{file_name}:{file_length}".encode()
        session = UploadSession("upload:" + base64.urlsafe_b64encode(raw).decode().rstrip("="),
                                file_name, file_type, file_length)
        self.sessions[session.id] = session
        return session

    def finish(self, session: UploadSession) -> str:
        expires = int(self.clock() + self.handle_lifetime_s)
        token = hashlib.sha256(bytes(session.data) + session.id.encode()).hexdigest()[:40]
        kind = base64.b64encode(session.file_type.encode()).decode()
        handle = f"4::{kind}:{token}:e:{expires}:{self.app_id}"
        self.handles[handle] = UploadedFile(session.file_name, session.file_type,
                                            bytes(session.data), expires)
        del self.sessions[session.id]
        return handle

    def live(self, handle: str) -> UploadedFile | None:
        """The file behind a handle this sandbox issued, while it may still be used."""
        uploaded = self.handles.get(handle)
        if uploaded is None or self.clock() > uploaded.expires:
            return None
        return uploaded

    def header_handle_problem(self, components: Iterable[Mapping[str, Any]]) -> str | None:
        """Why a media header's sample handle cannot be used, or None.

        A handle this sandbox issued must not have expired; any handle must carry a file type
        that fits the header's format. A handle in Meta's shape that this sandbox did not issue
        (Meta's own examples carry handles that expired in 2023) is taken on trust otherwise."""
        for component in components:
            fmt = str(component.get("format", "")).upper()
            if str(component.get("type", "")).upper() != "HEADER" or fmt not in HEADER_FILE_TYPES:
                continue
            handles = (component.get("example") or {}).get("header_handle") or []
            handle = str(handles[0]) if handles else ""
            if handle in self.handles and self.live(handle) is None:
                return f"the header sample handle has expired; upload the {fmt.lower()} again"
            file_type = _handle_file_type(handle)
            if file_type is not None and file_type not in HEADER_FILE_TYPES[fmt]:
                return (f"the header sample is a {file_type} file; a {fmt} header takes "
                        f"{', '.join(HEADER_FILE_TYPES[fmt])}")
        return None


def _handle_file_type(handle: str) -> str | None:
    parts = handle.split(":")
    if len(parts) < 3 or parts[0] != "4" or parts[1] != "":
        return None
    try:
        return base64.b64decode(parts[2] + "=" * (-len(parts[2]) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
