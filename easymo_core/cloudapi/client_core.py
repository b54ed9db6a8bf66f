"""What the sync and async clients share: configuration, URLs, requests, reading answers.

Everything here is I/O-free, so the two clients differ only in how they wait. The send
path is built for speed: URLs, headers and timeouts are computed once, and requests go
through ``httpx.Client.send`` with a prepared ``httpx.Request`` (skipping the per-call
merging of ``Client.request``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx

from easymo_core.cloudapi.errors import (
    CloudAPIError,
    GraphAPIError,
    MalformedResponseError,
    NetworkError,
    RequestTimeout,
    SendContext,
    SendOutcomeUnknown,
    error_from_response,
    malformed_success,
)
from easymo_core.cloudapi.models import SendResult, read_send_result
from easymo_core.cloudapi.pacing import UNLIMITED, Pacer, SendPacer
from easymo_core.cloudapi.retry import RetryPolicy, parse_retry_after
from easymo_core.errors import ConfigError

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v23.0"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
DEFAULT_RETRY = RetryPolicy()
DEFAULT_MAX_CONNECTIONS = 64
USER_AGENT = "easymo-console/0.1"

_VERSION_RE = re.compile(r"v\d+\.\d+")
_ID_RE = re.compile(r"\d{1,32}")
_ENCODE = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
).encode


def encode_json(payload: Any) -> bytes:
    return _ENCODE(payload).encode()


class ClientCore:
    """Configuration and request/answer handling of one Graph API client."""

    def __init__(
        self,
        *,
        access_token: str,
        phone_number_id: str = "",
        waba_id: str = "",
        base_url: str = DEFAULT_BASE_URL,
        graph_version: str = DEFAULT_GRAPH_VERSION,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        pacer: SendPacer | None = None,
    ) -> None:
        base_url = base_url.rstrip("/")
        if not base_url.startswith(("https://", "http://")):
            raise ConfigError(f"Graph URL {base_url!r} must start with https://")
        if not _VERSION_RE.fullmatch(graph_version):
            raise ConfigError(f"Graph API version {graph_version!r} is not like v23.0")
        for label, value in (("phone-number id", phone_number_id), ("WABA id", waba_id)):
            if value and not _ID_RE.fullmatch(value):
                raise ConfigError(f"{label} {value!r} must be digits",
                                  hint="copy it from WhatsApp Manager > API Setup")
        if not access_token:
            raise ConfigError("no access token", hint="store the profile's token in the keyring")
        self.base_url = base_url
        self.graph_version = graph_version
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id
        self.host = httpx.URL(base_url).netloc.decode("ascii")
        self._version_url = f"{base_url}/{graph_version}"
        self._secrets = (access_token,)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._extensions = {"timeout": self.timeout.as_dict()}
        self.retry = retry
        if pacer is None:
            # A client of its own paces alone; Services hands the clients of one number a
            # shared pacer.
            pacer = Pacer() if phone_number_id else UNLIMITED
        self.pacer: SendPacer = pacer
        self._get_headers = httpx.Headers({
            "Authorization": f"Bearer {access_token}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": USER_AGENT,
        })
        self._post_headers = httpx.Headers(
            {**self._get_headers, "Content-Type": "application/json"}
        )
        self._messages_url = (
            httpx.URL(f"{self._version_url}/{phone_number_id}/messages")
            if phone_number_id else None
        )

    def __repr__(self) -> str:
        # Never the token.
        return (f"{type(self).__name__}(base_url={self.base_url!r}, "
                f"graph_version={self.graph_version!r}, "
                f"phone_number_id={self.phone_number_id!r}, waba_id={self.waba_id!r})")

    # -- URLs ---------------------------------------------------------------------------

    def node_url(self, node_id: str, edge: str = "") -> str:
        if not _ID_RE.fullmatch(node_id):
            raise ConfigError(f"Graph node id {node_id!r} must be digits")
        return f"{self._version_url}/{node_id}/{edge}" if edge else f"{self._version_url}/{node_id}"

    def waba_url(self, edge: str = "") -> str:
        if not self.waba_id:
            raise ConfigError("this profile has no WABA id",
                              hint="copy it from WhatsApp Manager > API Setup into the profile")
        return self.node_url(self.waba_id, edge)

    def phone_url(self) -> str:
        return self.node_url(self._require_phone_number_id())

    def messages_url(self) -> httpx.URL:
        if self._messages_url is None:
            self._require_phone_number_id()
        assert self._messages_url is not None
        return self._messages_url

    def _require_phone_number_id(self) -> str:
        if not self.phone_number_id:
            raise ConfigError("this profile has no phone-number id",
                              hint="copy it from WhatsApp Manager > API Setup into the profile")
        return self.phone_number_id

    # -- requests -----------------------------------------------------------------------

    def send_request(self, body: bytes) -> httpx.Request:
        return httpx.Request("POST", self.messages_url(), headers=self._post_headers,
                             content=body, extensions=self._extensions)

    def request(
        self,
        method: str,
        url: str | httpx.URL,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> httpx.Request:
        if json_body is None:
            return httpx.Request(method, url, params=params, headers=self._get_headers,
                                 extensions=self._extensions)
        return httpx.Request(method, url, params=params, headers=self._post_headers,
                             content=encode_json(json_body), extensions=self._extensions)

    def raw_request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        auth_scheme: str = "Bearer",
    ) -> httpx.Request:
        """A request with the token and the given body as it is (uploads, downloads).

        Meta's resumable upload endpoint takes the token as ``OAuth <token>``, the rest of
        the Graph API as ``Bearer <token>``."""
        merged = httpx.Headers(self._get_headers)
        if auth_scheme != "Bearer":
            merged["Authorization"] = f"{auth_scheme} {self._secrets[0]}"
        merged.update(dict(headers or {}))
        return httpx.Request(method, url, params=params, headers=merged, content=content,
                             extensions=self._extensions)

    def version_url(self, path: str) -> str:
        """``path`` under the Graph version: ``upload:<session>``, ``<app-id>/uploads``."""
        return f"{self._version_url}/{path}"

    # -- answers ------------------------------------------------------------------------

    def read_send_answer(
        self, response: httpx.Response, payload: Mapping[str, Any], idempotency_key: str | None,
        attempt: int,
    ) -> SendResult:
        if response.is_success:
            try:
                return read_send_result(json.loads(response.content))
            except (ValueError, LookupError, TypeError, AttributeError) as exc:
                # A success status means the message most likely went out; without its
                # wamid only the status webhooks can tell.
                cause = malformed_success(self.host, response.content, str(exc),
                                          secrets=self._secrets)
                raise SendOutcomeUnknown(
                    self.send_context(payload, idempotency_key), cause, attempts=attempt
                ) from None
        error = self.error(response)
        if error.code is None and response.status_code >= 500:
            # A server failure without Meta's error envelope: it may have failed before or
            # after the message was handed on.
            raise SendOutcomeUnknown(
                self.send_context(payload, idempotency_key), error, attempts=attempt
            )
        raise error

    def read_json_answer(self, response: httpx.Response, *, idempotent: bool) -> Any:
        if response.is_success:
            try:
                return json.loads(response.content)
            except ValueError as exc:
                raise malformed_success(self.host, response.content, str(exc),
                                        secrets=self._secrets) from None
        error = self.error(response)
        if not idempotent and error.code is None and response.status_code >= 500:
            error.retryable = False  # the change may have been made; never repeat it blindly
        raise error

    def require_object(self, data: Any) -> Mapping[str, Any]:
        """Every Graph answer easymo reads is a JSON object."""
        if not isinstance(data, Mapping):
            raise self.malformed("the answer is not a JSON object")
        return data

    def malformed(self, reason: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"The answer from {self.host} cannot be read ({reason})",
            code=None, http_status=200,
            explanation="Check that the profile's Graph URL points at the Graph API.")

    def error(self, response: httpx.Response) -> GraphAPIError:
        return error_from_response(
            response.status_code,
            response.content,
            host=self.host,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            secrets=self._secrets,
        )

    def send_transport_error(
        self, exc: httpx.TransportError, payload: Mapping[str, Any],
        idempotency_key: str | None, attempt: int,
    ) -> CloudAPIError:
        error = self.transport_error(exc, idempotent=False)
        if getattr(error, "request_sent", True):
            return SendOutcomeUnknown(
                self.send_context(payload, idempotency_key), error, attempts=attempt
            )
        return error

    def transport_error(self, exc: httpx.TransportError, *, idempotent: bool) -> CloudAPIError:
        """The typed error for a failed exchange; ``request_sent`` says whether it left."""
        timeout = self.timeout
        if isinstance(exc, httpx.ConnectTimeout):
            return RequestTimeout(self.host, "connect", timeout.connect, request_sent=False,
                                  retryable=True)
        if isinstance(exc, httpx.PoolTimeout):
            return RequestTimeout(self.host, "connection pool", timeout.pool,
                                  request_sent=False, retryable=True)
        if isinstance(exc, httpx.WriteTimeout):
            return RequestTimeout(self.host, "write", timeout.write, request_sent=True,
                                  retryable=idempotent)
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimeout(self.host, "read", timeout.read, request_sent=True,
                                  retryable=idempotent)
        reason = self._reason(exc)
        if isinstance(exc, httpx.ConnectError):
            return NetworkError(self.host, reason, request_sent=False, retryable=True)
        if isinstance(exc, httpx.UnsupportedProtocol):
            return NetworkError(self.host, reason, request_sent=False, retryable=False)
        return NetworkError(self.host, reason, request_sent=True, retryable=idempotent)

    def _reason(self, exc: httpx.TransportError) -> str:
        text = str(exc) or type(exc).__name__
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return text

    def send_context(self, payload: Mapping[str, Any], idempotency_key: str | None) -> SendContext:
        return SendContext(
            phone_number_id=self.phone_number_id,
            to=str(payload.get("to", "")),
            message_type=str(payload.get("type", "")),
            idempotency_key=idempotency_key,
            biz_opaque_callback_data=payload.get("biz_opaque_callback_data"),
        )
