"""The templates manager against the sandbox: sync, filter, edit with inline errors, submit
and watch the review, delete."""

from __future__ import annotations

from typing import Any

import pytest

from app.hub import Notification
from app.models.templates_model import STATUS
from app.views.templates_page import TemplatesPage
from app.watchers import TemplateWatcher, notify_review


@pytest.fixture
def page(qtbot: Any, session: Any, jobs: Any, hub: Any) -> TemplatesPage:
    p = TemplatesPage(session.services, jobs, hub, sandbox=True)
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    return p


def statuses(page: TemplatesPage) -> dict[tuple[str, str], str]:
    m = page.model
    return {(m.record(r).name, m.record(r).language): m.index(r, STATUS).data()
            for r in range(m.rowCount())}


def test_sync_shows_statuses_and_notifies(qtbot: Any, page: TemplatesPage, hub: Any) -> None:
    notes: list[Notification] = []
    hub.notify.connect(notes.append)
    page.sync()
    assert page.sync_spinner.spinning and not page.sync_button.isEnabled()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 8, timeout=10_000)
    qtbot.waitUntil(lambda: page.sync_button.isEnabled(), timeout=10_000)
    seen = statuses(page)
    assert seen[("hello_world", "en_US")] == "APPROVED"
    assert seen[("feedback_survey", "en_US")] == "PAUSED"
    assert any(n.title.startswith("Synced ") for n in notes)
    # The badge delegate draws the status column.
    assert page.table.itemDelegateForColumn(STATUS) is page.badges


def test_filters_and_search(qtbot: Any, page: TemplatesPage) -> None:
    page.sync()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 8, timeout=10_000)
    page.search.setText("order")
    assert {page.proxy.index(r, 0).data() for r in range(page.proxy.rowCount())} == {
        "order_update"}
    page.search.clear()
    page.status_filter.setCurrentIndex(page.status_filter.findData("PAUSED"))
    assert page.proxy.rowCount() == 1
    page.status_filter.setCurrentIndex(0)
    page.category_filter.setCurrentIndex(page.category_filter.findData("MARKETING"))
    page.language_filter.setCurrentIndex(page.language_filter.findData("en_US"))
    rows = {page.proxy.index(r, 0).data() for r in range(page.proxy.rowCount())}
    assert rows and all(page.model.record(page.model.row_of(n, "en_US")).category == "MARKETING"
                        for n in rows)
    assert "of" in page.count_label.text()


def test_review_changes_become_notifications(qtbot: Any, hub: Any) -> None:
    notes: list[Notification] = []
    hub.notify.connect(notes.append)
    notify_review(hub, "order_update", "en", "PENDING", "APPROVED")
    notify_review(hub, "promo", "en", "PENDING", "REJECTED")
    assert notes[0].level == "success" and notes[0].title == "order_update (en) approved"
    assert notes[1].level == "warning" and notes[1].title == "promo (en) rejected"


def test_bad_variable_shows_inline_error_then_submit_goes_pending_then_approved(
    qtbot: Any, page: TemplatesPage, hub: Any, session: Any,
) -> None:
    notes: list[Notification] = []
    hub.notify.connect(notes.append)
    watcher = TemplateWatcher(page.jobs, hub, session)
    watcher.start()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 8, timeout=10_000)
    editor = page.open_editor("new")
    qtbot.addWidget(editor)
    # A blank form is not a list of mistakes: nothing is flagged before it is typed in.
    assert not any(editor.errors.shown.values()) and editor.body_error.isHidden()
    editor.name.setText("shipping_notice")
    qtbot.keyClicks(editor.body, "Hello {{1}}, your parcel {{3}} ships today from our warehouse.")
    editor.validate_now()
    # The misnumbered variable is reported under the body, and the body is outlined.
    assert any("misnumbered" in m or "{{3}}" in m for m in editor.errors.messages("body"))
    assert not editor.body_error.isHidden()
    assert editor.body.property("error") is True
    assert not editor.submit_button.isEnabled()

    editor.body.setPlainText("Hello {{1}}, your parcel {{2}} ships today from our warehouse.")
    editor.validate_now()
    # Now only the missing examples are left, next to each variable's field.
    assert editor.errors.messages("body.examples.1")
    editor.example_edit("body", "1").setText("Ana")
    editor.example_edit("body", "2").setText("#4521")
    editor.footer.setText("easyMO")
    editor.add_template_button("QUICK_REPLY").text.setText("Track")
    problems = editor.validate_now()
    assert not [p for p in problems if p.is_error], problems
    assert editor.submit_button.isEnabled()
    assert "Ana" in editor.preview.message().body

    editor.submit()
    qtbot.waitUntil(lambda: statuses(page).get(("shipping_notice", "en_US")) == "PENDING",
                    timeout=10_000)
    assert any("shipping_notice (en_US) submitted" in n.title for n in notes)
    # The sandbox reviews it and reports by webhook; the watcher notices and says so.
    qtbot.waitUntil(lambda: statuses(page).get(("shipping_notice", "en_US")) == "APPROVED",
                    timeout=10_000)
    qtbot.waitUntil(lambda: any(n.title == "shipping_notice (en_US) approved" for n in notes),
                    timeout=5_000)
    watcher.stop()


def test_submit_refused_by_meta_shows_the_reason(qtbot: Any, page: TemplatesPage,
                                                 session: Any) -> None:
    page.sync()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 8, timeout=10_000)
    assert page.select("hello_world", "en_US")
    editor = page.open_editor("duplicate")
    qtbot.addWidget(editor)
    editor.name.setText("hello_world")  # the name and language exist at Meta already
    editor.language.setCurrentText("en_US")
    editor.validate_now()
    editor.submit()
    qtbot.waitUntil(lambda: not editor.banner.isHidden(), timeout=10_000)
    assert editor.banner.text().startswith("Not submitted:")
    assert editor.isVisible()


def test_new_language_and_duplicate_prefill(qtbot: Any, page: TemplatesPage) -> None:
    page.sync()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 8, timeout=10_000)
    assert page.select("order_update", "en_US")
    editor = page.open_editor("language")
    qtbot.addWidget(editor)
    assert editor.name.text() == "order_update" and editor.name.isReadOnly()
    assert editor.language.currentText() not in ("en_US", "es", "fr")
    assert "{{1}}" in editor.body.toPlainText()
    editor.close()
    dup = page.open_editor("duplicate")
    qtbot.addWidget(dup)
    assert dup.name.text() == "order_update_copy" and not dup.name.isReadOnly()
    assert dup.rows  # the buttons came along


def test_delete_removes_the_template(qtbot: Any, page: TemplatesPage) -> None:
    page.sync()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 8, timeout=10_000)
    assert page.select("promo_spring", "en_US")
    page.delete_selected(confirm=False)
    qtbot.waitUntil(lambda: ("promo_spring", "en_US") not in statuses(page), timeout=10_000)


def test_escape_in_the_editor_asks_before_discarding(qtbot: Any, page: TemplatesPage,
                                                     monkeypatch: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    editor = page.open_editor("new")
    qtbot.addWidget(editor)
    editor.show()
    asked: list[str] = []
    # Unchanged: Esc closes without a question.
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.isVisible() and not asked

    editor = page.open_editor("new")
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClicks(editor.name, "spring_sale")
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]

    def question(_parent: Any, title: str, *_a: Any, **_k: Any) -> Any:
        asked.append(title)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert asked == ["Discard changes?"] and editor.isVisible()
    assert editor.name.text() == "spring_sale"  # kept editing
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert asked == ["Discard changes?", "Discard changes?"] and not editor.isVisible()


def test_ctrl_f_searches_and_tab_leaves_the_table(qtbot: Any, page: TemplatesPage) -> None:
    from PySide6.QtCore import Qt

    page.show()
    page.activateWindow()
    page.sync()  # rows to walk: the list is filled by a sync, not by the page opening
    qtbot.waitUntil(lambda: page.model.rowCount() >= 8, timeout=10_000)
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus, timeout=2_000)
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus()
    assert "Ctrl+F" in page.search.toolTip()
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(0, 0))
    qtbot.keyClick(page.table, Qt.Key.Key_Tab)
    assert not page.table.hasFocus()


def test_a_media_header_sample_is_picked_checked_uploaded_and_previewed(
        qtbot: Any, page: TemplatesPage, stack: Any, tmp_path: Any) -> None:
    from tests.media.files import pdf_bytes, png_bytes, write

    page.sync()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 8, timeout=10_000)
    editor = page.open_editor("new")
    qtbot.addWidget(editor)
    editor.header_format.setCurrentIndex(editor.header_format.findData("IMAGE"))
    assert not editor.sample_button.isHidden()
    # A PDF is no image: refused at once, nothing uploaded, the handle left as it was.
    before = editor.header_media.text()
    editor.choose_sample(str(write(tmp_path / "menu.png", pdf_bytes())))
    assert "image/jpeg, image/png" in editor.sample_status.text()
    assert editor.header_media.text() == before
    # A real picture: uploaded in a worker through the Resumable Upload API, handle filled in.
    picture = write(tmp_path / "banner.png", png_bytes(60, 30))
    editor.choose_sample(str(picture))
    qtbot.waitUntil(lambda: "uploaded" in editor.sample_status.text(), timeout=10_000)
    handle = editor.header_media.text()
    assert handle.startswith("4::aW1hZ2UvcG5n:")  # image/png, in Meta's handle shape
    stored = stack.sandbox.runtime.uploads.live(handle)
    assert stored is not None and stored.data == picture.read_bytes()
    editor.name.setText("weekly_offer")
    editor.body.setPlainText("This week's offer is in the picture above, see you soon at our shop.")
    editor.validate_now()
    assert editor.preview.message().media_path == str(picture)
    assert editor.submit_button.isEnabled()
    editor.submit()
    qtbot.waitUntil(lambda: statuses(page).get(("weekly_offer", "en_US")) == "PENDING", timeout=10_000)
