"""Fakes for the Cloud API client tests: fake time, scripted transports, canned answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tests.fake_secrets import fake_token

TOKEN = fake_token("Gtest-secret-token")
PHONE_ID = "100000000000001"
WABA_ID = "200000000000001"
BASE = "https://graph.test"
TO = "15551234567"


class FakeClock:
    """Time that moves only when something sleeps."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def sent_ok(wamid: str = "wamid.ABC", to: str = TO, status: str | None = None) -> httpx.Response:
    message: dict[str, Any] = {"id": wamid}
    if status:
        message["message_status"] = status
    return httpx.Response(200, json={
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [message],
    })


def graph_error(code: int, status: int = 400, *, details: str = "", subcode: int | None = None,
                headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    error: dict[str, Any] = {"message": f"(#{code}) test error", "type": "OAuthException",
                             "code": code, "fbtrace_id": "AbCdEf", **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return httpx.Response(status, json={"error": error}, headers=headers)


Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering from a list of steps, recording every request.

    A step is a response, an exception to raise (a transport failure), or a function of
    the request. The last step repeats once the list is used up.
    """

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps) or [sent_ok()]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, Exception):
            raise step
        if callable(step) and not isinstance(step, httpx.Response):
            return step(request)
        return step

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def assert_no_token(*texts: object) -> None:
    for text in texts:
        assert TOKEN not in str(text)
        assert TOKEN not in repr(text)
