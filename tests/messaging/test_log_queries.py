"""The messages log queries: keyset pages, filters, search, counts, conversations, export."""

from __future__ import annotations

import csv
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from easymo_core.messaging.log_queries import LogFilter, LogQueries
from easymo_core.storage.engine import Database
from easymo_core.storage.models import ConversationFlow, FlowState, Message
from easymo_tools.bench.log_data import generate_messages
from tests.scheduler.helpers import add_message, at

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _all_pages(q: LogQueries, f: LogFilter, limit: int) -> list[int]:
    ids: list[int] = []
    after = None
    while True:
        page = q.page(f, after, limit=limit)
        ids += [r.id for r in page.rows]
        if page.after is None:
            return ids
        after = page.after


def test_keyset_pages_cover_every_row_once_newest_first(db: Database) -> None:
    generate_messages(db, 530, days=2, now=NOW, contacts=40)
    q = LogQueries(db)
    ids = _all_pages(q, LogFilter(), 200)
    assert len(ids) == 530 and len(set(ids)) == 530
    first = q.page(LogFilter(), limit=5).rows
    assert [r.created_at for r in first] == sorted((r.created_at for r in first), reverse=True)
    # Same timestamp for many rows: ties are broken by id, still no row twice.
    for _ in range(7):
        add_message(db, ms=0)
    ids = _all_pages(q, LogFilter(since=at(-1), until=at(1)), 3)
    assert len(ids) == 7 == len(set(ids))


def test_filters_match_what_they_say(db: Database) -> None:
    generate_messages(db, 600, days=3, now=NOW, contacts=30)
    q = LogQueries(db)

    def rows(**kw: object) -> list:  # type: ignore[type-arg]
        return q.page(LogFilter(**kw), limit=1000).rows  # type: ignore[arg-type]

    assert rows(status="failed") and all(r.status == "failed" for r in rows(status="failed"))
    assert all(r.direction == "in" for r in rows(direction="in"))
    assert all(r.type == "template" for r in rows(type="template"))
    assert all(r.template_name == "order_update" for r in rows(template="order_update"))
    failed = rows(status="failed")
    code = failed[0].error_code
    assert code and all(r.error_code == code for r in rows(error_code=code))
    contact = failed[0].contact_wa_id
    assert {r.contact_wa_id for r in rows(phone="+" + contact)} == {contact}
    assert all(r.contact_wa_id.startswith("1555") for r in rows(phone="1555"))
    since, until = NOW - timedelta(days=1), NOW - timedelta(hours=12)
    period = rows(since=since, until=until)
    assert period and all(since <= r.created_at < until for r in period)
    both = rows(status="read", template="order_update", since=since)
    assert all(r.status == "read" and r.template_name == "order_update" for r in both)
    assert q.count(LogFilter(status="failed")) == (len(failed), False)
    assert q.count(LogFilter(), cap=100) == (100, True)
    choices = q.choices()
    assert "order_update" in choices["templates"] and code in choices["error_codes"]


def test_search_matches_the_body_anywhere_ignoring_case_and_wamid_by_prefix(db: Database) -> None:
    a = add_message(db, ms=0, body="Your parcel *#4521* left the WAREHOUSE")
    b = add_message(db, ms=1, body="100% sure_thing")
    add_message(db, ms=2, body="something else")
    q = LogQueries(db)
    assert [r.id for r in q.page(LogFilter(search="warehouse")).rows] == [a]
    assert [r.id for r in q.page(LogFilter(search="100%")).rows] == [b]  # % is literal
    assert [r.id for r in q.page(LogFilter(search="e_t")).rows] == [b]  # _ is literal
    wamid = q.page(LogFilter(search="warehouse")).rows[0].wamid
    assert [r.id for r in q.page(LogFilter(search=wamid)).rows] == [a]


def test_rows_by_ids_keeps_only_rows_passing_the_filter(db: Database) -> None:
    ok = add_message(db, ms=0, status="failed", error_code=131026)
    other = add_message(db, ms=1, status="read")
    q = LogQueries(db)
    assert [r.id for r in q.rows_by_ids([ok, other], LogFilter(status="failed"))] == [ok]
    assert [r.id for r in q.rows_by_ids([ok, other], LogFilter())] == [other, ok]


def test_conversation_is_the_session_of_the_message_in_order(db: Database) -> None:
    c = "15550100123"
    add_message(db, ms=-3 * 24 * 3600 * 1000, contact=c, body="long ago")
    first = add_message(db, ms=0, contact=c, direction="in", status="received", body="hi")
    add_message(db, ms=1000, contact=c, body="hello!")
    add_message(db, ms=500, contact="15550100999", body="someone else")
    conv = LogQueries(db).conversation(c, first)
    assert [m.body for m in conv.messages] == ["hi", "hello!"]
    assert conv.flows == []
    if conv.session is None:  # without the session triggers: the day around the message
        assert conv.scope == "day"
    else:
        assert conv.scope == "session" and conv.session.messages_in == 1
        assert conv.session.messages_out == 1 and conv.sessions == 2


def test_a_conversation_is_one_accounts_thread_with_the_contact(db: Database) -> None:
    """The same person writing to two accounts: each conversation shows its own account's
    messages, contact figures, sessions and flow runs, never the other's."""
    c = "15550100125"
    a_in = add_message(db, ms=0, contact=c, direction="in", status="received", body="to A", waba_id="111")
    add_message(db, ms=1000, contact=c, body="A answers", waba_id="111")
    b_in = add_message(db, ms=500, contact=c, direction="in", status="received", body="to B", waba_id="222")
    with db.session() as s:
        flow = ConversationFlow(name="f", title="F", definition={}, created_at=at(0), updated_at=at(0))
        s.add(flow)
        s.flush()
        s.add(FlowState(flow_id=flow.id, contact_wa_id=c, waba_id="222", status="active",
                        current_step="x", history=[], started_at=at(0), updated_at=at(10)))
    q = LogQueries(db)
    conv_a, conv_b = q.conversation(c, a_in), q.conversation(c, b_in)
    assert [m.body for m in conv_a.messages] == ["to A", "A answers"]
    assert [m.body for m in conv_b.messages] == ["to B"]
    assert conv_a.flows == [] and [f.name for f in conv_b.flows] == ["f"]
    assert conv_a.info is not None and (conv_a.info.messages_in, conv_a.info.messages_out) == (1, 1)
    assert conv_b.info is not None and (conv_b.info.messages_in, conv_b.info.messages_out) == (1, 0)
    assert conv_a.sessions == conv_b.sessions == 1
    # Without a message: the account named, else the contact's latest message's.
    assert [m.body for m in q.conversation(c, waba_id="222").messages] == ["to B"]
    assert [m.body for m in q.conversation(c).messages] == ["to A", "A answers"]


def test_conversation_shows_flow_state(db: Database) -> None:
    c = "15550100124"
    mid = add_message(db, ms=0, contact=c)
    with db.session() as s:
        flow = ConversationFlow(name="delivery", title="Delivery slot", definition={}, created_at=at(0),
                                updated_at=at(0))
        s.add(flow)
        s.flush()
        s.add(FlowState(flow_id=flow.id, contact_wa_id=c, status="active", current_step="pick_slot",
                        history=[{"step": "start"}], started_at=at(0), updated_at=at(10)))
    conv = LogQueries(db).conversation(c, mid)
    assert [(f.name, f.status, f.current_step) for f in conv.flows] == [("delivery", "active", "pick_slot")]


def test_export_writes_the_filtered_rows_and_cancel_leaves_no_file(db: Database, tmp_path: Path) -> None:
    generate_messages(db, 450, days=1, now=NOW, contacts=20)
    q = LogQueries(db)
    f = LogFilter(direction="out")
    out = tmp_path / "log.csv"
    seen: list[tuple[int, int | None]] = []
    result = q.export_csv(f, out, progress=lambda d, t: seen.append((d, t)), chunk=100)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expected = q.count(f)[0]
    assert result.rows == len(rows) == expected and not result.cancelled
    assert all(r["direction"] == "out" for r in rows)
    assert seen[-1] == (expected, expected) and len(seen) > 1
    assert len({r["id"] for r in rows}) == expected

    stop = threading.Event()
    target = tmp_path / "cancelled.csv"

    def progress(done: int, total: int | None) -> None:
        stop.set()  # the user presses Cancel after the first chunk

    cancelled = q.export_csv(f, target, progress=progress, cancelled=stop, chunk=100)
    assert cancelled.cancelled and cancelled.rows == 100
    assert not target.exists() and not (tmp_path / "cancelled.csv.part").exists()


def test_number_filter_keeps_one_sending_number_and_choices_list_them(db: Database) -> None:
    numbers = ("100000000000001", "100000000000002")
    generate_messages(db, 400, days=2, now=NOW, contacts=20, numbers=numbers)
    q = LogQueries(db)
    assert q.choices()["numbers"] == list(numbers)
    for number in numbers:
        rows = q.page(LogFilter(number=number), limit=1000).rows
        assert len(rows) == 200
        assert q.count(LogFilter(number=number)) == (200, False)
    with db.engine.connect() as conn:
        first = {r for (r,) in conn.execute(select(Message.id).where(Message.phone_number_id == numbers[0]))}
    assert {r.id for r in q.page(LogFilter(number=numbers[0]), limit=1000).rows} == first
    assert not LogFilter(number=numbers[1]).is_empty
