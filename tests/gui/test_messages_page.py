"""The messages log page: lazy pages in workers, filters, live rows from the change feed,
details with statuses, the conversation, and CSV export (also cancelled)."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.views.messages_page import MessagesPage
from easymo_core.messaging.log_queries import LogFilter, LogQueries
from easymo_core.messaging.queries import MessageQueries
from easymo_core.scheduler.feed import ChangeFeed
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from easymo_core.storage.types import utcnow
from easymo_tools.bench.log_data import generate_messages
from tests.scheduler.helpers import add_event, add_message, touch

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


class _Templates:
    def get(self, name: str, language: str) -> None:
        return None


@dataclass
class _Services:
    db: Database
    messages: MessageQueries
    templates: _Templates


@pytest.fixture
def log_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'log.db'}")
    migrate.upgrade(db)
    generate_messages(db, 1000, days=10, now=NOW, contacts=50)
    yield db
    db.dispose()


class ThreadRecordingQueries(LogQueries):
    """Records the thread each page query ran on."""

    threads: list[threading.Thread]

    def page(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.append(threading.current_thread())
        return super().page(*args, **kwargs)

    def export_csv(self, *args: Any, progress: Any = None, cancelled: Any = None, **kwargs: Any) -> Any:
        """With ``hold_export``: after the first chunk, wait until the user cancels."""

        def step(done: int, total: int | None) -> None:
            progress(done, total)
            if getattr(self, "hold_export", False):
                cancelled.wait(10)

        return super().export_csv(*args, progress=step, cancelled=cancelled, **kwargs)


@pytest.fixture
def page(qtbot: Any, log_db: Database, jobs: Any, hub: Any) -> MessagesPage:
    queries = ThreadRecordingQueries(log_db)
    queries.threads = []
    p = MessagesPage(_Services(log_db, MessageQueries(log_db), _Templates()), jobs, hub,
                     queries=queries)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    p.activated()
    qtbot.waitUntil(lambda: p.model.rowCount() > 0, timeout=10_000)
    return p


def test_the_log_fills_lazily_page_by_page_off_the_ui_thread(qtbot: Any, page: MessagesPage) -> None:
    model = page.model
    assert model.rowCount() == 200 and model.canFetchMore()
    assert model.pages_fetched == 1
    page.table.scrollToBottom()  # the view asks for more as the admin scrolls
    qtbot.waitUntil(lambda: model.rowCount() == 400, timeout=10_000)
    keys = [r.key for r in model.rows()]
    assert keys == sorted(keys, reverse=True) and len({r.id for r in model.rows()}) == 400
    assert page.queries.threads and threading.main_thread() not in page.queries.threads  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: page.count_label.text().startswith("1,000"), timeout=10_000)


def test_filters_change_the_rows(qtbot: Any, page: MessagesPage, log_db: Database) -> None:
    page.set_filter(status="failed")
    qtbot.waitUntil(lambda: page.model.rowCount() > 0 and not page.model.loading, timeout=10_000)
    rows = page.model.rows()
    assert rows and all(r.status == "failed" for r in rows)
    expected = LogQueries(log_db).count(LogFilter(status="failed"))[0]
    assert len(rows) == expected  # fewer than a page: all of them
    qtbot.waitUntil(lambda: page.count_label.text().startswith(f"{expected:,} message"), timeout=10_000)
    page.set_filter(status=None, direction="in", search="thanks")
    qtbot.waitUntil(lambda: page.model.filter.direction == "in" and not page.model.loading
                    and page.model.rowCount() > 0, timeout=10_000)
    assert all(r.direction == "in" and "thanks" in (r.body or "").lower() for r in page.model.rows())
    page.set_filter(direction=None, search="no message says this")
    qtbot.waitUntil(lambda: not page.model.loading and page.model.exhausted, timeout=10_000)
    assert page.model.rowCount() == 0
    assert "No message matches" in page.detail.sub.text()


def test_a_message_from_the_feed_appears_on_top_without_a_reload(
    qtbot: Any, page: MessagesPage, log_db: Database, hub: Any,
) -> None:
    feed = ChangeFeed(log_db)
    feed.start()
    fetched = page.model.pages_fetched
    top_before = page.model.log_row(0).id
    now_ms = int((utcnow() - NOW).total_seconds() * 1000)
    new_id = add_message(log_db, ms=now_ms, body="a brand new message")
    hub.messages_changed.emit(feed.poll())
    qtbot.waitUntil(lambda: page.model.log_row(0).id == new_id, timeout=10_000)
    assert page.model.log_row(1).id == top_before
    assert page.model.pages_fetched == fetched  # merged, not reloaded
    # A status change of a shown row updates it in place.
    touch(log_db, new_id, ms=now_ms + 500, status="read")
    hub.messages_changed.emit(feed.poll())
    qtbot.waitUntil(lambda: page.model.log_row(0).status == "read", timeout=10_000)
    assert page.model.rowCount() == 201


def test_detail_pane_shows_every_status_the_error_and_the_raw_payload(
    qtbot: Any, page: MessagesPage, log_db: Database,
) -> None:
    now_ms = int((utcnow() - NOW).total_seconds() * 1000) + 60_000
    ok = add_message(log_db, ms=now_ms, wamid="wamid.DETAIL1", status="read", body="Your order shipped",
                     admin="ana")
    for i, status in enumerate(("sent", "delivered", "read")):
        add_event(log_db, "wamid.DETAIL1", status, ms=now_ms + 1000 * (i + 1))
    bad = add_message(log_db, ms=now_ms + 10, wamid="wamid.DETAIL2", status="failed",
                      error_code=131047, error_title="Re-engagement message", body="Hello?")
    page.apply_filters()
    qtbot.waitUntil(lambda: page.model.row_of(ok) >= 0 and page.model.row_of(bad) >= 0, timeout=10_000)
    page.select_message(ok)
    qtbot.waitUntil(lambda: page.detail.loaded is not None
                    and page.detail.loaded.detail.message["id"] == ok, timeout=10_000)
    assert page.detail.step_statuses() == ["sent", "delivered", "read"]
    assert "via cli by ana" in page.detail.sub.text()  # who of the team sent it
    assert "wamid.DETAIL1" in page.detail.raw.toPlainText()
    assert page.detail.error.isHidden()
    assert "Your order shipped" in page.detail.preview.message().body
    page.select_message(bad)
    qtbot.waitUntil(lambda: page.detail.loaded is not None
                    and page.detail.loaded.detail.message["id"] == bad, timeout=10_000)
    assert not page.detail.error.isHidden()
    assert "131047" in page.detail.error.text() and "24" in page.detail.error.text()


def test_conversation_tab_shows_the_contacts_messages_and_empty_states(
    qtbot: Any, page: MessagesPage, log_db: Database,
) -> None:
    now_ms = int((utcnow() - NOW).total_seconds() * 1000) + 120_000
    contact = "15550109999"
    add_message(log_db, ms=now_ms, contact=contact, direction="in", status="received", body="Hi there")
    out = add_message(log_db, ms=now_ms + 1000, contact=contact, body="Hello! How can we help?")
    page.apply_filters()
    qtbot.waitUntil(lambda: page.model.row_of(out) >= 0, timeout=10_000)
    page.select_message(out)
    page.open_conversation()
    view = page.conversation
    qtbot.waitUntil(lambda: view.conversation is not None and view.conversation.contact == contact,
                    timeout=10_000)
    assert [m.body for m in view.conversation.messages] == ["Hi there", "Hello! How can we help?"]
    assert "+15550109999" in view.title.text()
    assert "No flow has run" in view.flow.text()
    assert len(view.groups) == 2  # the user's first message, then our answer


def test_export_writes_the_filtered_rows_and_can_be_cancelled(
    qtbot: Any, page: MessagesPage, log_db: Database, tmp_path: Path,
) -> None:
    page.set_filter(direction="out")
    qtbot.waitUntil(lambda: not page.model.loading and page.model.rowCount() > 0, timeout=10_000)
    target = tmp_path / "out.csv"
    page.export_to(target)
    assert page.exporting and not page.export_bar.isHidden()
    qtbot.waitUntil(lambda: not page.exporting, timeout=20_000)
    with target.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == LogQueries(log_db).count(LogFilter(direction="out"))[0]
    assert all(r["direction"] == "out" for r in rows)
    assert page.last_export.rows == len(rows) and page.export_bar.isHidden()

    cancelled = tmp_path / "cancelled.csv"
    page.export_chunk = 100
    page.queries.hold_export = True  # type: ignore[attr-defined]
    page.export_to(cancelled)
    qtbot.waitUntil(lambda: page.export_progress.value() == 100, timeout=10_000)
    assert "100 / " in page.export_progress.format()
    page.cancel_export()
    qtbot.waitUntil(lambda: not page.exporting, timeout=20_000)
    assert page.last_export.cancelled
    assert not cancelled.exists() and not (tmp_path / "cancelled.csv.part").exists()


def test_in_the_console_the_scheduler_feeds_the_log_and_the_status_bar(qtbot: Any, window: Any) -> None:
    """Sandbox traffic: the session's scheduler polls the database, the bridge turns its
    batches into signals, and the log shows the new message on top with its statuses."""
    session = window.session
    assert session.scheduler is not None and session.scheduler.running
    qtbot.waitUntil(lambda: window.health["scheduler"].health == "ok", timeout=15_000)
    tooltip = window.health["scheduler"].toolTip()
    assert "Change feed: last run" in tooltip and "next in" in tooltip
    assert "Meta analytics: off" in tooltip
    window.navigate("messages")
    page = window.page("messages")
    qtbot.waitUntil(lambda: page.model.pages_fetched >= 1 and not page.model.loading, timeout=10_000)
    fetched = page.model.pages_fetched
    from tests.gui.conftest import USER, user_writes

    user_writes(window.sandbox_stack or session.any_stack, "hello from the test")
    outcome = session.services.processor.send_text(USER, "Your parcel is on its way", source="cli")
    qtbot.waitUntil(lambda: page.model.row_of(outcome.message_id) == 0, timeout=15_000)
    qtbot.waitUntil(lambda: page.model.log_row(0).status == "read", timeout=15_000)
    assert page.model.pages_fetched == fetched
    assert any(r.direction == "in" and r.body == "hello from the test" for r in page.model.rows())


def test_number_filter_is_offered_once_a_second_number_sent(qtbot: Any, tmp_path: Path, jobs: Any,
                                                            hub: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'numbers.db'}")
    migrate.upgrade(db)
    numbers = ("100000000000001", "100000000000002")
    generate_messages(db, 400, days=2, now=NOW, contacts=20, numbers=numbers)
    try:
        p = MessagesPage(_Services(db, MessageQueries(db), _Templates()), jobs, hub)
        qtbot.addWidget(p)
        p.show()
        p.activated()
        qtbot.waitUntil(lambda: p.number.count() == 3, timeout=10_000)
        assert p.number.isVisible()
        p.set_filter(number=numbers[1], period=None)
        qtbot.waitUntil(lambda: p.model.filter.number == numbers[1] and not p.model.loading,
                        timeout=10_000)
        qtbot.waitUntil(lambda: p.count_label.text().startswith("200 messages"), timeout=10_000)
        assert p.model.rowCount() == 200
    finally:
        db.dispose()


def test_ctrl_f_searches_tab_leaves_the_table_and_narrow_keeps_the_text(
        qtbot: Any, page: MessagesPage) -> None:
    from PySide6.QtCore import Qt

    page.activateWindow()
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus, timeout=2_000)
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus() and "Ctrl+F" in page.search.toolTip()
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(0, 0))
    qtbot.keyClick(page.table, Qt.Key.Key_Tab)
    assert not page.table.hasFocus()
    # A laptop-sized page: the message column keeps its room, the type column gives way.
    header = page.table.horizontalHeader()
    page.resize(900, 640)
    qtbot.waitUntil(lambda: header.isSectionHidden(3), timeout=2_000)
    assert header.sectionSize(5) >= 160
    assert page.table.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
