"""Signed webhook deliveries in Meta's envelope, with batching, retries and outages.

Each POST carries ``X-Hub-Signature-256`` (HMAC-SHA256 of the exact body bytes with the app
secret). Statuses due together are batched up to ``batch_max`` per POST (after
``batch_window`` seconds); other changes (inbound messages, template events) go alone.
A delivery that does not get HTTP 200 is retried after ``retry_base * 2**n`` seconds (at
most ``retry_cap``), ``retry_attempts`` times in all, then dropped; while the receiver is
marked down it is held instead, without spending attempts. Every delivery is one log entry
updated in place with its attempts, so tests can see exactly what was posted and when.

Order: the statuses of one message, and the messages of one user, are posted in the order
they happened (each waits for the first attempt of the one before), as Meta mostly does;
different messages go in parallel. ``out_of_order_rate`` reorders on purpose, upstream.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.faults import Faults
from easymo_core.sandbox.state import SandboxState
from easymo_core.webhook.signature import HEADER, sign


class WebhookDispatcher:
    """Posts webhooks from the server's event loop with one shared httpx.AsyncClient."""

    def __init__(self, config: SandboxConfig, state: SandboxState, faults: Faults) -> None:
        self._config = config
        self._state = state
        self._faults = faults
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending_statuses: list[dict[str, Any]] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Per wamid / user / template: set once the latest delivery about it made a first try.
        self._tried: dict[str, asyncio.Event] = {}

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client = httpx.AsyncClient(trust_env=False)
        self._slots = asyncio.Semaphore(max(1, self._config.max_in_flight))

    async def stop(self) -> None:
        tasks = list(self._tasks)
        self.cancel_pending()
        if tasks:
            await asyncio.wait(tasks, timeout=0.5)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def cancel_pending(self) -> None:
        """Forget queued statuses and cancel deliveries in flight or waiting to retry."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._pending_statuses.clear()
        for task in list(self._tasks):
            task.cancel()
        self._tried.clear()

    @property
    def enabled(self) -> bool:
        return bool(self._config.webhook_url) and self._client is not None and self._state.subscribed

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    # Queueing ---------------------------------------------------------------------------

    def post_status(self, status: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self._pending_statuses.append(status)
        if len(self._pending_statuses) >= self._config.batch_max:
            self._flush()
        elif self._flush_handle is None and self._loop is not None:
            self._flush_handle = self._loop.call_later(self._config.batch_window, self._flush)

    def post_change(
        self, field: str, value: dict[str, Any], *, key: str, with_time: bool = False
    ) -> None:
        """One change of ``field`` (``messages`` for inbound, template fields, ...), posted
        after the earlier changes of the same ``key``."""
        if not self.enabled:
            return
        self._spawn(self._envelope(field, value, with_time=with_time), [key])

    def _flush(self) -> None:
        self._flush_handle = None
        size = max(1, self._config.batch_max)
        pending, self._pending_statuses = self._pending_statuses, []
        for i in range(0, len(pending), size):
            batch = pending[i : i + size]
            value = {"messaging_product": "whatsapp", "metadata": self.metadata(), "statuses": batch}
            self._spawn(self._envelope("messages", value), [s["id"] for s in batch])

    def metadata(self) -> dict[str, str]:
        return {
            "display_phone_number": self._config.display_digits,
            "phone_number_id": self._config.phone_number_id,
        }

    def _envelope(self, field: str, value: dict[str, Any], *, with_time: bool = False) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self._config.waba_id}
        if with_time:
            entry["time"] = int(time.time())
        entry["changes"] = [{"value": value, "field": field}]
        return {"object": "whatsapp_business_account", "entry": [entry]}

    def _spawn(self, payload: dict[str, Any], keys: list[str]) -> None:
        assert self._loop is not None
        earlier = [self._tried[k] for k in keys if k in self._tried]
        tried = asyncio.Event()
        for key in keys:
            self._tried[key] = tried
        task = self._loop.create_task(self._deliver(payload, keys, earlier, tried))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Delivery ---------------------------------------------------------------------------

    async def _deliver(
        self, payload: dict[str, Any], keys: list[str], earlier: list[asyncio.Event], tried: asyncio.Event
    ) -> None:
        try:
            for event in earlier:
                await event.wait()
            await self._attempts(payload, tried)
        finally:
            tried.set()
            for key in keys:
                if self._tried.get(key) is tried:
                    del self._tried[key]

    async def _attempts(self, payload: dict[str, Any], tried_once: asyncio.Event) -> None:
        config, state = self._config, self._state
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        url = config.webhook_url
        assert url is not None
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(config.app_secret, body),
            "User-Agent": "facebookexternalua",
        }
        attempts: list[dict[str, Any]] = []
        entry = state.add_log({
            "kind": "webhook",
            "at": time.time(),
            "url": url,
            "field": payload["entry"][0]["changes"][0]["field"],
            "events": _events_of(payload),
            "payload": payload,
            "attempts": attempts,
            "outcome": "pending",
        })
        tried = 0
        while True:
            down = self._faults.receiver_down()
            if down > 0:
                attempts.append({"at": time.time(), "held": "receiver down"})
                entry["outcome"] = "held"
                await asyncio.sleep(min(down, config.retry_cap) + 0.001)
                continue
            tried += 1
            outcome = await self._post_once(url, body, headers)
            tried_once.set()
            attempts.append({"at": time.time(), **outcome})
            state.counters["webhook_posts"] += 1
            if outcome.get("status") == 200:
                entry["outcome"] = "delivered"
                state.counters["webhook_deliveries"] += 1
                return
            state.counters["webhook_failures"] += 1
            if tried >= config.retry_attempts:
                entry["outcome"] = "dropped"
                state.counters["webhook_dropped"] += 1
                return
            entry["outcome"] = "retrying"
            delay = min(config.retry_cap, config.retry_base * 2 ** (tried - 1))
            attempts[-1]["retry_in"] = delay
            await asyncio.sleep(delay)

    async def _post_once(self, url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        assert self._client is not None and self._slots is not None
        async with self._slots:
            try:
                response = await self._client.post(
                    url, content=body, headers=headers, timeout=self._config.webhook_timeout
                )
            except httpx.HTTPError as exc:
                return {"error": type(exc).__name__}
        return {"status": response.status_code}


def _events_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """A short description of what a payload carries, for the log."""
    change = payload["entry"][0]["changes"][0]
    value = change["value"]
    if "statuses" in value:
        return [{"status": s["status"], "id": s["id"]} for s in value["statuses"]]
    if "messages" in value:
        return [{"message": m["type"], "id": m["id"]} for m in value["messages"]]
    return [{change["field"]: value.get("event") or value.get("new_quality_score") or ""}]
