"""What happens to a message after the API accepted it: sent, delivered, read or failed.

The whole fate of a message is drawn when it is accepted, from its own fixed number of
draws of the seeded ``fates`` stream, so a run replays exactly for a given seed and order of
sends, whatever the timing of the event loop. The events are then timers on the loop
(``call_later``), which keeps the send path free of any waiting.

Rules:
  - a free-form message to a user outside the 24-hour window fails with 131047;
  - otherwise it fails with probability ``failure_rate`` (131026 undeliverable; marketing
    templates may get 131049 instead), or goes sent -> delivered -> read, read with
    probability ``read_rate``; each step waits a delay drawn from its range;
  - ``out_of_order_rate``: ``sent`` is posted after ``delivered`` (timestamps stay true);
  - ``duplicate_rate``: one of the statuses is posted twice;
  - ``delivered_skip_rate``: a read message gets no delivered status (Meta skips it when
    the user reads at once);
  - a message the user can answer (reply buttons, list, template quick replies) is answered
    with probability ``reply_rate`` after it is read (or delivered, when not read), by a tap
    or, with probability ``text_reply_rate``, by typed text.
Statuses never go backwards in the state (failed is final); webhooks carry Meta's string
unix ``timestamp`` and ``errors`` when failed; ``pricing`` (see ``pricing``) and, before
webhook version v24.0, ``conversation`` come with ``sent`` and with the first of
delivered/read only, ``conversation.expiration_timestamp`` with ``sent`` only (CLOUDAPI.md
§4, from Meta's status-webhook reference; unverified against the OpenAPI description).
"""

from __future__ import annotations

import random
from typing import Any

from easymo_core.sandbox.config import Range, SandboxConfig
from easymo_core.sandbox.graph_errors import TITLES
from easymo_core.sandbox.ids import IdFactory
from easymo_core.sandbox.pricing import billable, pricing_type
from easymo_core.sandbox.state import STATUS_RANK, OutboundMessage, SandboxState, User
from easymo_core.sandbox.timers import Timers
from easymo_core.sandbox.users import FREE_TEXT_REPLIES, Users
from easymo_core.sandbox.webhooks import WebhookDispatcher

_DRAWS = 13  # random numbers each message consumes, used or not
_ERROR_DOCS = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
_FAILURE_DETAILS = {
    131026: "Message Undeliverable.",
    131047: (
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number."
    ),
    131049: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
}
CONVERSATION_SECONDS = 24 * 3600


class Lifecycle:
    def __init__(
        self,
        config: SandboxConfig,
        state: SandboxState,
        ids: IdFactory,
        dispatcher: WebhookDispatcher,
        users: Users,
    ) -> None:
        self._config = config
        self._state = state
        self._ids = ids
        self._dispatcher = dispatcher
        self._users = users
        self._rng = random.Random(f"{config.seed}:fates")
        # Its own stream, drawn only when the rate is set: a run without skips replays the
        # fates of the seed exactly as before the knob existed.
        self._skip_rng = random.Random(f"{config.seed}:skips")
        self.timers = Timers()

    def reset(self) -> None:
        """Drop every planned event and start the dice over."""
        self.timers.cancel_all()
        self._rng = random.Random(f"{self._config.seed}:fates")
        self._skip_rng = random.Random(f"{self._config.seed}:skips")

    def plan(self, msg: OutboundMessage, user: User) -> None:
        """Draw ``msg``'s fate and set its timers."""
        cfg = self._config
        u = [self._rng.random() for _ in range(_DRAWS)]
        t_sent = _pick(cfg.sent_delay, u[0])
        events: list[tuple[float, float, str, int | None]] = []  # (event at, post at, status, error)
        if cfg.enforce_window and not msg.in_window and msg.type != "template":
            events.append((t_sent, t_sent, "failed", 131047))
        elif u[1] < cfg.failure_rate:
            code = 131049 if msg.category == "marketing" and u[2] < 0.5 else 131026
            events.append((t_sent, t_sent, "failed", code))
        else:
            msg.conversation = self._conversation(user, msg.category, msg.accepted_at)
            t_delivered = t_sent + _pick(cfg.delivered_delay, u[3])
            events.append((t_sent, t_sent, "sent", None))
            read = u[4] < cfg.read_rate
            if not (read and self._skips_delivered()):
                events.append((t_delivered, t_delivered, "delivered", None))
            answered_at = t_delivered
            if read:
                answered_at = t_delivered + _pick(cfg.read_delay, u[5])
                events.append((answered_at, answered_at, "read", None))
            if u[6] < cfg.out_of_order_rate:
                # sent arrives just after delivered: same events, swapped arrival
                events[0] = (t_sent, t_delivered + 0.01, "sent", None)
            if msg.reply_options and u[7] < cfg.reply_rate:
                self._plan_reply(msg, answered_at + _pick(cfg.reply_delay, u[8]), u[9], u[10])
        duplicate = int(u[12] * len(events)) if u[11] < cfg.duplicate_rate else -1
        for i, (event_at, post_at, status, error) in enumerate(events):
            event_time = msg.accepted_at + event_at
            self.timers.later(post_at, self._emit, msg, status, event_time, error, i == duplicate)

    def _skips_delivered(self) -> bool:
        rate = self._config.delivered_skip_rate
        return rate > 0 and self._skip_rng.random() < rate

    def _plan_reply(self, msg: OutboundMessage, after: float, u_choice: float, u_text: float) -> None:
        assert msg.reply_options
        if u_text < self._config.text_reply_rate:
            text = FREE_TEXT_REPLIES[int(u_choice * len(FREE_TEXT_REPLIES))]
            self.timers.later(after, self._users.receive, msg.to, "", "text", {"body": text}, msg.wamid)
            return
        kind, option_id, title, description = msg.reply_options[int(u_choice * len(msg.reply_options))]
        self.timers.later(after, self._users.tap, msg, kind, option_id, title, description)

    def _emit(
        self, msg: OutboundMessage, status: str, event_time: float, error: int | None, duplicate: bool
    ) -> None:
        if msg.status != "failed" and STATUS_RANK[status] > STATUS_RANK[msg.status]:
            msg.status = status
        msg.timestamps[status] = int(event_time)
        if error is not None:
            msg.error_code = error
        self._state.counters["statuses_emitted"] += 1
        if not self._dispatcher.enabled:
            return
        payload = self._status_payload(msg, status, int(event_time), error)
        self._dispatcher.post_status(payload)
        if duplicate:
            self.timers.later(0.05, self._dispatcher.post_status, payload)

    def _status_payload(
        self, msg: OutboundMessage, status: str, timestamp: int, error: int | None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": msg.wamid,
            "status": status,
            "timestamp": str(timestamp),
            "recipient_id": msg.to,
        }
        if error is not None:
            title = TITLES.get(error, "Message failed")
            payload["errors"] = [{
                "code": error,
                "title": title,
                "message": title,
                "error_data": {"details": _FAILURE_DETAILS.get(error, title)},
                "href": _ERROR_DOCS,
            }]
        elif msg.conversation is not None and (status == "sent" or not msg.priced_again):
            # Pricing (and, before v24.0, the conversation) comes with sent and with the
            # first of delivered/read only; the expiration only with sent.
            if status != "sent":
                msg.priced_again = True
            if _version(self._config.webhook_version) < (24, 0):
                conversation = dict(msg.conversation)
                if status != "sent":
                    del conversation["expiration_timestamp"]
                payload["conversation"] = conversation
            payload["pricing"] = self._pricing(msg)
        if msg.biz_opaque_callback_data is not None:
            payload["biz_opaque_callback_data"] = msg.biz_opaque_callback_data
        return payload

    def _pricing(self, msg: OutboundMessage) -> dict[str, Any]:
        pricing: dict[str, Any] = {
            "billable": billable(msg),
            "pricing_model": self._config.pricing_model,
            "category": msg.category,
        }
        if self._config.pricing_model == "PMP":
            pricing["type"] = pricing_type(msg)
        return pricing

    def _conversation(self, user: User, category: str, now: float) -> dict[str, Any]:
        """The user's open conversation of ``category``, opening one when none is."""
        found = user.conversations.get(category)
        if found is None or found[1] <= now:
            found = (self._ids.conversation_id(), int(now) + CONVERSATION_SECONDS)
            user.conversations[category] = found
            self._state.conversations.append(
                {"id": found[0], "wa_id": user.wa_id, "category": category, "opened_at": now}
            )
        return {"id": found[0], "expiration_timestamp": str(found[1]), "origin": {"type": category}}


def _version(name: str) -> tuple[int, int]:
    major, _, minor = name.lstrip("v").partition(".")
    return (int(major or 0), int(minor or 0))


def _pick(bounds: Range, u: float) -> float:
    low, high = bounds
    return low + (high - low) * u

