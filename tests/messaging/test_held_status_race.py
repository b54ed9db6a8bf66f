"""A status webhook racing the send's answer: it is held as unknown, and applied at once.

The receiver writes a "sent" status while the processor writes the wamid that makes it
known. Each transaction may decide without the other's row; these tests force each order
and check that the status is applied as soon as both have committed, not at the next sweep.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.processor import record_accepted, settle_accepted
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, StatusEvent, table_of
from tests.messaging.test_ingest import T0, envelope, status

WAMID = "wamid.race"
KEY = "key-race"


def _queued_send(db: Database) -> int:
    """The row the processor writes before it sends: queued, no wamid yet."""
    with db.engine.begin() as conn:
        return int(conn.execute(
            insert(table_of(Message)).returning(table_of(Message).c.id),
            {
                "idempotency_key": KEY, "profile": "t", "phone_number_id": "1", "direction": "out",
                "contact_wa_id": "15551230000", "type": "text", "status": "queued", "source": "cli",
                "created_at": T0, "updated_at": T0, "queued_at": T0,
            },
        ).scalar_one())


def _sent_webhook(*, echoes_key: bool) -> Any:
    s = status(WAMID, "sent", 2)
    if echoes_key:
        s["biz_opaque_callback_data"] = KEY
    return parse_envelope(envelope([s]))


def _accepted(db: Database, ingest: StatusIngest, row_id: int) -> None:
    """The processor's answer path: its transaction, then its settle after the commit."""
    now = datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC)
    db.transaction(lambda conn: record_accepted(conn, ingest, [{"b_id": row_id, "wamid": WAMID}], now))
    settle_accepted(ingest, [WAMID])


def _sent_state(db: Database) -> tuple[str, datetime | None, list[bool]]:
    with db.session() as s:
        m = s.scalars(select(Message).where(Message.wamid == WAMID)).one()
        applied = list(s.scalars(select(StatusEvent.applied).where(StatusEvent.wamid == WAMID)))
        return m.status, m.sent_at, applied


def test_the_send_commits_between_the_receivers_lookup_and_its_insert(db: Database) -> None:
    """The order CI met on PostgreSQL, and possible on SQLite too: the receiver finds the
    wamid unknown, the send's answer commits, and the receiver then stores the status as
    held. The processor's apply_pending ran before that row existed, so only the receiver,
    looking again after its commit, can apply it."""
    row_id = _queued_send(db)
    receiver = StatusIngest(db)
    real_link = receiver._link_lost_answers
    orders: list[str] = []

    def answer_lands_now(conn: Any, statuses: Any, unknown: set[str], now: datetime) -> set[str]:
        # The receiver has just found the wamid unknown; the processor commits before it
        # links by the echoed key, so the key finds the row taken and links nothing.
        _accepted(db, StatusIngest(db), row_id)
        orders.append("accepted")
        return real_link(conn, statuses, unknown, now)

    receiver._link_lost_answers = answer_lands_now  # type: ignore[method-assign]
    result = receiver.ingest(_sent_webhook(echoes_key=True))
    assert orders == ["accepted"]
    assert (result.statuses_new, result.statuses_pending) == (1, 1)  # held at its commit
    status_, sent_at, applied = _sent_state(db)
    assert (status_, sent_at, applied) == ("sent", T0.replace(second=2), [True])


def test_the_receiver_commits_while_the_sends_transaction_is_open(db: Database) -> None:
    """The processor has recorded the wamid and run apply_pending, but not committed; a
    receiver stores the status meanwhile.

    On PostgreSQL nothing makes the receiver wait: it commits the status held, and only the
    processor, looking again after its own commit, can apply it. SQLite makes the
    receiver's insert wait for the processor's commit; it then finds the status held after
    its lookup, and applies it itself once committed."""
    row_id = _queued_send(db)
    sender = StatusIngest(db)
    receiver = StatusIngest(db)
    looked_up = threading.Event()
    errors: list[BaseException] = []
    real_existing = receiver._existing_events

    def lookup_done(conn: Any, wamids: set[str]) -> set[tuple[str, str, int]]:
        looked_up.set()
        return real_existing(conn, wamids)

    receiver._existing_events = lookup_done  # type: ignore[method-assign]

    def receive() -> None:
        try:
            # No echoed key: linking by key would wait for the send's row lock.
            receiver.ingest(_sent_webhook(echoes_key=False))
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    now = datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC)
    thread = threading.Thread(target=receive)
    with db.engine.connect() as conn:
        tx = conn.begin()
        record_accepted(conn, sender, [{"b_id": row_id, "wamid": WAMID}], now)
        thread.start()
        assert looked_up.wait(10), "the receiver never looked the wamid up"
        if db.dialect == "postgresql":
            thread.join(10)
            assert not thread.is_alive() and not errors
            # The race really happened: the receiver's status is committed and held.
            with db.session() as s:
                assert list(s.scalars(select(StatusEvent.applied))) == [False]
        tx.commit()
    settle_accepted(sender, [WAMID])
    thread.join(30)
    assert not thread.is_alive() and not errors
    status_, sent_at, applied = _sent_state(db)
    assert (status_, sent_at, applied) == ("sent", T0.replace(second=2), [True])
