"""The sandbox's side of Meta's Resumable Upload API: upload sessions and the handles they
produce (see ``upload_routes`` for the requests).

How long a handle stays usable is not published (unverified): ``HANDLE_LIFETIME_S`` is 24 h, the
figure integrators quote for creating a template after an upload.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HANDLE_LIFETIME_S = 24 * 3600.0
# Meta's largest sample (a document header) is 100 MB.
MAX_FILE_LENGTH = 100 * 1024 * 1024


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
    created: float


class UploadStore:
    """The sandbox's upload sessions and the handles they produced."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 handle_lifetime_s: float = HANDLE_LIFETIME_S) -> None:
        self.clock = clock
        self.handle_lifetime_s = handle_lifetime_s
        self.sessions: dict[str, UploadSession] = {}
        self.handles: dict[str, UploadedFile] = {}
        self._count = 0

    def open(self, file_name: str, file_type: str, file_length: int) -> UploadSession:
        self._count += 1
        raw = f"{self._count}:{file_name}:{file_length}".encode()
        session = UploadSession("upload:" + base64.urlsafe_b64encode(raw).decode().rstrip("="),
                                file_name, file_type, file_length)
        self.sessions[session.id] = session
        return session

    def finish(self, session: UploadSession) -> str:
        digest = hashlib.sha256(bytes(session.data)).hexdigest()[:24]
        handle = f"4::{base64.urlsafe_b64encode(session.file_type.encode()).decode()}:{digest}:{self._count}"
        self.handles[handle] = UploadedFile(session.file_name, session.file_type,
                                            bytes(session.data), self.clock())
        return handle

    def live(self, handle: str) -> UploadedFile | None:
        """The file behind ``handle`` while it may still be used, else None."""
        uploaded = self.handles.get(handle)
        if uploaded is None or self.clock() - uploaded.created > self.handle_lifetime_s:
            return None
        return uploaded


