"""The asyncio Cloud API client, for bulk sends: many messages in flight on one pool.

It sends exactly like :class:`~easymo_core.cloudapi.client.CloudAPIClient` (same payload
checks, pacing, retry rules and errors); template and analytics calls stay on the
synchronous client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

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
from easymo_core.cloudapi.interactive_payloads import Header, ListSection, ReplyButton
from easymo_core.cloudapi.models import SendResult
from easymo_core.cloudapi.pacing import SendPacer
from easymo_core.cloudapi.payloads import (
    button_message,
    list_message,
    mark_read_payload,
    template_message,
    text_message,
    validate_message,
)
from easymo_core.cloudapi.retry import RetryPolicy, call_with_retry_async
from easymo_core.cloudapi.template_payloads import ComponentParams


class AsyncCloudAPIClient:
    """Sends from one WhatsApp Business phone number with ``httpx.AsyncClient``."""

    def __init__(
        self,
        *,
        access_token: str,
        phone_number_id: str,
        waba_id: str = "",
        base_url: str = DEFAULT_BASE_URL,
        graph_version: str = DEFAULT_GRAPH_VERSION,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        pacer: SendPacer | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._core = core = ClientCore(
            access_token=access_token, phone_number_id=phone_number_id, waba_id=waba_id,
            base_url=base_url, graph_version=graph_version, timeout=timeout, retry=retry,
            pacer=pacer,
        )
        self._http = httpx.AsyncClient(
            timeout=core.timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
        )

    def __repr__(self) -> str:
        return repr(self._core).replace("ClientCore", type(self).__name__, 1)

    async def __aenter__(self) -> AsyncCloudAPIClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def send_text(
        self, to: str, body: str, *, preview_url: bool = False, reply_to: str | None = None,
        biz_opaque_callback_data: str | None = None, idempotency_key: str | None = None,
    ) -> SendResult:
        payload = text_message(to, body, preview_url=preview_url, reply_to=reply_to,
                               biz_opaque_callback_data=biz_opaque_callback_data)
        return await self._send(payload, idempotency_key)

    async def send_template(
        self, to: str, name: str, language: str, *, header: ComponentParams | None = None,
        body: ComponentParams | None = None, buttons: Sequence[Mapping[str, Any]] = (),
        reply_to: str | None = None, biz_opaque_callback_data: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        payload = template_message(to, name, language, header=header, body=body,
                                   buttons=buttons, reply_to=reply_to,
                                   biz_opaque_callback_data=biz_opaque_callback_data)
        return await self._send(payload, idempotency_key)

    async def send_buttons(
        self, to: str, body: str, buttons: Sequence[ReplyButton | tuple[str, str]], *,
        header: Header | None = None, footer: str | None = None, reply_to: str | None = None,
        biz_opaque_callback_data: str | None = None, idempotency_key: str | None = None,
    ) -> SendResult:
        payload = button_message(to, body, buttons, header=header, footer=footer,
                                 reply_to=reply_to,
                                 biz_opaque_callback_data=biz_opaque_callback_data)
        return await self._send(payload, idempotency_key)

    async def send_list(
        self, to: str, body: str, button: str, sections: Sequence[ListSection], *,
        header: str | None = None, footer: str | None = None, reply_to: str | None = None,
        biz_opaque_callback_data: str | None = None, idempotency_key: str | None = None,
    ) -> SendResult:
        payload = list_message(to, body, button, sections, header=header, footer=footer,
                               reply_to=reply_to,
                               biz_opaque_callback_data=biz_opaque_callback_data)
        return await self._send(payload, idempotency_key)

    async def send_payload(
        self, payload: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> SendResult:
        return await self._send(validate_message(payload), idempotency_key)

    async def mark_read(self, message_id: str, *, typing_indicator: bool = False) -> bool:
        core = self._core
        request = core.request("POST", core.messages_url(), None,
                               mark_read_payload(message_id, typing_indicator=typing_indicator))

        async def attempt(number: int) -> Any:
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                raise core.transport_error(exc, idempotent=True) from exc
            return core.read_json_answer(response, idempotent=True)

        data = core.require_object(await call_with_retry_async(core.retry, attempt))
        return bool(data.get("success"))

    async def _send(self, payload: Mapping[str, Any], idempotency_key: str | None) -> SendResult:
        core = self._core
        request = core.send_request(encode_json(payload))
        to = payload["to"]
        pacer, send = core.pacer, self._http.send

        async def attempt(number: int) -> SendResult:
            await pacer.acquire_async(to if number == 1 else None)
            try:
                response = await send(request)
            except httpx.TransportError as exc:
                raise core.send_transport_error(exc, payload, idempotency_key, number) from exc
            return core.read_send_answer(response, payload, idempotency_key, number)

        return await call_with_retry_async(core.retry, attempt)
