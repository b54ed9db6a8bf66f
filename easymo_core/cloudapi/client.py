"""The synchronous Cloud API client: sends, templates, phone number, analytics.

One pooled ``httpx.Client`` per instance; use it as a context manager or call
:meth:`CloudAPIClient.close`. Every send is paced (see ``pacing``) and retried only when
that cannot duplicate the message (see ``retry`` and ``SendOutcomeUnknown``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from easymo_core.cloudapi.client_core import (
    DEFAULT_BASE_URL,
    DEFAULT_GRAPH_VERSION,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    ClientCore,
    encode_json,
)
from easymo_core.cloudapi.errors import MalformedResponseError, PayloadError
from easymo_core.cloudapi.interactive_payloads import Header, ListSection, ReplyButton
from easymo_core.cloudapi.lean_transport import make_transport
from easymo_core.cloudapi.limits import TEMPLATE_ANALYTICS_IDS_PER_REQUEST, TEMPLATE_CATEGORIES
from easymo_core.cloudapi.media_client import MediaEndpoints
from easymo_core.cloudapi.models import (
    PHONE_NUMBER_FIELDS,
    ConversationPoint,
    MessagePoint,
    PhoneNumberInfo,
    PricingPoint,
    SendResult,
    TemplatePoint,
    read_conversation_points,
    read_message_points,
    read_phone_number_info,
    read_pricing_points,
    read_template_points,
)
from easymo_core.cloudapi.pacing import SendPacer
from easymo_core.cloudapi.paging import MAX_PAGES, next_page_params
from easymo_core.cloudapi.payloads import (
    button_message,
    list_message,
    mark_read_payload,
    template_message,
    text_message,
    validate_message,
)
from easymo_core.cloudapi.retry import RetryPolicy, call_with_retry
from easymo_core.cloudapi.template_payloads import ComponentParams

TEMPLATE_FIELDS = (
    "id", "name", "status", "category", "language", "components", "quality_score",
    "rejected_reason", "parameter_format",
)
TEMPLATE_METRICS = ("SENT", "DELIVERED", "READ", "CLICKED")
MESSAGE_GRANULARITIES = ("HALF_HOUR", "DAY", "MONTH")
CONVERSATION_GRANULARITIES = ("HALF_HOUR", "DAILY", "MONTHLY")

Moment = int | float | datetime
T = TypeVar("T")


class CloudAPIClient(MediaEndpoints):
    """Talks to one WhatsApp Business phone number and its WABA through the Graph API."""

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
        transport: httpx.BaseTransport | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._core = core = ClientCore(
            access_token=access_token, phone_number_id=phone_number_id, waba_id=waba_id,
            base_url=base_url, graph_version=graph_version, timeout=timeout, retry=retry,
            pacer=pacer,
        )
        if transport is None:
            transport = make_transport(core.base_url, max_connections)
        self._http = httpx.Client(
            timeout=core.timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
        )
        # Sends skip httpx.Client.send (cookies, auth flows, redirects: none apply to a
        # prepared Graph request) and go straight to the transport, a third of the client's
        # CPU per message; with a proxy in the environment httpx's own routing is kept.
        self._exchange: Callable[[httpx.Request], httpx.Response] = (
            self._http.send if transport is None else _direct(self._http, transport))

    def __repr__(self) -> str:
        return repr(self._core).replace("ClientCore", type(self).__name__, 1)

    @property
    def pacer(self) -> SendPacer:
        """What paces this client's sends (shared by the clients one Services builds)."""
        return self._core.pacer

    def __enter__(self) -> CloudAPIClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- sends --------------------------------------------------------------------------

    def send_text(
        self, to: str, body: str, *, preview_url: bool = False, reply_to: str | None = None,
        biz_opaque_callback_data: str | None = None, idempotency_key: str | None = None,
    ) -> SendResult:
        payload = text_message(to, body, preview_url=preview_url, reply_to=reply_to,
                               biz_opaque_callback_data=biz_opaque_callback_data)
        return self._send(payload, idempotency_key)

    def send_template(
        self, to: str, name: str, language: str, *, header: ComponentParams | None = None,
        body: ComponentParams | None = None, buttons: Sequence[Mapping[str, Any]] = (),
        reply_to: str | None = None, biz_opaque_callback_data: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        payload = template_message(to, name, language, header=header, body=body,
                                   buttons=buttons, reply_to=reply_to,
                                   biz_opaque_callback_data=biz_opaque_callback_data)
        return self._send(payload, idempotency_key)

    def send_buttons(
        self, to: str, body: str, buttons: Sequence[ReplyButton | tuple[str, str]], *,
        header: Header | None = None, footer: str | None = None, reply_to: str | None = None,
        biz_opaque_callback_data: str | None = None, idempotency_key: str | None = None,
    ) -> SendResult:
        payload = button_message(to, body, buttons, header=header, footer=footer,
                                 reply_to=reply_to,
                                 biz_opaque_callback_data=biz_opaque_callback_data)
        return self._send(payload, idempotency_key)

    def send_list(
        self, to: str, body: str, button: str, sections: Sequence[ListSection], *,
        header: str | None = None, footer: str | None = None, reply_to: str | None = None,
        biz_opaque_callback_data: str | None = None, idempotency_key: str | None = None,
    ) -> SendResult:
        payload = list_message(to, body, button, sections, header=header, footer=footer,
                               reply_to=reply_to,
                               biz_opaque_callback_data=biz_opaque_callback_data)
        return self._send(payload, idempotency_key)

    def send_payload(
        self, payload: Mapping[str, Any], *, idempotency_key: str | None = None,
        checked: bool = False, on_wire: Callable[[], None] | None = None,
    ) -> SendResult:
        """Send a message payload built elsewhere; it is checked like the builders' own.

        ``checked=True`` says the payload is what ``validate_message`` returned a moment ago
        (the processor validates before it records): checking it twice was a measurable
        share of a send at 1,000 messages/s.

        ``on_wire`` is called once its turn has come (after the pacer), just before the
        request is written: the processor records there that the message may have left. An
        exception from it stops the send before anything is written.
        """
        return self._send(payload if checked else validate_message(payload), idempotency_key, on_wire)

    def _send(self, payload: Mapping[str, Any], idempotency_key: str | None,
              on_wire: Callable[[], None] | None = None) -> SendResult:
        core = self._core
        request = core.send_request(encode_json(payload))
        to = payload["to"]
        pacer, send = core.pacer, self._exchange

        def attempt(number: int) -> SendResult:
            # A retry follows a refusal, so Meta did not count it against the pair rate.
            pacer.acquire(to if number == 1 else None)
            if on_wire is not None and number == 1:
                on_wire()
            try:
                response = send(request)
            except httpx.TransportError as exc:
                raise core.send_transport_error(exc, payload, idempotency_key, number) from exc
            return core.read_send_answer(response, payload, idempotency_key, number)

        return call_with_retry(core.retry, attempt)

    def mark_read(self, message_id: str, *, typing_indicator: bool = False) -> bool:
        """Mark an inbound message (and the ones before it) read; True when Meta agreed."""
        data = self._call("POST", self._core.messages_url(),
                          json_body=mark_read_payload(message_id,
                                                      typing_indicator=typing_indicator),
                          idempotent=True)
        return bool(data.get("success"))

    # -- templates ----------------------------------------------------------------------

    def list_templates(
        self, *, name: str | None = None, status: str | None = None,
        category: str | None = None, language: str | None = None,
        fields: Sequence[str] = TEMPLATE_FIELDS, page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Every template of the WABA matching the filters, following the pages to the end."""
        params = {"fields": ",".join(fields), "limit": str(page_size)}
        for key, value in (("name", name), ("status", status), ("category", category),
                           ("language", language)):
            if value is not None:
                params[key] = value
        for page in self._pages(self._core.waba_url("message_templates"), params):
            yield from page.get("data", [])

    def get_template(self, template_id: str, *, fields: Sequence[str] = TEMPLATE_FIELDS
                     ) -> dict[str, Any]:
        data = self._call("GET", self._core.node_url(str(template_id)),
                          params={"fields": ",".join(fields)}, idempotent=True)
        return dict(data)

    def create_template(self, definition: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a template for review; returns Meta's ``{"id", "status", "category"}``.

        Not retried once the request may have reached Meta: a lost answer is resolved by
        listing the templates, not by submitting again.
        """
        for key in ("name", "language", "category", "components"):
            if not definition.get(key):
                raise PayloadError(f"the template definition has no {key}", field=key)
        if definition["category"] not in TEMPLATE_CATEGORIES:
            raise PayloadError(
                f"template category {definition['category']!r} is not one of "
                f"{', '.join(TEMPLATE_CATEGORIES)}", field="category")
        data = self._call("POST", self._core.waba_url("message_templates"),
                          json_body=dict(definition), idempotent=False)
        if not isinstance(data, Mapping) or "id" not in data:
            raise MalformedResponseError(
                f"{self._core.host} accepted the template but returned no id",
                code=None, http_status=200,
                explanation="Refresh the template list to see whether it was created.")
        return {"id": str(data["id"]), "status": data.get("status"),
                "category": data.get("category")}

    def delete_template(self, name: str, hsm_id: str | None = None) -> bool:
        """Delete every language of template ``name``, or only the one with id ``hsm_id``."""
        params = {"name": name} if hsm_id is None else {"name": name, "hsm_id": str(hsm_id)}
        data = self._call("DELETE", self._core.waba_url("message_templates"), params=params,
                          idempotent=True)
        return bool(data.get("success"))

    # -- phone number and analytics -------------------------------------------------------

    def phone_number_info(self) -> PhoneNumberInfo:
        data = self._call("GET", self._core.phone_url(),
                          params={"fields": ",".join(PHONE_NUMBER_FIELDS)}, idempotent=True)
        return self._read(read_phone_number_info, data)

    def analytics(
        self, start: Moment, end: Moment, granularity: str = "DAY", *,
        phone_numbers: Sequence[str] = (),
    ) -> list[MessagePoint]:
        """Messages sent and delivered per period, from the WABA's ``analytics`` field."""
        _check_choice("granularity", granularity, MESSAGE_GRANULARITIES)
        spec = f"analytics.start({_unix(start)}).end({_unix(end)}).granularity({granularity})"
        if phone_numbers:
            spec += f".phone_numbers({json.dumps(list(phone_numbers))})"
        data = self._call("GET", self._core.waba_url(), params={"fields": spec},
                          idempotent=True)
        return self._read(read_message_points, data)

    def conversation_analytics(
        self, start: Moment, end: Moment, granularity: str = "DAILY", *,
        dimensions: Sequence[str] = (),
    ) -> list[ConversationPoint]:
        """Conversations and cost per period (legacy conversation-based pricing)."""
        _check_choice("granularity", granularity, CONVERSATION_GRANULARITIES)
        spec = (f"conversation_analytics.start({_unix(start)}).end({_unix(end)})"
                f".granularity({granularity})")
        if dimensions:
            spec += f".dimensions({json.dumps(list(dimensions))})"
        data = self._call("GET", self._core.waba_url(), params={"fields": spec},
                          idempotent=True)
        return self._read(read_conversation_points, data)

    def pricing_analytics(
        self, start: Moment, end: Moment, granularity: str = "DAILY", *,
        dimensions: Sequence[str] = (),
    ) -> list[PricingPoint]:
        """Messages priced and their cost per period (per-message pricing, Meta's model since
        mid-2025): what Meta bills, each message once."""
        _check_choice("granularity", granularity, CONVERSATION_GRANULARITIES)
        spec = (f"pricing_analytics.start({_unix(start)}).end({_unix(end)})"
                f".granularity({granularity})")
        if dimensions:
            spec += f".dimensions({json.dumps(list(dimensions))})"
        data = self._call("GET", self._core.waba_url(), params={"fields": spec},
                          idempotent=True)
        return self._read(read_pricing_points, data)

    def template_analytics(
        self, start: Moment, end: Moment, template_ids: Iterable[str], *,
        metric_types: Sequence[str] = TEMPLATE_METRICS,
    ) -> list[TemplatePoint]:
        """Daily figures per template (UTC days, at most 90 days back)."""
        ids = [str(t) for t in template_ids]
        if not ids:
            return []
        points: list[TemplatePoint] = []
        url = self._core.waba_url("template_analytics")
        step = TEMPLATE_ANALYTICS_IDS_PER_REQUEST
        for first in range(0, len(ids), step):
            params = {
                "start": str(_unix(start)), "end": str(_unix(end)), "granularity": "DAILY",
                "metric_types": json.dumps(list(metric_types)),
                "template_ids": json.dumps(ids[first:first + step]),
            }
            for page in self._pages(url, params):
                points.extend(self._read(lambda d: list(read_template_points(d)), page))
        return points

    # -- plumbing -----------------------------------------------------------------------

    def _call(
        self, method: str, url: str | httpx.URL, *, params: Mapping[str, str] | None = None,
        json_body: Any = None, idempotent: bool,
    ) -> Mapping[str, Any]:
        return self._json(self._core.request(method, url, params, json_body), idempotent=idempotent)

    def _pages(self, url: str, params: Mapping[str, str]) -> Iterator[Mapping[str, Any]]:
        query: dict[str, str] | None = dict(params)
        seen: list[dict[str, str]] = []
        for _ in range(MAX_PAGES):
            if query is None:
                return
            page = self._call("GET", url, params=query, idempotent=True)
            yield page
            seen.append(query)
            query = next_page_params(page, params)
            if query in seen:
                raise self._core.malformed("the paging cursor repeats")
        raise self._core.malformed(f"more than {MAX_PAGES} pages")

    def _read(self, reader: Callable[[Mapping[str, Any]], T], data: Mapping[str, Any]) -> T:
        try:
            return reader(data)
        except (LookupError, TypeError, ValueError, AttributeError) as exc:
            raise self._core.malformed(f"unexpected shape: {exc!r}") from None


def _direct(
    http: httpx.Client, transport: httpx.BaseTransport
) -> Callable[[httpx.Request], httpx.Response]:
    def exchange(request: httpx.Request) -> httpx.Response:
        if http.is_closed:  # as httpx.Client.send says it: a bug in the caller, not a network fault
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        response = transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        return response

    return exchange


def _unix(moment: Moment) -> int:
    """Unix seconds; a naive datetime is taken as UTC, as Meta's analytics days are."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    return int(moment)


def _check_choice(field: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise PayloadError(f"{field} {value!r} is not one of {', '.join(allowed)}", field=field)
