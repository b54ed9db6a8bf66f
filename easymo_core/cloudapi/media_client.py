"""The Cloud API's media endpoints and Meta's Resumable Upload API, as client methods.

- Messages: ``POST /{phone-number-id}/media`` (multipart) gives a media id to send by;
  ``GET /{media-id}`` gives a URL valid for five minutes; a GET of that URL with the token
  downloads the bytes; ``DELETE /{media-id}`` removes it.
- Template samples: ``POST /{app-id}/uploads`` (file_name, file_length, file_type) opens an
  upload session ``upload:<id>``; ``POST /upload:<id>`` with the header ``file_offset`` and the
  bytes answers the handle ``h`` that a template's ``example.header_handle`` takes; a
  ``GET /upload:<id>`` says how far an interrupted upload got, to resume from there.

Files are checked against Meta's types and sizes (``media_rules``) before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from easymo_core.cloudapi.client_core import ClientCore
from easymo_core.cloudapi.errors import CloudAPIError, MalformedResponseError, PayloadError
from easymo_core.cloudapi.media_rules import MediaFile
from easymo_core.cloudapi.retry import call_with_retry

# Parts of 4 MB: a dropped connection costs at most that much again.
UPLOAD_PART = 4 * 1024 * 1024
# More parts than this for one file means the server is not moving the offset forward.
_MAX_PARTS = 10_000
# Interrupted parts in a row before the upload gives up (the session stays resumable).
_RESUMES = 5


@dataclass(frozen=True)
class MediaInfo:
    """What ``GET /{media-id}`` tells: where to download it (for five minutes) and what it is."""

    id: str
    url: str
    mime_type: str
    sha256: str
    file_size: int


class MediaEndpoints:
    """Mixed into CloudAPIClient, whose core, exchange and pacing it shares."""

    _core: ClientCore
    _exchange: Callable[[httpx.Request], httpx.Response]

    # -- media for messages -------------------------------------------------------------

    def upload_media(self, file: MediaFile) -> str:
        """Upload a checked file for a message; returns its media id."""
        data = _read_file(file)
        encoder = httpx.Request(
            "POST", "http://multipart.invalid/",
            data={"messaging_product": "whatsapp", "type": file.mime_type},
            files={"file": (file.name, data, file.mime_type)},
        )
        body = encoder.read()
        url = f"{self._core.phone_url()}/media"
        request = self._core.raw_request(
            "POST", url, headers={"Content-Type": encoder.headers["Content-Type"]}, content=body)
        # An upload repeated after a lost answer only leaves an unused copy at Meta.
        answer = self._json(request, idempotent=True)
        media_id = answer.get("id")
        if not isinstance(media_id, str | int) or not str(media_id):
            raise self._core.malformed("the upload's answer has no media id")
        return str(media_id)

    def media_info(self, media_id: str) -> MediaInfo:
        params = {"phone_number_id": self._core.phone_number_id} if self._core.phone_number_id else None
        request = self._core.raw_request("GET", self._core.node_url(str(media_id)), params=params)
        answer = self._json(request, idempotent=True)
        try:
            return MediaInfo(id=str(answer["id"]), url=str(answer["url"]),
                             mime_type=str(answer.get("mime_type", "")),
                             sha256=str(answer.get("sha256", "")),
                             file_size=int(answer.get("file_size") or 0))
        except (KeyError, TypeError, ValueError) as exc:
            raise self._core.malformed(f"unexpected media answer: {exc!r}") from None

    def download_media(self, url: str, *, max_bytes: int) -> bytes:
        """The bytes behind a media URL from :meth:`media_info` (sent with the token, as Meta
        requires); refuses a plain-http URL away from this machine and anything larger than
        ``max_bytes``."""
        target = httpx.URL(url)
        if target.scheme != "https" and target.host not in ("127.0.0.1", "localhost", "::1"):
            raise PayloadError(f"refusing to send the access token to {target.scheme}://{target.host}",
                               field="url", explanation="Media URLs from Meta are https://.")
        request = self._core.raw_request("GET", target, headers={"Accept": "*/*"})

        def attempt(_number: int) -> bytes:
            try:
                response = self._exchange(request)
            except httpx.TransportError as exc:
                raise self._core.transport_error(exc, idempotent=True) from exc
            if not response.is_success:
                raise self._core.error(response)
            content = response.content
            if len(content) > max_bytes:
                raise PayloadError(f"the media is {len(content)} bytes, over the {max_bytes} allowed",
                                   field="media", value_length=len(content), limit=max_bytes)
            return content

        return call_with_retry(self._core.retry, attempt)

    def delete_media(self, media_id: str) -> bool:
        params = {"phone_number_id": self._core.phone_number_id} if self._core.phone_number_id else None
        request = self._core.raw_request("DELETE", self._core.node_url(str(media_id)), params=params)
        return bool(self._json(request, idempotent=True).get("success"))

    # -- resumable upload (template samples) ----------------------------------------------

    def start_upload(self, app_id: str, file: MediaFile) -> str:
        """Open an upload session for ``file``; returns its id, ``upload:...``."""
        url = self._core.node_url(str(app_id), "uploads")
        params = {"file_name": file.name, "file_length": str(file.size), "file_type": file.mime_type}
        answer = self._json(self._core.raw_request("POST", url, params=params), idempotent=False)
        session = answer.get("id")
        if not isinstance(session, str) or not session.startswith("upload:"):
            raise self._core.malformed("the upload session's answer has no upload: id")
        return session

    def upload_offset(self, session: str) -> int:
        """How many bytes of the session the server holds: where to resume."""
        request = self._core.raw_request("GET", self._session_url(session), auth_scheme="OAuth")
        answer = self._json(request, idempotent=True)
        try:
            return int(answer["file_offset"])
        except (KeyError, TypeError, ValueError):
            raise self._core.malformed("the upload session's answer has no file_offset") from None

    def upload_part(self, session: str, data: bytes, offset: int) -> str | None:
        """Send ``data`` at ``offset``; returns the file handle once the file is whole."""
        request = self._core.raw_request(
            "POST", self._session_url(session), auth_scheme="OAuth",
            headers={"file_offset": str(offset), "Content-Type": "application/octet-stream"},
            content=data)
        answer = self._json(request, idempotent=False)
        handle = answer.get("h")
        return str(handle) if handle else None

    def upload_sample(self, app_id: str, file: MediaFile, *, part: int = UPLOAD_PART,
                      session: str | None = None) -> str:
        """Upload ``file`` for a template header sample and return its handle.

        An interrupted part is resumed from the offset the server reports, so a dropped
        connection costs one part at most, never the file."""
        data = _read_file(file)
        session = session or self.start_upload(app_id, file)
        offset = self.upload_offset(session)
        failures = 0
        for _ in range(_MAX_PARTS):
            try:
                handle = self.upload_part(session, data[offset:offset + part], offset)
            except CloudAPIError as exc:
                failures += 1
                interrupted = exc.retryable or getattr(exc, "request_sent", False)
                if not interrupted or failures > _RESUMES:
                    raise
                offset = self.upload_offset(session)  # the server's word on what arrived
                continue
            failures = 0
            if handle is not None:
                return handle
            offset = self.upload_offset(session)
        raise MalformedResponseError(
            f"{self._core.host} never finished the upload of {file.name}", code=None,
            http_status=200, explanation="Try the upload again later.")

    # -- plumbing -----------------------------------------------------------------------

    def _session_url(self, session: str) -> str:
        if not session.startswith("upload:"):
            raise PayloadError(f"{session!r} is not an upload session id", field="session")
        return self._core.version_url(quote(session, safe=":"))

    def _json(self, request: httpx.Request, *, idempotent: bool) -> Mapping[str, Any]:
        """One Graph exchange, retried by the client's policy; its JSON object answer (every
        call of the client but the sends goes through here)."""
        core = self._core

        def attempt(_number: int) -> Any:
            try:
                response = self._exchange(request)
            except httpx.TransportError as exc:
                raise core.transport_error(exc, idempotent=idempotent) from exc
            return core.read_json_answer(response, idempotent=idempotent)

        return core.require_object(call_with_retry(core.retry, attempt))


def _read_file(file: MediaFile) -> bytes:
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        raise PayloadError(f"cannot read {file.path}: {exc.strerror}", field="file") from None
    if len(data) != file.size:
        raise PayloadError(f"{file.name} changed while it was being uploaded", field="file",
                           explanation="Upload it again once it is saved.")
    return data
