"""Property: for random histories, every trigger-kept figure equals its recomputation.

Sends (from two phone numbers) follow the processor's SQL (queued row, then accepted with a wamid, refused, or its
answer lost and linked later by the echoed key); statuses go through StatusIngest in any
order, in random batches, with duplicates, some before the send's answer; replies (quoted,
button taps) go through StatusIngest too; survey ratings are set on sessions. Runs on
SQLite and PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, inspect, text, update

from easymo_core.analytics.rebuild import rebuild_daily, rebuild_delivery
from easymo_core.analytics.settings import set_session_gap_ms
from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.webhook_payload import InboundRecord, StatusRecord, WebhookBatch
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, table_of
from tests.analytics.reference import compare, compare_daily

messages_t = table_of(Message)
T0 = 1_777_000_000_000 - 1_777_000_000_000 % 3_600_000 + 3_000_000  # 10 minutes before an hour ends
CONTACTS = ("15550000001", "15550000002", "4915112345678")
# Two profiles' numbers of two accounts sharing the database; a reply may come in on either.
PHONES = ("106540352242922", "109871234567890")
WABA_BY_PHONE = {PHONES[0]: "102290129340398", PHONES[1]: "104996122399160"}
TEMPLATES = (None, ("order_update", "en_US"), ("order_update", "pt_BR"), ("promo", "en_US"))
STEPS = (0, 1_000, 20_000, 90_000, 400_000, 2_000_000, 7_200_000)
ERRORS = (131026, 131047, 131049, None)
TABLES = ("bulk_recipients", "flow_states", "messages", "conversation_sessions", "contacts",
          "status_events", "delivery_rollups", "error_rollups", "activity_rollups",
          "delivery_rollups_daily", "error_rollups_daily", "score_rollups")


def dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def schema_has_accounts(db: Database) -> bool:
    return "phone_numbers" in inspect(db.engine).get_table_names()


def reset(db: Database, gap_ms: int) -> None:
    with db.engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        set_session_gap_ms(conn, gap_ms)
    if schema_has_accounts(db):
        know_accounts(db)


def know_accounts(db: Database) -> None:
    """phone_numbers names both numbers' accounts, as the processor and the ingest record them."""
    with db.engine.begin() as conn:
        for phone, waba in WABA_BY_PHONE.items():
            conn.execute(text("INSERT INTO phone_numbers (phone_number_id, waba_id, first_seen_at) "
                              "VALUES (:p, :w, 0) ON CONFLICT (phone_number_id) DO NOTHING"),
                         {"p": phone, "w": waba})


def status_record(wamid: str, status: str, ms: int, key: str, code: int | None) -> StatusRecord:
    raw: dict[str, Any] = {"id": wamid, "status": status, "biz_opaque_callback_data": key}
    return StatusRecord(
        wamid=wamid, status=status, meta_ts=dt(ms), recipient_id=None,
        error_code=code if status == "failed" else None,
        error_title="failed" if status == "failed" else None, error_detail=None,
        conversation_id=None, pricing_category=None, raw=raw,
    )


class Chooser:
    """Draws from hypothesis, or from a seeded Random for the non-property tests."""

    def __init__(self, data: st.DataObject | None = None, rnd: random.Random | None = None) -> None:
        self.data, self.rnd = data, rnd

    def draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        if self.data is not None:
            return self.data.draw(strategy)
        assert self.rnd is not None
        return _random_draw(self.rnd, strategy)


def _random_draw(rnd: random.Random, strategy: Any) -> Any:
    # Only the three strategy kinds History uses.
    spec = getattr(strategy, "_easymo_spec", None)
    assert spec is not None, "use the pick helpers below"
    kind, arg = spec
    if kind == "sampled":
        return rnd.choice(arg)
    if kind == "int":
        return rnd.randint(*arg)
    return rnd.random() < 0.5


def sampled(values: Any) -> Any:
    s = st.sampled_from(values)
    s._easymo_spec = ("sampled", list(values))  # type: ignore[attr-defined]
    return s


def ints(lo: int, hi: int) -> Any:
    s = st.integers(lo, hi)
    s._easymo_spec = ("int", (lo, hi))  # type: ignore[attr-defined]
    return s


def coin() -> Any:
    s = st.booleans()
    s._easymo_spec = ("bool", None)  # type: ignore[attr-defined]
    return s


class History:
    def __init__(self, db: Database, data: Chooser) -> None:
        self.db, self.data = db, data
        self.ingest = StatusIngest(db, source="test")
        self.t = T0
        self.n = 0
        self.pending: list[StatusRecord] = []
        self.outbound: dict[str, list[str]] = {c: [] for c in CONTACTS}
        self.phone_of: dict[str, str] = {}
        self.refused: list[int] = []
        # Sends name their number's account once the schema has accounts (migration 0011);
        # a test that upgrades midway sets it then.
        self.accounts: dict[str, str] | None = WABA_BY_PHONE if schema_has_accounts(db) else None

    def draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(strategy)

    def statuses_for(self, wamid: str, key: str) -> list[StatusRecord]:
        sent = self.t + self.draw(ints(0, 5_000))
        out = []
        if self.draw(coin()):
            out.append(status_record(wamid, "sent", sent, key, None))
        fate = self.draw(sampled(["delivered", "read", "read_only", "failed", "failed_then_read",
                                          "none"]))
        delivered = sent + self.draw(sampled([0, 200, 800, 4_000, 70_000, 4_000_000]))
        read = delivered + self.draw(sampled([0, 300, 20_000, 1_000_000]))
        if fate in ("delivered", "read"):
            out.append(status_record(wamid, "delivered", delivered, key, None))
        if fate in ("read", "read_only", "failed_then_read"):
            out.append(status_record(wamid, "read", read, key, None))
        if fate in ("failed", "failed_then_read"):
            code = self.draw(sampled(ERRORS))
            out.append(status_record(wamid, "failed", delivered, key, code))
            if self.draw(coin()):  # a second failure report with another code
                out.append(status_record(wamid, "failed", delivered - 1_000, key, 131000))
        if out and self.draw(coin()):
            out.append(out[0])  # at-least-once delivery: a duplicate
        return out

    def send(self) -> None:
        self.n += 1
        contact = self.draw(sampled(CONTACTS))
        phone = self.draw(sampled(PHONES))
        template = self.draw(sampled(TEMPLATES))
        outcome = self.draw(sampled(["accepted", "accepted", "accepted", "refused", "lost"]))
        key, wamid = f"key{self.n}", f"wamid.{self.n}"
        with self.db.engine.begin() as conn:
            row_id = conn.execute(
                insert(messages_t).returning(messages_t.c.id),
                {"idempotency_key": key, "profile": "t", "phone_number_id": phone, "direction": "out",
                 "contact_wa_id": contact, "type": "template" if template else "text",
                 "template_name": template[0] if template else None,
                 "template_language": template[1] if template else None,
                 "status": "queued", "source": "cli", "created_at": self.t, "updated_at": self.t,
                 "queued_at": self.t,
                 **({"waba_id": self.accounts[phone]} if self.accounts else {})},
            ).scalar_one()
        if outcome == "refused":
            with self.db.engine.begin() as conn:
                conn.execute(update(messages_t).where(messages_t.c.id == row_id).values(
                    status="failed", failed_at=self.t, error_code=self.draw(sampled(ERRORS)),
                    error_title="refused", updated_at=self.t))
            self.refused.append(row_id)
            return
        statuses = self.statuses_for(wamid, key)
        if outcome == "lost":
            # The answer never came; the first status links the row through the echoed key.
            link = status_record(wamid, "sent", self.t + 500, key, None)
            self.ingest.ingest(WebhookBatch(statuses=[link]))
        else:
            early = [s for s in statuses if self.draw(coin())]
            if early:
                self.ingest.ingest(WebhookBatch(statuses=early))
            with self.db.engine.begin() as conn:
                conn.execute(update(messages_t).where(messages_t.c.id == row_id).values(
                    wamid=wamid, status="accepted", accepted_at=self.t, updated_at=self.t,
                    error_code=None, error_title=None, error_detail=None))
                self.ingest.apply_pending(conn, [wamid])
        self.pending.extend(statuses)
        self.outbound[contact].append(wamid)
        self.phone_of[wamid] = phone

    def reply(self) -> None:
        self.n += 1
        contact = self.draw(sampled(CONTACTS))
        ours = self.outbound[contact]
        quoted = self.draw(sampled(ours)) if ours and self.draw(coin()) else None
        tap = quoted is not None and self.draw(coin())
        rec = InboundRecord(
            wamid=f"wamid.in{self.n}", from_wa_id=contact, profile_name="Ana", meta_ts=dt(self.t),
            type="reply" if tap else "text", body="hi", reply_id="TRACK" if tap else None,
            context_wamid=quoted, phone_number_id=self.draw(sampled(PHONES)), raw={},
        )
        if quoted is not None:
            # A person quotes only what their chat with that number holds (the account's).
            rec.phone_number_id = self.phone_of[quoted]
        batch = WebhookBatch(inbound=[rec])
        self.ingest.ingest(batch)
        if self.draw(coin()):
            self.ingest.ingest(batch)  # a redelivered webhook changes nothing

    def flush(self, everything: bool = False) -> None:
        if not self.pending:
            return
        rnd = random.Random(self.draw(ints(0, 2**16)))
        rnd.shuffle(self.pending)
        take = len(self.pending) if everything else self.draw(ints(1, len(self.pending)))
        chunk, self.pending = self.pending[:take], self.pending[take:]
        while chunk:
            size = rnd.randint(1, len(chunk))
            self.ingest.ingest(WebhookBatch(statuses=chunk[:size]))
            chunk = chunk[size:]

    def rate(self) -> None:
        with self.db.engine.begin() as conn:
            ids = list(conn.execute(text("SELECT id FROM conversation_sessions ORDER BY id")).scalars())
            if not ids:
                return
            sid = self.draw(sampled(ids))
            rating = self.draw(sampled([1, 2, 3, 4, 5, None]))
            conn.execute(text("UPDATE conversation_sessions SET satisfaction = :r WHERE id = :i"),
                         {"r": rating, "i": sid})

    def retry_refused(self) -> None:
        # The processor deletes a refused row (no wamid) before sending it again.
        if self.refused:
            row_id = self.refused.pop(0)
            with self.db.engine.begin() as conn:
                conn.execute(delete(messages_t).where(messages_t.c.id == row_id))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_trigger_figures_equal_recomputation(db: Database, data: st.DataObject) -> None:
    gap = data.draw(sampled([60_000, 1_800_000, 3_600_000]), label="gap")
    reset(db, gap)
    play(History(db, Chooser(data=data)), data.draw(ints(1, 24), label="steps"))
    with db.engine.connect() as conn:
        compare(conn, gap)
        compare_daily(conn, gap)
    # Migration 0003's backfill (and every rebuild) gives the same daily figures, and 0004's
    # (every message rollup from the messages) the same as the triggers.
    with db.engine.connect() as conn:
        rebuild_daily(conn)
        compare_daily(conn, gap)
        rebuild_delivery(conn)
        rebuild_daily(conn)
        compare(conn, gap)
        compare_daily(conn, gap)
        conn.rollback()


def play(h: History, steps: int) -> None:
    for _ in range(steps):
        h.t += h.draw(sampled(STEPS))
        action = h.draw(sampled(["send", "send", "reply", "reply", "flush", "rate", "retry"]))
        {"send": h.send, "reply": h.reply, "flush": h.flush, "rate": h.rate,
         "retry": h.retry_refused}[action]()
    h.flush(everything=True)
