"""Simulated WhatsApp users writing to the business: inbound messages and their webhooks.

An inbound message opens (or refreshes) the user's 24-hour customer service window, counts
toward the phone number's throughput, and is posted as a ``messages`` webhook with
``contacts[{profile{name}, wa_id}]`` and, for replies, ``context{from, id}`` naming the
business message replied to. Replies to reply buttons and list rows arrive as
``interactive`` messages; taps on a template's quick reply arrive as ``button`` messages.
"""

from __future__ import annotations

import time
from typing import Any

from easymo_core.cloudapi import limits
from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.ids import IdFactory
from easymo_core.sandbox.pricing import ENTRY_POINT_WINDOW_SECONDS
from easymo_core.sandbox.rate_limits import Throughput
from easymo_core.sandbox.state import InboundMessage, OutboundMessage, SandboxState
from easymo_core.sandbox.webhooks import WebhookDispatcher

# Texts a simulated user types instead of tapping, picked by the seeded dice.
FREE_TEXT_REPLIES = (
    "Thanks!",
    "Ok, got it",
    "Can you tell me more?",
    "When will it arrive?",
    "Please call me",
    "👍",
)


class ReplyError(ValueError):
    """A requested reply does not fit the message it answers."""


class Users:
    """Creates inbound messages, from control calls and from simulated replies."""

    def __init__(
        self,
        config: SandboxConfig,
        state: SandboxState,
        ids: IdFactory,
        dispatcher: WebhookDispatcher,
        throughput: Throughput,
    ) -> None:
        self._config = config
        self._state = state
        self._ids = ids
        self._dispatcher = dispatcher
        self._throughput = throughput

    def receive(
        self,
        wa_id: str,
        name: str,
        kind: str,
        content: Any,
        context_id: str | None = None,
        *,
        referral: dict[str, Any] | None = None,
    ) -> InboundMessage:
        """Record that ``wa_id`` wrote to the business and post the webhook.

        ``referral``: the user came from an entry point (a click-to-WhatsApp ad), which opens
        the 72-hour free entry point window.
        """
        now = time.time()
        user = self._state.user(wa_id, name)
        user.window_until = now + limits.CUSTOMER_SERVICE_WINDOW_SECONDS
        if referral is not None:
            user.entry_point_until = now + ENTRY_POINT_WINDOW_SECONDS
        self._throughput.take(self._config, time.monotonic(), refuse=False)
        message = InboundMessage(
            wamid=self._ids.inbound_wamid(wa_id),
            wa_id=wa_id,
            name=user.name,
            type=kind,
            content=content,
            timestamp=int(now),
            context_id=context_id,
            referral=referral,
        )
        self._state.inbound[message.wamid] = message
        self._state.counters["inbound_messages"] += 1
        self._dispatcher.post_change("messages", self._value(message), key=wa_id)
        return message

    def reply_to(
        self,
        wa_id: str,
        name: str,
        to_wamid: str,
        option_id: str,
        title: str | None = None,
        kinds: set[str] | None = None,
    ) -> InboundMessage:
        """``wa_id`` taps the option ``option_id`` (of one of ``kinds``) of ``to_wamid``.

        Kinds: ``button`` (reply button), ``list`` (list row), ``quick_reply`` (template).
        """
        original = self._state.messages.get(to_wamid)
        if original is None:
            raise ReplyError(f"no message {to_wamid} was sent by this sandbox")
        if original.to != wa_id:
            raise ReplyError(f"message {to_wamid} was sent to {original.to}, not to {wa_id}")
        options = [o for o in original.reply_options or [] if kinds is None or o[0] in kinds]
        for kind, opt_id, opt_title, description in options:
            if opt_id == option_id:
                return self.tap(original, kind, opt_id, title or opt_title, description, name=name)
        what = "list row" if kinds == {"list"} else "button"
        raise ReplyError(
            f"message {to_wamid} has no {what} {option_id!r} (it has {[o[1] for o in options]})"
        )

    def tap(
        self,
        original: OutboundMessage,
        kind: str,
        option_id: str,
        title: str,
        description: str = "",
        *,
        name: str = "",
    ) -> InboundMessage:
        if kind == "quick_reply":
            original.clicks.append(("quick_reply_button", title))
            return self.receive(
                original.to, name, "button", {"payload": option_id, "text": title}, original.wamid
            )
        if kind == "list":
            reply: dict[str, Any] = {"id": option_id, "title": title, "description": description}
            content = {"type": "list_reply", "list_reply": reply}
        else:
            content = {"type": "button_reply", "button_reply": {"id": option_id, "title": title}}
        return self.receive(original.to, name, "interactive", content, original.wamid)

    def _value(self, message: InboundMessage) -> dict[str, Any]:
        item: dict[str, Any] = {
            "from": message.wa_id,
            "id": message.wamid,
            "timestamp": str(message.timestamp),
            "type": message.type,
            message.type: message.content,
        }
        if message.referral is not None:
            item["referral"] = message.referral
        if message.context_id:
            item["context"] = {
                "from": self._config.display_digits,
                "id": message.context_id,
            }
        return {
            "messaging_product": "whatsapp",
            "metadata": self._dispatcher.metadata(),
            "contacts": [{"profile": {"name": message.name}, "wa_id": message.wa_id}],
            "messages": [item],
        }
