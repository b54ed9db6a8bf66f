"""The Audit page: entries of a period newest first, loaded in a worker, a text filter,
elided columns with the whole text in tooltips."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.models.audit_model import DETAIL, TARGET, WHO
from app.views.audit_page import AuditPage
from easymo_core.audit import record
from easymo_core.storage.engine import Database

LONG_TARGET = "a_template_name_long_enough_to_be_elided_in_its_column_" * 2


def _fill(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = importlib.import_module("easymo_core.audit.record")  # the module, not the function
    with db.engine.begin() as conn:
        with monkeypatch.context() as then:
            then.setattr(recorder, "utcnow", lambda: datetime.now(UTC) - timedelta(days=12))
            record(conn, action="profile.add", target="old_profile", profile="acme", waba_id="1001")
        record(conn, action="template.submit", target=LONG_TARGET, detail={"language": "en_US"},
               profile="acme", waba_id="1001")
        record(conn, action="login.add", target="ana", detail={"role": "viewer", "waba": ["1001"]},
               profile="acme", waba_id="")
        record(conn, action="message.send", target="15550001111", detail={"idempotency_key": "k-9"},
               profile="acme", waba_id="1001")


@pytest.fixture
def page(qtbot: Any, db: Database, jobs: Any, hub: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditPage]:
    _fill(db, monkeypatch)
    p = AuditPage(SimpleNamespace(db=db), jobs, hub)  # type: ignore[arg-type]  # it reads services.db only
    qtbot.addWidget(p)
    p.resize(1024, 640)
    p.show()
    yield p
    p.shutdown()


def _targets(page: AuditPage) -> list[str]:
    return [page.model.entry(r).target for r in range(page.model.rowCount())]


def _load(qtbot: Any, page: AuditPage) -> None:
    qtbot.waitUntil(lambda: not page.loading and "entries" in page.count_label.text(), timeout=10_000)


def test_loads_in_a_worker_newest_first_for_the_period(qtbot: Any, page: AuditPage,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real = importlib.import_module("app.views.audit_page").load

    def load(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr("app.views.audit_page.load", load)
    page.activated()
    _load(qtbot, page)
    assert threads and threading.main_thread() not in threads
    assert _targets(page) == ["15550001111", "ana", LONG_TARGET]  # 7 days: not the old entry
    assert "3 entries (last 7 days)" in page.count_label.text()
    page.period.setCurrentIndex(page.period.findText("All time"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=10_000)
    assert _targets(page)[-1] == "old_profile"
    page.period.setCurrentIndex(page.period.findText("Last 24 hours"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10_000)


def test_text_filter_and_tooltips(qtbot: Any, page: AuditPage) -> None:
    page.activated()
    _load(qtbot, page)
    qtbot.keyClicks(page.search, "viewer")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5_000)
    assert _targets(page) == ["ana"] and "1 of 3 entries match" in page.count_label.text()
    page.search.clear()
    qtbot.keyClicks(page.search, "ACME template")  # every word, any case
    qtbot.waitUntil(lambda: _targets(page) == [LONG_TARGET], timeout=5_000)
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5_000)

    model = page.model
    row = _targets(page).index(LONG_TARGET)
    target = model.index(row, TARGET)
    # Elided on screen (the column is far narrower than the text), whole in the tooltip.
    width = page.table.fontMetrics().horizontalAdvance(LONG_TARGET)
    assert page.table.horizontalHeader().sectionSize(TARGET) < width
    assert page.table.textElideMode() == Qt.TextElideMode.ElideRight
    assert model.data(target, Qt.ItemDataRole.ToolTipRole) == LONG_TARGET
    who = model.data(model.index(row, WHO), Qt.ItemDataRole.ToolTipRole)
    assert "Profile: acme" in who and "Computer user:" in who and "Database login:" in who
    send = model.index(_targets(page).index("15550001111"), TARGET)
    assert model.data(send) == "+15550001111"  # as the message log shows a recipient
    login_row = _targets(page).index("ana")
    assert model.data(model.index(login_row, DETAIL), Qt.ItemDataRole.ToolTipRole) == \
        "role: viewer\nwaba: ['1001']"


def test_a_database_without_the_log_says_so(qtbot: Any, jobs: Any, hub: Any, tmp_path: Any) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        p = AuditPage(SimpleNamespace(db=empty), jobs, hub)  # type: ignore[arg-type]
        qtbot.addWidget(p)
        p.activated()
        qtbot.waitUntil(lambda: not p.loading, timeout=10_000)
        assert p.count_label.text().startswith("Could not load the audit log")
    finally:
        empty.dispose()


def test_settings_page_saves_and_deletes_are_recorded(db: Database, memory_keyring: Any) -> None:
    from app.views.settings_page import _delete, _save
    from easymo_core.audit import since
    from easymo_core.config import Profile, ProfileStore

    store = ProfileStore()
    profile = Profile(name="prod", phone_number_id="123", waba_id="456", db_url=db.url)
    _save(store, profile, "tok-value-1", None)  # the worker's functions, run here
    _save(store, profile, None, "app-secret-value")
    _delete(store, "prod")
    with db.engine.connect() as conn:
        found = list(reversed(since(conn, None)))
    assert [(e.action, e.target, e.detail) for e in found] == [
        ("profile.add", "prod", {"phone_number_id": "123", "waba_id": "456", "graph_url": profile.graph_url}),
        ("secret.set", "prod", {"secret": "token"}),
        ("profile.edit", "prod", {"phone_number_id": "123", "waba_id": "456", "graph_url": profile.graph_url}),
        ("secret.set", "prod", {"secret": "app-secret"}),
        ("profile.remove", "prod", None),
        ("secret.delete", "prod", {"secrets": ["token", "app-secret"]}),
    ]
