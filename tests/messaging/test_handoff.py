"""The hand-off mark: durable before a request is written, shared by the sends in flight,
and a send that cannot be marked does not go."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import insert, select

from easymo_core.messaging.handoff import HandOff, NotSent
from easymo_core.messaging.outbox import existing_outcome, messages_t
from easymo_core.storage.engine import Database
from easymo_core.storage.types import utcnow


def _queued(db: Database, n: int) -> list[int]:
    now = utcnow()
    rows = [{"idempotency_key": f"k{i}", "profile": "p", "phone_number_id": "1", "direction": "out",
             "contact_wa_id": f"1555000{i:04d}", "type": "text", "status": "queued", "source": "cli",
             "created_at": now, "updated_at": now, "queued_at": now} for i in range(n)]
    return db.transaction(lambda conn: [int(r) for r in conn.execute(
        insert(messages_t).returning(messages_t.c.id), rows).scalars()])


def test_sends_in_flight_are_marked_before_they_go(db: Database) -> None:
    ids = _queued(db, 12)
    handoff = HandOff(db)
    errors: list[BaseException] = []

    def mark(row_id: int) -> None:
        try:
            handoff.mark(row_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=mark, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.engine.connect() as conn:
        handed = conn.execute(select(messages_t.c.handed_at).where(messages_t.c.id.in_(ids))).scalars().all()
    assert len(handed) == 12 and all(h is not None for h in handed)


def test_a_queued_send_never_handed_is_free_to_go_again_and_a_handed_one_is_not(db: Database) -> None:
    from easymo_core.messaging.outcome import OutcomeUnknown

    first, second = _queued(db, 2)
    HandOff(db).mark(second)
    assert existing_outcome(db, "k0") is None  # never left: taken back, to be sent again
    with pytest.raises(OutcomeUnknown):
        existing_outcome(db, "k1")
    # The send taken back must not go now, if its first process is still about to write it.
    with pytest.raises(NotSent, match="withdrawn"):
        HandOff(db).mark(first)


def test_a_mark_the_database_refuses_stops_the_send(db: Database) -> None:
    (row,) = _queued(db, 1)
    handoff = HandOff(db)

    def refuse(work: object) -> None:
        raise RuntimeError("database is locked")

    handoff.db = type("Refusing", (), {"transaction": staticmethod(refuse)})()
    with pytest.raises(NotSent, match="database is locked"):
        handoff.mark(row)
