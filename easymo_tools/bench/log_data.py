"""A generated message history for benchmarks and tests: realistic mix, fixed seed.

Rows go straight into ``messages`` with Core multi-row inserts (no processor, no
triggers' worth of Python per row), so a million rows take tens of seconds on SQLite.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, table_of
from easymo_core.storage.types import to_ms, utcnow

TEMPLATES = (("order_update", "en_US"), ("appointment_reminder", "en_US"),
             ("feedback_survey", "en_US"), ("promo_spring", "en_US"), ("order_update", "es"))
ERRORS = ((131026, "Message undeliverable"), (131047, "Re-engagement message"),
          (131049, "Meal-time pacing"), (130472, "User's number is part of an experiment"))
TEXTS = ("Your parcel left the warehouse.", "Can I change my delivery slot?", "Thanks!",
         "Hello 👋", "Is my order on its way?", "Your table is booked for 8 pm.",
         "Reply STOP to opt out.", "Where is my refund?", "Great service, thank you")


@dataclass(frozen=True)
class Generated:
    rows: int
    first: datetime
    last: datetime


SANDBOX_NUMBER = "100000000000001"


def generate_messages(
    db: Database,
    n: int,
    *,
    days: float = 30.0,
    contacts: int = 5_000,
    seed: int = 7,
    now: datetime | None = None,
    batch: int = 5_000,
    progress: Callable[[int, int], None] | None = None,
    numbers: Sequence[str] = (SANDBOX_NUMBER,),
) -> Generated:
    """Insert ``n`` messages spread evenly over the last ``days`` days (oldest first), sent
    from (or to) the phone-number ids ``numbers`` in turn."""
    rng = random.Random(seed)
    end = now or utcnow()
    start = end - timedelta(days=days)
    span_ms = to_ms(end) - to_ms(start)
    t = table_of(Message)
    done = 0
    with db.engine.begin() as conn:
        while done < n:
            rows = [_row(rng, to_ms(start) + span_ms * (done + i) // max(n, 1), done + i, contacts,
                         numbers[(done + i) % len(numbers)])
                    for i in range(min(batch, n - done))]
            conn.execute(t.insert(), rows)
            done += len(rows)
            if progress is not None:
                progress(done, n)
    return Generated(n, start, end)


def _row(rng: random.Random, ts: int, i: int, contacts: int, number: str) -> dict[str, Any]:
    contact = f"1555{rng.randrange(contacts):07d}"
    inbound = rng.random() < 0.25
    row: dict[str, Any] = {
        "wamid": f"wamid.GEN{i:010d}", "profile": "sandbox", "phone_number_id": number,
        "contact_wa_id": contact, "created_at": ts, "updated_at": ts, "source": "import",
        "template_name": None, "template_language": None, "error_code": None,
        "error_title": None, "sent_at": None, "delivered_at": None, "read_at": None,
        "failed_at": None, "received_at": None, "delivery_latency_ms": None,
        "read_latency_ms": None, "body": rng.choice(TEXTS), "type": "text",
    }
    if inbound:
        row.update(direction="in", status="received", received_at=ts)
        return row
    row["direction"] = "out"
    if rng.random() < 0.6:
        name, lang = rng.choice(TEMPLATES)
        row.update(type="template", template_name=name, template_language=lang)
    roll = rng.random()
    sent = ts + rng.randrange(200, 1500)
    row["sent_at"] = sent
    if roll < 0.05:
        code, title = rng.choice(ERRORS)
        row.update(status="failed", failed_at=sent + 500, error_code=code, error_title=title)
    elif roll < 0.15:
        row["status"] = "sent"
    else:
        delivered = sent + rng.randrange(300, 8000)
        row.update(delivered_at=delivered, delivery_latency_ms=delivered - sent)
        if roll < 0.45:
            row["status"] = "delivered"
        else:
            read = delivered + rng.randrange(2_000, 900_000)
            row.update(status="read", read_at=read, read_latency_ms=read - delivered)
    return row
