"""Two writers join one contact's conversation at the same moment, on PostgreSQL.

The conversation triggers decide from what they read: is this a new session, which message
came before, is this the first reply to that message. Under READ COMMITTED a writer that
decided before the other's message was committed would count as if it were alone: two
sessions started, two first replies. Several receivers and the processor write one
PostgreSQL. What prevents it is the order of the trigger's statements: the first one writes
the contact's row (INSERT ... ON CONFLICT DO NOTHING), which waits for any transaction that
has written that row and not committed, and every later statement reads afresh. These tests
hold one writer's transaction open, start the other, wait until it waits, and compare every
figure with its recomputation; moving the contact's row below the first decision fails
them. SQLite has one writer at a time, so the interleaving cannot happen there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, text

from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.processor import record_accepted
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message
from tests.analytics.reference import compare
from tests.messaging.test_ingest import T0, WABA, add_message, envelope

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"])

CONTACT = "15551230000"
GAP_MS = 30 * 60 * 1000  # the default session gap


def _inbound(wamid: str, seconds: int, quoting: str | None = None) -> Any:
    msg: dict[str, Any] = {
        "from": CONTACT, "id": wamid, "timestamp": str(int(T0.timestamp()) + seconds),
        "type": "text", "text": {"body": f"hi {wamid}"},
    }
    if quoting:
        msg["context"] = {"from": "15550100001", "id": quoting}
    return parse_envelope(envelope(messages=[msg]))


def _queued(db: Database, seconds: int) -> int:
    with db.session() as s:
        row = Message(
            idempotency_key=f"k{seconds}", profile="t", phone_number_id="1", waba_id=WABA, direction="out",
            contact_wa_id=CONTACT, type="text", status="queued", source="cli",
            created_at=T0 + timedelta(seconds=seconds), updated_at=T0, queued_at=T0,
        )
        s.add(row)
        s.flush()
        return int(row.id)


def _waiting_backends(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one())


def _interleave(db: Database, first: Callable[[Connection], Any], second: Callable[[], Any]) -> None:
    """``first`` in a transaction left open until ``second``, in a thread, waits on a lock."""
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            second()
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=run_second)
    with db.engine.connect() as conn:
        tx = conn.begin()
        first(conn)
        thread.start()
        for _ in range(1000):
            if _waiting_backends(db) or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert _waiting_backends(db), "the second writer never waited for the first"
        tx.commit()
    thread.join(30)
    assert not thread.is_alive() and not errors, errors


def _figures_equal_recomputation(db: Database) -> None:
    with db.engine.connect() as conn:
        compare(conn, GAP_MS)


def test_two_receivers_store_one_contacts_two_messages_at_once(db: Database) -> None:
    """Our message, then two hours later the contact answers twice in a burst, and Meta
    posts the two answers to two receivers. Both quote our message: one new session, one
    response, one first-reply credit."""
    add_message(db, "wamid.ours")
    a, b = StatusIngest(db), StatusIngest(db)
    _interleave(
        db,
        lambda conn: a.ingest_in(conn, _inbound("wamid.in1", 7200, quoting="wamid.ours")),
        lambda: b.ingest(_inbound("wamid.in2", 7201, quoting="wamid.ours")),
    )
    _figures_equal_recomputation(db)


def test_a_send_accepted_while_a_receiver_stores_the_contacts_message(db: Database) -> None:
    """The processor records Meta's answer for a send to the contact while a receiver
    stores a message from that contact: each would take the other's place as "the
    message before"."""
    add_message(db, "wamid.ours")
    row_id = _queued(db, 7200)  # two hours on: both would start the session
    ingest = StatusIngest(db)
    _interleave(
        db,
        lambda conn: record_accepted(conn, ingest, [{"b_id": row_id, "wamid": "wamid.sent"}],
                                     T0 + timedelta(seconds=7200)),
        lambda: StatusIngest(db).ingest(_inbound("wamid.in3", 7201)),
    )
    _figures_equal_recomputation(db)
