"""A local cache of the media customers sent, so the console shows an image or offers a file
without asking Meta each time.

- Files are named by their media id and a suffix from their type, never by the sender's file
  name, and are created readable by the user only; nothing here opens or runs them.
- The bytes must match the sha256 Meta's webhook gave (hex or base64); a file that does not is
  refused, not kept.
- The cache holds at most ``max_bytes`` and nothing older than ``max_age``: the oldest files go
  first when it is full.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from easymo_core.cloudapi.media_client import MediaInfo
from easymo_core.cloudapi.media_rules import SUFFIX_FOR_TYPE
from easymo_core.errors import EasymoError
from easymo_core.media.inbound import InboundMedia
from easymo_core.private_files import private_dir, private_opener

DEFAULT_MAX_BYTES = 500 * 1024 * 1024
DEFAULT_MAX_AGE_S = 30 * 24 * 3600.0
# Meta's largest media (a document) is 100 MB.
LARGEST_MEDIA = 100 * 1024 * 1024
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


class MediaSource(Protocol):
    def media_info(self, media_id: str) -> MediaInfo: ...
    def download_media(self, url: str, *, max_bytes: int) -> bytes: ...


class MediaIntegrityError(EasymoError):
    """Downloaded bytes are not the file Meta's webhook described."""


@dataclass(frozen=True)
class CachedMedia:
    path: Path
    mime_type: str
    size: int


class MediaCache:
    def __init__(self, directory: Path, source: MediaSource, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_age_s: float = DEFAULT_MAX_AGE_S, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.source = source
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.clock = clock

    def cached(self, media: InboundMedia) -> CachedMedia | None:
        """The file already in the cache, without asking Meta."""
        path = self._path(media.media_id, media.mime_type)
        try:
            size = path.stat().st_size
        except OSError:
            return None
        return CachedMedia(path, media.mime_type, size)

    def fetch(self, media: InboundMedia) -> CachedMedia:
        """The media's file, downloaded once (network: call it off the UI thread)."""
        hit = self.cached(media)
        if hit is not None:
            with contextlib.suppress(OSError):
                os.utime(hit.path)  # recently looked at: pruned last
            return hit
        info = self.source.media_info(media.media_id)
        data = self.source.download_media(info.url, max_bytes=LARGEST_MEDIA)
        expected = media.sha256 or info.sha256
        if expected and not _matches(expected, data):
            raise MediaIntegrityError(
                f"the {media.kind} {media.media_id} downloaded does not match its checksum",
                hint="it was not kept; try again later, or ask the sender to send it again")
        mime = media.mime_type or info.mime_type
        path = self._path(media.media_id, mime)
        private_dir(self.directory)
        part = path.with_name(path.name + ".part")
        with open(part, "wb", opener=private_opener) as fh:
            fh.write(data)
        os.replace(part, path)
        self.prune(keep=path)
        return CachedMedia(path, mime, len(data))

    def prune(self, keep: Path | None = None) -> int:
        """Remove files past the age limit, then the oldest until under the size cap."""
        try:
            entries = [(p, p.stat()) for p in self.directory.iterdir() if p.is_file()]
        except OSError:
            return 0
        now = self.clock()
        removed = 0
        fresh = []
        for path, st in entries:
            if now - st.st_mtime > self.max_age_s and path != keep:
                removed += _unlink(path)
            else:
                fresh.append((path, st))
        total = sum(st.st_size for _, st in fresh)
        for path, st in sorted(fresh, key=lambda e: e[1].st_mtime):
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            removed += _unlink(path)
            total -= st.st_size
        return removed

    def _path(self, media_id: str, mime_type: str) -> Path:
        if not _SAFE_ID.match(media_id):
            raise MediaIntegrityError(f"media id {media_id!r} is not one Meta gives",
                                      hint="nothing was downloaded")
        return self.directory / f"{media_id}{SUFFIX_FOR_TYPE.get(mime_type.split(';')[0], '.bin')}"


def _matches(expected: str, data: bytes) -> bool:
    digest = hashlib.sha256(data).digest()
    return expected.lower() == digest.hex() or expected == base64.b64encode(digest).decode()


def _unlink(path: Path) -> int:
    try:
        path.unlink()
    except OSError:
        return 0
    return 1
