"""Typed errors of the Cloud API client.

Everything the client raises is a :class:`CloudAPIError` (an ``EasymoError``), with a
``retryable`` flag and an ``explanation`` (the one line an admin reads, also the ``hint``).

- :class:`GraphAPIError` and its families: Meta answered with an error (or with something
  that is not a Graph answer at all).
- :class:`NetworkError`, :class:`RequestTimeout`: no usable answer came back.
- :class:`SendOutcomeUnknown`: a send may have reached Meta but its answer was lost; it is
  never retried, and carries what the processor needs to reconcile it.
- :class:`PayloadError`: a payload was refused before anything left the machine.

No message built here contains the access token: Meta's own texts are passed through
``secrets`` redaction, and transport errors name the host only, never a URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from easymo_core.cloudapi.error_codes import ErrorFamily, code_info, explain
from easymo_core.errors import EasymoError

__all__ = [
    "AuthenticationError", "CloudAPIError", "ErrorFamily", "GraphAPIError",
    "MalformedResponseError", "MediaError", "NetworkError", "ParameterError", "PayloadError",
    "PermissionDeniedError", "PolicyError", "RateLimitError", "RecipientError", "RequestTimeout",
    "SendContext", "SendOutcomeUnknown", "ServerError", "TemplateError", "error_from_payload",
    "error_from_response", "explain",
]

REDACTED = "[REDACTED]"
_SNIPPET_MAX = 120
_SNIPPET_SCAN_MAX = 64 * 1024


class CloudAPIError(EasymoError):
    """Anything the Cloud API client raises."""

    retryable: bool = False

    def __init__(self, message: str, *, explanation: str = "", retryable: bool = False) -> None:
        super().__init__(message, hint=explanation)
        self.explanation = explanation
        self.retryable = retryable


class GraphAPIError(CloudAPIError):
    """Meta answered with an error.

    ``message`` is easymo's one line (Meta's text, code and HTTP status); ``graph_message``
    is Meta's text alone. ``code`` is None when the answer carried no Graph envelope.
    """

    family: ClassVar[ErrorFamily] = ErrorFamily.OTHER

    def __init__(
        self,
        message: str,
        *,
        code: int | None,
        subcode: int | None = None,
        graph_message: str = "",
        details: str = "",
        fbtrace_id: str | None = None,
        http_status: int | None = None,
        error_type: str | None = None,
        retryable: bool = False,
        explanation: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, explanation=explanation, retryable=retryable)
        self.code = code
        self.subcode = subcode
        self.graph_message = graph_message
        self.details = details
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.error_type = error_type
        self.retry_after = retry_after


class AuthenticationError(GraphAPIError):
    family = ErrorFamily.AUTHENTICATION


class PermissionDeniedError(GraphAPIError):
    family = ErrorFamily.PERMISSION


class RateLimitError(GraphAPIError):
    family = ErrorFamily.RATE_LIMIT


class RecipientError(GraphAPIError):
    family = ErrorFamily.RECIPIENT


class TemplateError(GraphAPIError):
    family = ErrorFamily.TEMPLATE


class ParameterError(GraphAPIError):
    family = ErrorFamily.PARAMETER


class PolicyError(GraphAPIError):
    family = ErrorFamily.POLICY


class MediaError(GraphAPIError):
    family = ErrorFamily.MEDIA


class ServerError(GraphAPIError):
    family = ErrorFamily.SERVER


class MalformedResponseError(GraphAPIError):
    """The answer was not a Graph API answer: wrong URL, a proxy page, a truncated body."""


FAMILY_CLASSES: dict[ErrorFamily, type[GraphAPIError]] = {
    cls.family: cls
    for cls in (AuthenticationError, PermissionDeniedError, RateLimitError, RecipientError,
                TemplateError, ParameterError, PolicyError, MediaError, ServerError)
}
FAMILY_CLASSES[ErrorFamily.OTHER] = GraphAPIError


class NetworkError(CloudAPIError):
    """No answer: the connection could not be made, or dropped before Meta answered.

    ``request_sent`` is False only when the request provably never left (refused, DNS).
    """

    def __init__(self, host: str, reason: str, *, request_sent: bool, retryable: bool) -> None:
        if request_sent:
            message = f"The connection to {host} dropped before it answered: {reason}"
        else:
            message = f"Cannot reach {host}: {reason}"
        super().__init__(
            message,
            explanation="Check the network connection, or the profile's Graph URL.",
            retryable=retryable,
        )
        self.host = host
        self.request_sent = request_sent


class RequestTimeout(CloudAPIError):
    """No answer within the configured time (``phase``: connect, pool, write or read)."""

    def __init__(
        self, host: str, phase: str, seconds: float | None, *, request_sent: bool, retryable: bool
    ) -> None:
        within = f" within {seconds:g} s" if seconds is not None else ""
        super().__init__(
            f"{host} did not answer{within} ({phase} timeout)",
            explanation="Meta or the network is slow: try again later, or raise the "
            "profile's timeout.",
            retryable=retryable,
        )
        self.host = host
        self.phase = phase
        self.request_sent = request_sent


@dataclass(frozen=True, slots=True)
class SendContext:
    """What identifies one send, so an unknown outcome can be reconciled later.

    ``biz_opaque_callback_data`` comes back in the message's status webhooks: a processor
    that puts its outbox id there can tell whether the lost send went out.
    """

    phone_number_id: str
    to: str
    message_type: str
    idempotency_key: str | None = None
    biz_opaque_callback_data: str | None = None


class SendOutcomeUnknown(CloudAPIError):
    """A send whose request may have reached Meta, but whose answer was lost.

    Never retried: a retry could deliver the message twice. ``attempts`` counts the
    requests made for this send, the last one being the unknown one.
    """

    def __init__(self, context: SendContext, cause: CloudAPIError, *, attempts: int) -> None:
        super().__init__(
            f"A {context.message_type} message may or may not have been sent: {cause.message}",
            explanation="Not retried, to avoid sending it twice: check the message's status "
            "webhooks before sending it again.",
            retryable=False,
        )
        self.context = context
        self.cause = cause
        self.attempts = attempts


class PayloadError(CloudAPIError, ValueError):
    """A payload breaks a Cloud API rule; raised before anything is sent."""

    def __init__(
        self,
        message: str,
        *,
        field: str,
        value_length: int | None = None,
        count: int | None = None,
        limit: int | None = None,
        explanation: str | None = None,
    ) -> None:
        super().__init__(message, explanation=explanation or f"Fix the {field} and send again.")
        self.field = field
        self.value_length = value_length
        self.count = count
        self.limit = limit


def error_from_payload(
    error: Mapping[str, Any],
    *,
    http_status: int | None = None,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> GraphAPIError:
    """The typed error for one Graph error object.

    ``error`` is the inside of an error envelope, or an entry of a webhook's ``errors``
    list (which has a ``title`` and no ``type``); both map the same way.
    """
    code = _as_int(error.get("code"))
    subcode = _as_int(error.get("error_subcode"))
    secrets = tuple(s for s in secrets if s)
    graph_message = _redact(str(error.get("message") or error.get("title") or ""), secrets)
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, Mapping) else None
    details = _redact(str(details or error.get("error_user_msg") or ""), secrets)
    fbtrace_id = error.get("fbtrace_id")

    info = code_info(code)
    if info is not None:
        family, retryable, explanation = info.family, info.retryable, info.explanation
        if info.min_retry_delay:
            retry_after = max(retry_after or 0.0, info.min_retry_delay)
    else:
        family = _family_from_status(http_status)
        retryable = family in (ErrorFamily.RATE_LIMIT, ErrorFamily.SERVER)
        explanation = explain(code) if code is not None else _status_explanation(http_status)
    # Meta flags some errors as transient itself; believe it over the table.
    retryable = retryable or error.get("is_transient") is True

    label = f"code {code}" if code is not None else "no code"
    if subcode is not None:
        label += f"/{subcode}"
    if http_status is not None:
        label += f", HTTP {http_status}"
    text = graph_message or "Meta gave no message"
    if details and details != graph_message:
        text += f": {details}"
    return FAMILY_CLASSES[family](
        f"{text} ({label})",
        code=code,
        subcode=subcode,
        graph_message=graph_message,
        details=details,
        fbtrace_id=str(fbtrace_id) if fbtrace_id is not None else None,
        http_status=http_status,
        error_type=str(error["type"]) if error.get("type") is not None else None,
        retryable=retryable,
        explanation=explanation,
        retry_after=retry_after,
    )


def error_from_response(
    status_code: int,
    body: bytes | str | Mapping[str, Any],
    *,
    host: str = "the Graph API",
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> GraphAPIError:
    """The typed error for an HTTP answer that is not a success.

    A body without a Graph error envelope (an HTML error page, plain text, truncated JSON)
    becomes a :class:`ServerError` for 5xx (the server failed, a retry may help) and a
    :class:`MalformedResponseError` otherwise (most likely a wrong Graph URL).
    """
    secrets = tuple(s for s in secrets if s)
    parsed: Any = body
    if isinstance(body, bytes | str):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    envelope = parsed.get("error") if isinstance(parsed, Mapping) else None
    if isinstance(envelope, Mapping):
        return error_from_payload(
            envelope, http_status=status_code, retry_after=retry_after, secrets=secrets
        )
    return _not_graph_answer(status_code, body, host, retry_after, secrets)


def _not_graph_answer(
    status: int,
    body: bytes | str | Mapping[str, Any],
    host: str,
    retry_after: float | None,
    secrets: tuple[str, ...],
) -> GraphAPIError:
    snippet = _snippet(body, secrets)
    shown = f": {snippet!r}" if snippet else " with an empty body"
    family = _family_from_status(status)
    if family is ErrorFamily.OTHER:
        return MalformedResponseError(
            f"HTTP {status} from {host} is not a Graph API answer{shown}",
            code=None,
            http_status=status,
            explanation=_status_explanation(status),
        )
    return FAMILY_CLASSES[family](
        f"HTTP {status} from {host} without a Graph error{shown}",
        code=None,
        http_status=status,
        retryable=family in (ErrorFamily.RATE_LIMIT, ErrorFamily.SERVER),
        explanation=_status_explanation(status),
        retry_after=retry_after,
    )


def malformed_success(
    host: str, body: bytes, reason: str, *, secrets: Iterable[str] = ()
) -> MalformedResponseError:
    """A 2xx answer whose body is not what the operation returns."""
    snippet = _snippet(body, tuple(s for s in secrets if s))
    return MalformedResponseError(
        f"The answer from {host} cannot be read ({reason}): {snippet!r}",
        code=None,
        http_status=200,
        explanation="Check that the profile's Graph URL points at the Graph API.",
    )


def _family_from_status(status: int | None) -> ErrorFamily:
    if status is None:
        return ErrorFamily.OTHER
    if status == 401:
        return ErrorFamily.AUTHENTICATION
    if status == 403:
        return ErrorFamily.PERMISSION
    if status == 429:
        return ErrorFamily.RATE_LIMIT
    if status >= 500:
        return ErrorFamily.SERVER
    return ErrorFamily.OTHER


def _status_explanation(status: int | None) -> str:
    if status == 401:
        return "The server refused the credentials: store a valid token for this profile."
    if status == 403:
        return "Access denied: check the token's permissions for this WABA and phone number."
    if status == 429:
        return "Too many requests: send more slowly; easymo retries after a pause."
    if status is not None and status >= 500:
        return "The server failed: easymo retries what is safe to retry; try again later."
    if status == 404:
        return "Nothing answers at this address: check the profile's Graph URL, API version and ids."
    return "Check the profile's Graph URL and API version."


def _snippet(body: bytes | str | Mapping[str, Any], secrets: tuple[str, ...]) -> str:
    """The start of ``body`` on one line; redacted before cutting, so no secret is cut in two."""
    if isinstance(body, bytes):
        text = body[:_SNIPPET_SCAN_MAX].decode("utf-8", "replace")
    elif isinstance(body, str):
        text = body[:_SNIPPET_SCAN_MAX]
    else:
        text = json.dumps(body, default=str)
    text = " ".join(_redact(text, secrets).split())
    return text if len(text) <= _SNIPPET_MAX else text[: _SNIPPET_MAX - 1] + "…"


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
