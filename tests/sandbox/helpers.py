"""Shared pieces of the sandbox tests: fast settings, payload builders, a webhook receiver."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx

from easymo_core.config import sandbox_defaults as defaults
from easymo_core.webhook.signature import HEADER, verify

PHONE_ID = defaults.SANDBOX_PHONE_NUMBER_ID
WABA_ID = defaults.SANDBOX_WABA_ID
AUTH = {"Authorization": f"Bearer {defaults.SANDBOX_TOKEN}"}
USER = "15551230001"

# Tiny delays, nothing random unless a test asks for it.
FAST: dict[str, Any] = {
    "port": 0,
    "webhook_url": None,
    "review_delay": 0.0,
    "sent_delay": (0.0, 0.005),
    "delivered_delay": (0.0, 0.005),
    "read_delay": (0.0, 0.005),
    "reply_delay": (0.0, 0.005),
    "failure_rate": 0.0,
    "read_rate": 1.0,
    "reply_rate": 0.0,
    "messages_per_second": 1000.0,
    "pair_burst": 1000,
    "retry_base": 0.02,
    "retry_cap": 0.1,
    "webhook_timeout": 2.0,
    "seed_templates": False,  # the tests add TEST_TEMPLATES themselves
}

T = TypeVar("T")


@cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def client(base_url: str, **kwargs: Any) -> httpx.Client:
    """An httpx client sharing one TLS context: building one per client costs ~40 ms."""
    return httpx.Client(base_url=base_url, verify=_tls(), timeout=10.0, **kwargs)


def wait_until(
    check: Callable[[], T],
    timeout: float = 5.0,
    what: str = "condition",
    until: Callable[[T], bool] = bool,
) -> T:
    """Poll ``check`` until ``until`` holds for its value (truthy by default), and return it;
    fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def text_message(to: str = USER, body: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}, **extra}


def template_message(
    name: str, language: str = "en_US", components: list[dict[str, Any]] | None = None, to: str = USER
) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components is not None:
        template["components"] = components
    return {"messaging_product": "whatsapp", "to": to, "type": "template", "template": template}


def buttons_message(to: str = USER) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp", "to": to, "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Confirm your order?"},
            "action": {"buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}},
            ]},
        },
    }


def list_message(to: str = USER) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp", "to": to, "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Pick a slot"},
            "action": {"button": "Slots", "sections": [{"title": "Today", "rows": [
                {"id": "am", "title": "Morning", "description": "9-12"},
                {"id": "pm", "title": "Afternoon"},
            ]}]},
        },
    }


def order_update_components() -> list[dict[str, Any]]:
    """A valid send of the seed template ``order_update`` (image header, 3 body vars, 2 buttons)."""
    return [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/a.jpg"}}]},
        {"type": "body", "parameters": [
            {"type": "text", "text": "Ana"},
            {"type": "currency", "currency": {"fallback_value": "$10", "code": "USD", "amount_1000": 10000}},
            {"type": "date_time", "date_time": {"fallback_value": "May 1, 2025"}},
        ]},
        {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "TRACK_42"}]},
        {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "42"}]},
    ]


class Receiver:
    """A loopback webhook receiver: checks signatures, records posts, answers as scripted."""

    def __init__(self, app_secret: str = defaults.SANDBOX_APP_SECRET) -> None:
        self.app_secret = app_secret
        self.posts: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.script: list[int] = []  # statuses for the next posts; 200 once it is empty
        self.answers: list[int] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    if not verify(receiver.app_secret, body, self.headers.get(HEADER)):
                        receiver.bad_signatures += 1
                    receiver.posts.append(json.loads(body))
                    status = receiver.script.pop(0) if receiver.script else 200
                    receiver.answers.append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted(self) -> list[dict[str, Any]]:
        """Posts answered 200, in arrival order."""
        with self._lock:
            return [p for p, a in zip(self.posts, self.answers, strict=True) if a == 200]

    def values(self, field: str = "messages") -> list[dict[str, Any]]:
        return [
            change["value"]
            for post in self.accepted()
            for entry in post["entry"]
            for change in entry["changes"]
            if change["field"] == field
        ]

    def statuses(self, wamid: str | None = None) -> list[dict[str, Any]]:
        return [
            s for v in self.values() for s in v.get("statuses", []) if wamid is None or s["id"] == wamid
        ]

    def status_names(self, wamid: str) -> list[str]:
        return [s["status"] for s in self.statuses(wamid)]

    def inbound(self) -> list[dict[str, Any]]:
        return [m for v in self.values() for m in v.get("messages", [])]


# The templates of the tests, independent of the shared sample data. -----------------------

TEST_TEMPLATES: list[dict[str, Any]] = [
    {"name": "hello_world", "language": "en_US", "category": "UTILITY", "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
        {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability "
                                 "to send a WhatsApp message notification from the Cloud API."},
    ]},
    {"name": "order_update", "language": "en_US", "category": "UTILITY", "components": [
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U=:sandbox"]}},
        {"type": "BODY", "text": "Hi {{1}}, your order total is {{2}} and it arrives {{3}}. Thank you!",
         "example": {"body_text": [["Ana", "$10", "May 1, 2025"]]}},
        {"type": "BUTTONS", "buttons": [
            {"type": "QUICK_REPLY", "text": "Track"},
            {"type": "URL", "text": "Open order", "url": "https://example.com/o/{{1}}",
             "example": ["https://example.com/o/42"]},
        ]},
    ]},
    {"name": "order_update", "language": "es", "category": "UTILITY", "components": [
        {"type": "BODY", "text": "Hola {{1}}, tu pedido llega {{2}}. Gracias por tu compra.",
         "example": {"body_text": [["Ana", "mañana"]]}},
    ]},
    {"name": "appointment_reminder", "language": "en_US", "category": "UTILITY", "parameter_format": "NAMED",
     "components": [
         {"type": "BODY", "text": "Hi {{first_name}}, this is a reminder of your appointment on {{date}}. Reply below.",
          "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"},
                                                 {"param_name": "date", "example": "May 1"}]}},
         {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Confirm"},
                                         {"type": "QUICK_REPLY", "text": "Reschedule"}]},
     ]},
    {"name": "winback_offer", "language": "en_US", "category": "MARKETING", "status": "PAUSED",
     "quality_score": "RED", "components": [
         {"type": "BODY", "text": "We miss you, {{1}}! Come back this week for a special discount.",
          "example": {"body_text": [["Ana"]]}},
     ]},
    {"name": "flash_sale_2023", "language": "en_US", "category": "MARKETING", "status": "DISABLED",
     "components": [{"type": "BODY", "text": "Flash sale today only: everything at half price."}]},
    {"name": "feedback_request", "language": "en_US", "category": "MARKETING", "status": "REJECTED",
     "rejected_reason": "INVALID_FORMAT", "components": [
         {"type": "BODY", "text": "{{1}}, tell us how we did today", "example": {"body_text": [["Ana"]]}},
     ]},
]
