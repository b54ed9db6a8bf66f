"""A few days of simulated past traffic for the sandbox profile, so a first run has something
to show: customers write, the business answers (text or reply buttons), messages are sent,
delivered, read, now and then answered or failed.

Everything goes through the two paths real traffic takes: sends through the MessageProcessor
(with a clock set in the past and a stand-in for the Graph API that accepts at that moment)
and inbound messages and statuses through the StatusIngest, as webhook batches with past
timestamps; so the analytics' triggers count them as they count live traffic. Every row is
marked: ``source = "sandbox history"`` on messages sent and received.

Only for the sandbox profile: nothing here talks to a network.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.models import SendResult
from easymo_core.errors import EasymoError
from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.processor import MessageProcessor
from easymo_core.messaging.webhook_payload import InboundRecord, StatusRecord, WebhookBatch
from easymo_core.storage.types import utcnow

SOURCE = "sandbox history"
CUSTOMERS = (("15550100002", "Ana"), ("15550100003", "Ben"), ("15550100004", "Chloé"),
             ("15550100005", "Dev"), ("15550100006", "Emeka"), ("15550100007", "Fatima"),
             ("15550100008", "Gus"), ("15550100009", "Hana"))
QUESTIONS = ("Hi, where is my order?", "Can I change my delivery address?",
             "Do you deliver on Sundays?", "My parcel has not arrived yet",
             "Is the shop open tomorrow?", "How do I return an item?")
ANSWERS = ("Thanks for writing! Your order is on its way and arrives tomorrow.",
           "Of course: reply with the new address and we update it.",
           "Yes, we deliver on Sundays between 10 am and 4 pm.",
           "Sorry about that! We are checking with the courier now.")
REPLIES = ("Thank you!", "Great, thanks", "ok", "Perfect 👍")
BUTTONS = (("keep", "Keep the time"), ("change", "Change it"))
# Meta's code for a number that cannot receive the message: the usual failure of a real log.
UNDELIVERABLE = 131026


class HistoryError(EasymoError):
    """History can only be made up for the sandbox."""


@dataclass
class HistoryResult:
    days: int
    sent: int = 0
    received: int = 0
    failed: int = 0


class _PastGraph:
    """Stands in for the Graph API at a past moment: accepts every send with a new wamid."""

    def __init__(self, wamids: Callable[[], str]) -> None:
        self.wamids = wamids

    def send_payload(self, payload: Any, *, idempotency_key: str | None = None,
                     checked: bool = False, on_wire: Callable[[], None] | None = None) -> SendResult:
        if not payload.get("to"):
            raise PayloadError("no recipient", field="to")
        if on_wire is not None:
            on_wire()  # as the real client: the request is about to be written
        return SendResult(self.wamids(), str(payload["to"]), str(payload["to"]))


def generate_history(services: Any, *, days: int = 3, conversations_per_day: int = 14,
                     seed: int | None = None, now: datetime | None = None) -> HistoryResult:
    """Make up ``days`` days of traffic ending ten minutes before ``now`` (blocks: a worker)."""
    if not services.profile.is_sandbox:
        raise HistoryError("sample history is for the sandbox profile only",
                           hint="switch to the sandbox profile (Settings) to try it")
    rng = random.Random(seed)
    end = (now or utcnow()) - timedelta(minutes=10)
    counter = itertools.count(1)
    tag = f"{rng.getrandbits(32):08x}"
    wamid = lambda: f"wamid.history.{tag}.{next(counter)}"  # noqa: E731 - a tiny factory
    moment = {"at": end}
    ingest = StatusIngest(services.db, source=SOURCE)
    processor = MessageProcessor(services.db, _PastGraph(wamid), services.profile,
                                 services.templates, ingest, clock=lambda: moment["at"])
    result = HistoryResult(days)
    pnid = services.profile.phone_number_id
    starts = sorted(end - timedelta(seconds=rng.uniform(0, days * 86_400))
                    for _ in range(days * conversations_per_day))
    for start in starts:
        wa_id, name = rng.choice(CUSTOMERS)
        question = _inbound(wamid(), wa_id, name, start, rng.choice(QUESTIONS), pnid)
        ingest.ingest(WebhookBatch(inbound=[question]))
        result.received += 1
        moment["at"] = start + timedelta(seconds=rng.uniform(20, 240))
        if rng.random() < 0.3:
            outcome = processor.send_buttons(wa_id, "Would you like to keep tomorrow's delivery "
                                             "time?", list(BUTTONS), source=SOURCE)
        else:
            outcome = processor.send_text(wa_id, rng.choice(ANSWERS), source=SOURCE)
        if outcome.wamid is None:
            continue
        result.sent += 1
        sent_at = moment["at"]
        statuses = [_status(outcome.wamid, "sent", sent_at + timedelta(seconds=1), wa_id)]
        if rng.random() < 0.06:
            statuses.append(_status(outcome.wamid, "failed", sent_at + timedelta(seconds=3), wa_id,
                                    error=UNDELIVERABLE))
            result.failed += 1
        else:
            delivered = sent_at + timedelta(seconds=rng.uniform(1.5, 12))
            statuses.append(_status(outcome.wamid, "delivered", delivered, wa_id))
            if rng.random() < 0.82:
                read = delivered + timedelta(seconds=rng.expovariate(1 / 300))
                if read < end:
                    statuses.append(_status(outcome.wamid, "read", read, wa_id))
                    if rng.random() < 0.55:
                        at = read + timedelta(seconds=rng.uniform(10, 400))
                        if at < end:
                            reply = _inbound(wamid(), wa_id, name, at, rng.choice(REPLIES), pnid,
                                             context=outcome.wamid)
                            ingest.ingest(WebhookBatch(inbound=[reply]))
                            result.received += 1
        ingest.ingest(WebhookBatch(statuses=statuses))
    return result


def _inbound(wamid: str, wa_id: str, name: str, at: datetime, text: str, pnid: str | None,
             context: str | None = None) -> InboundRecord:
    raw: dict[str, Any] = {"from": wa_id, "id": wamid, "timestamp": str(int(at.timestamp())),
                           "type": "text", "text": {"body": text}, "easymo_sandbox_history": True}
    if context:
        raw["context"] = {"from": pnid, "id": context}
    return InboundRecord(wamid, wa_id, name, at, "text", text, None, context, pnid, raw)


def _status(wamid: str, status: str, at: datetime, wa_id: str,
            error: int | None = None) -> StatusRecord:
    raw: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(int(at.timestamp())),
                           "recipient_id": wa_id, "easymo_sandbox_history": True}
    title = detail = None
    if error is not None:
        title, detail = "Message undeliverable", "sample failure of the sandbox history"
        raw["errors"] = [{"code": error, "title": title}]
    return StatusRecord(wamid, status, at, wa_id, error, title, detail, None, None, raw)
