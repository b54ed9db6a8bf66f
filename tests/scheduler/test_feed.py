"""The change feed: new and changed messages and status events since a cursor, each once,
also when writers commit out of order (the overlap window)."""

from __future__ import annotations

from typing import Any

import pytest

from easymo_core.scheduler.feed import ChangeFeed
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, table_of
from tests.scheduler.helpers import add_event, add_message, at, touch


def test_start_reports_nothing_old_then_new_messages_once(db: Database) -> None:
    old = add_message(db, ms=0)
    feed = ChangeFeed(db)
    assert feed.poll().empty  # the first poll places the cursor
    new = add_message(db, ms=1000)
    batch = feed.poll()
    assert [(m.id, m.is_new) for m in batch.messages] == [(new, True)]
    assert batch.new_ids() == [new] and old not in batch.message_ids()
    assert feed.poll().empty  # reported once


def test_a_status_change_is_reported_and_is_not_new(db: Database) -> None:
    mid = add_message(db, ms=0)
    feed = ChangeFeed(db)
    feed.start()
    touch(db, mid, ms=500, status="delivered")
    batch = feed.poll()
    assert [(m.id, m.status, m.is_new) for m in batch.messages] == [(mid, "delivered", False)]
    touch(db, mid, ms=900, status="read")
    assert [m.status for m in feed.poll().messages] == ["read"]
    assert feed.poll().empty


def test_a_new_message_changed_before_the_poll_is_reported_once_as_new(db: Database) -> None:
    feed = ChangeFeed(db)
    feed.start()
    mid = add_message(db, ms=0)
    touch(db, mid, ms=300, status="sent")
    batch = feed.poll()
    assert [(m.id, m.status, m.is_new) for m in batch.messages] == [(mid, "sent", True)]


def test_late_commit_inside_the_overlap_window_is_not_lost(db: Database) -> None:
    """A writer stamped updated_at=1000 but committed after another wrote 5000."""
    feed = ChangeFeed(db, overlap_ms=10_000)
    feed.start()
    fast = add_message(db, ms=5000, id=20)
    assert feed.poll().message_ids() == {fast}
    slow = add_message(db, ms=1000, id=10)  # lower id and older stamp, visible only now
    batch = feed.poll()
    assert batch.message_ids() == {slow}
    assert batch.messages[0].is_new
    assert feed.poll().empty


def test_late_commit_older_than_the_window_is_the_documented_limit(db: Database) -> None:
    feed = ChangeFeed(db, overlap_ms=1000)
    feed.start()
    add_message(db, ms=50_000, id=20)
    feed.poll()
    add_message(db, ms=1000, id=10)
    assert feed.poll().empty


def test_status_events_by_id_with_out_of_order_commits(db: Database) -> None:
    feed = ChangeFeed(db, overlap_ids=100)
    add_event(db, "wamid.A", "sent", ms=0, id=1)
    feed.start()
    add_event(db, "wamid.A", "delivered", ms=100, id=3)
    batch = feed.poll()
    assert [(e.id, e.status) for e in batch.events] == [(3, "delivered")]
    assert batch.events[0].meta_ts == at(100)
    add_event(db, "wamid.B", "sent", ms=50, id=2)  # its transaction committed late
    assert [e.id for e in feed.poll().events] == [2]
    assert feed.poll().empty


def test_a_burst_larger_than_a_page_is_read_in_full(db: Database) -> None:
    feed = ChangeFeed(db, page=7)
    feed.start()
    t = table_of(Message)
    rows = [{"wamid": f"wamid.B{i}", "profile": "t", "phone_number_id": "1", "direction": "out",
             "contact_wa_id": "15550100002", "type": "text", "status": "accepted", "source": "bulk",
             "created_at": at(1000), "updated_at": at(1000)} for i in range(30)]
    with db.engine.begin() as conn:
        conn.execute(t.insert(), rows)
    for i in range(12):
        add_event(db, f"wamid.B{i}", "sent", ms=1100 + i)
    batch = feed.poll()
    assert len(batch.messages) == 30 and len(set(batch.message_ids())) == 30
    assert len(batch.events) == 12
    assert feed.poll().empty


def test_two_feeds_on_one_database_each_see_everything(db: Database) -> None:
    """Consoles poll side by side: cursors are per process, reads take no lock."""
    a, b = ChangeFeed(db), ChangeFeed(db)
    a.start()
    b.start()
    m1 = add_message(db, ms=0)
    assert a.poll().message_ids() == {m1}
    m2 = add_message(db, ms=10)
    assert b.poll().message_ids() == {m1, m2}
    assert a.poll().message_ids() == {m2}


# PostgreSQL only: SQLite has one writer at a time, so commits cannot interleave there.
@pytest.mark.parametrize("dialect", ["postgresql"])
def test_real_concurrent_transactions_on_postgresql(db: Database, dialect: str) -> None:
    """Sequence ids are taken at insert and seen at commit: an open transaction's row
    with a lower id appears after a higher one, and the feed still reports it."""
    # The analytics triggers upsert per-contact, per-hour and per-day rows: give the two
    # writers different ones so neither waits for the other's lock (the window spans both
    # days). Writers on the same template and day do queue on its rollup row until commit.
    feed = ChangeFeed(db, overlap_ms=26 * 3600 * 1000)
    feed.start()
    t = table_of(Message)

    def values(n: int, ms: int) -> dict[str, Any]:
        # Another contact than the fast writer's: the two transactions share no row.
        return {"wamid": f"wamid.C{n}", "profile": "t", "phone_number_id": "1", "direction": "out",
                "contact_wa_id": "15550100777", "type": "text", "status": "accepted",
                "source": "cli", "created_at": at(ms), "updated_at": at(ms)}

    slow = db.engine.connect()
    tx = slow.begin()
    slow_id = slow.execute(t.insert().returning(t.c.id), values(1, 100)).scalar_one()
    fast_id = add_message(db, ms=24 * 3600 * 1000 + 200)
    assert fast_id > slow_id
    assert feed.poll().message_ids() == {fast_id}
    tx.commit()
    slow.close()
    assert feed.poll().message_ids() == {slow_id}
