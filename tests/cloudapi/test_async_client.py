"""The asyncio client sends exactly like the synchronous one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from easymo_core.cloudapi.async_client import AsyncCloudAPIClient
from easymo_core.cloudapi.errors import PayloadError, RecipientError, SendOutcomeUnknown
from easymo_core.cloudapi.pacing import UNLIMITED, Pacer
from easymo_core.cloudapi.payloads import ListRow, ListSection, text_message
from easymo_core.cloudapi.retry import RetryPolicy

from .fakes import BASE, PHONE_ID, TO, TOKEN, FakeClock, Script, graph_error, sent_ok

T = TypeVar("T")


def run_with(script: Script, retry: RetryPolicy, use: Callable[[AsyncCloudAPIClient],
             Awaitable[T]], **overrides: Any) -> T:
    async def main() -> T:
        options: dict[str, Any] = dict(access_token=TOKEN, phone_number_id=PHONE_ID,
                                       base_url=BASE, retry=retry, pacer=UNLIMITED,
                                       transport=script.transport())
        options.update(overrides)
        async with AsyncCloudAPIClient(**options) as client:
            return await use(client)

    return asyncio.run(main())


def test_every_send_kind_has_the_same_wire_shape(retry: RetryPolicy) -> None:
    script = Script(sent_ok())

    async def use(client: AsyncCloudAPIClient) -> None:
        await client.send_text("+1 555 123 4567", "hi")
        await client.send_template(TO, "t", "en", body=["Ana"])
        await client.send_buttons(TO, "b", [("a", "A")])
        await client.send_list(TO, "b", "Open", [ListSection([ListRow("r", "R")])])
        await client.send_payload(text_message(TO, "raw"))

    run_with(script, retry, use)
    assert [r.url.path for r in script.requests] == [f"/v23.0/{PHONE_ID}/messages"] * 5
    assert [b["type"] for b in script.bodies] == ["text", "template", "interactive",
                                                  "interactive", "text"]
    assert script.bodies[0] == text_message(TO, "hi")
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in script.requests)


def test_mark_read(retry: RetryPolicy) -> None:
    script = Script(httpx.Response(200, json={"success": True}))
    assert run_with(script, retry, lambda c: c.mark_read("wamid.IN")) is True
    assert script.bodies[0]["status"] == "read"


def test_retry_rules_match_the_sync_client(retry: RetryPolicy) -> None:
    script = Script(httpx.ConnectError("refused"), graph_error(130429, 429), sent_ok("wamid.3"))
    assert run_with(script, retry, lambda c: c.send_text(TO, "hi")).wamid == "wamid.3"
    assert len(script.requests) == 3

    timed_out = Script(httpx.ReadTimeout("timed out"), sent_ok())
    with pytest.raises(SendOutcomeUnknown):
        run_with(timed_out, retry, lambda c: c.send_text(TO, "hi"))
    assert len(timed_out.requests) == 1

    refused = Script(graph_error(131047))
    with pytest.raises(RecipientError):
        run_with(refused, retry, lambda c: c.send_text(TO, "hi"))


def test_payloads_are_checked_before_sending(retry: RetryPolicy) -> None:
    script = Script()
    with pytest.raises(PayloadError):
        run_with(script, retry, lambda c: c.send_buttons(TO, "b", []))
    assert not script.requests


def test_many_sends_in_flight_are_paced_together(retry: RetryPolicy) -> None:
    clock = FakeClock()
    pacer = Pacer(10.0, 1, clock=clock, sleep=clock.sleep, async_sleep=clock.async_sleep)
    script = Script(lambda request: sent_ok(f"wamid.{json.loads(request.content)['text']['body']}"))

    async def use(client: AsyncCloudAPIClient) -> list[str]:
        results = await asyncio.gather(*(client.send_text(f"1555010{i:04d}", str(i))
                                         for i in range(30)))
        return [r.wamid for r in results]

    wamids = run_with(script, retry, use, pacer=pacer)
    assert wamids == [f"wamid.{i}" for i in range(30)]
    assert clock.now - 1000.0 == pytest.approx(2.9)  # 30 sends at 10/s after a burst of 1
