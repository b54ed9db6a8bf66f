"""The composer against the sandbox: every message type reaches "read", replies show up
under it, fallbacks are explained, and a failing API never freezes the window."""

from __future__ import annotations

from typing import Any

import pytest

from app.views.composer_page import ComposerPage
from tests.gui.conftest import USER, Heartbeat, control, user_writes


@pytest.fixture
def page(qtbot: Any, session: Any, jobs: Any, hub: Any) -> ComposerPage:
    session.services.templates.sync()
    p = ComposerPage(session.services, jobs, hub, profile_name="sandbox", sandbox=True)
    qtbot.addWidget(p)
    p.resize(1200, 820)
    p.show()
    p.recipient.set_text(USER)
    qtbot.waitUntil(lambda: bool(p.template_form.records), timeout=10_000)
    return p


def send_and_wait_read(qtbot: Any, page: ComposerPage) -> None:
    qtbot.waitUntil(lambda: page.send_button.isEnabled(), timeout=3_000)
    page.send()
    qtbot.waitUntil(lambda: page.tracker is not None, timeout=10_000)
    qtbot.waitUntil(lambda: page.timeline.step_states().get("read") == "done", timeout=15_000)
    assert page.preview.message().ticks == "read"


def test_recipient_is_checked_as_you_type(qtbot: Any, page: ComposerPage) -> None:
    page.recipient.set_text("12345")
    assert page.recipient.error()
    qtbot.waitUntil(lambda: not page.send_button.isEnabled(), timeout=2_000)
    assert page.recipient.combo.property("error") is True
    page.recipient.set_text("+1 (555) 010-0002")
    assert page.recipient.normalized() == "15550100002"
    assert "✓" in page.recipient.status.text()


def test_text_preview_is_live_and_inline_errors_appear(qtbot: Any, page: ComposerPage) -> None:
    page.show_form("text")
    form = page.text_form
    form.body.setPlainText("Hello *Ana*")
    qtbot.waitUntil(lambda: page.preview.message().body == "Hello *Ana*", timeout=2_000)
    form.body.setPlainText("")
    qtbot.waitUntil(lambda: not page.send_button.isEnabled(), timeout=2_000)
    assert form.errors.messages("body")


def test_text_reaches_read_and_the_reply_appears(qtbot: Any, page: ComposerPage,
                                                 stack: Any) -> None:
    user_writes(stack)  # free-form text needs the user's 24-hour window open
    page.show_form("text")
    page.text_form.body.setPlainText("Your order *#4521* ships today")
    send_and_wait_read(qtbot, page)
    states = page.timeline.step_states()
    assert states["accepted"] == "done" and states["sent"] == "done"
    # The simulated user answers by quoting it; the reply lands under the message.
    reply = control(stack, "inbound", {"from": USER, "text": "Thanks!",
                                       "context": page.last_outcome.wamid})
    assert reply["context_id"] == page.last_outcome.wamid
    qtbot.waitUntil(lambda: bool(page.timeline.timeline and page.timeline.timeline.replies),
                    timeout=10_000)
    assert page.timeline.timeline.replies[0].text == "Thanks!"
    assert page.preview.message().replies[0].text == "Thanks!"


def test_template_with_variables_reaches_read(qtbot: Any, page: ComposerPage, hub: Any) -> None:
    page.show_form("template")
    form = page.template_form
    form.choose("order_update", "en_US")
    # One field per variable, prefilled with the template's examples.
    assert form.edits and all(e.text() for e in form.edits.values())
    first = next(k for k in form.edits if k.startswith("body:"))
    form.edits[first].setText("Beatrice")
    qtbot.waitUntil(lambda: "Beatrice" in page.preview.message().body, timeout=2_000)
    send_and_wait_read(qtbot, page)
    # A background sync reloads the templates: the typed value and the sent bubble stay.
    hub.templates_changed.emit()
    qtbot.wait(300)
    assert form.edits[first].text() == "Beatrice"
    # The template's quick reply is tapped by the simulated user, and shows as a bubble.
    qtbot.waitUntil(lambda: bool(page.timeline.timeline.replies), timeout=10_000)
    assert page.timeline.timeline.replies[0].kind == "button"
    qtbot.waitUntil(lambda: bool(page.preview.message().replies), timeout=5_000)
    assert page.preview.message().ticks == "read"


def test_template_parameter_problems_are_inline(qtbot: Any, page: ComposerPage) -> None:
    page.show_form("template")
    form = page.template_form
    form.choose("order_update", "en_US")
    key = next(k for k in form.edits if k.startswith("body:"))
    form.edits[key].setText("too     many spaces")
    path = f"body.parameters.{key.split(':')[1]}"
    qtbot.waitUntil(lambda: bool(form.errors.messages(path)), timeout=2_000)
    assert "spaces" in form.errors.messages(path)[0]
    assert not page.send_button.isEnabled()


def test_reply_buttons_reach_read_and_the_tap_appears(qtbot: Any, page: ComposerPage,
                                                       stack: Any) -> None:
    user_writes(stack)
    form = page.show_form("buttons")
    form.body.setPlainText("Deliver tomorrow morning?")
    form.titles[0].setText("Yes")
    form.titles[1].setText("No")
    qtbot.waitUntil(lambda: [b.text for b in page.preview.message().buttons] == ["Yes", "No"],
                    timeout=2_000)
    send_and_wait_read(qtbot, page)
    qtbot.waitUntil(lambda: bool(page.timeline.timeline.replies), timeout=10_000)
    reply = page.timeline.timeline.replies[0]
    assert reply.kind == "button" and reply.text in ("Yes", "No")


def test_list_reaches_read_and_the_choice_appears(qtbot: Any, page: ComposerPage,
                                                   stack: Any) -> None:
    user_writes(stack)
    form = page.show_form("list")
    form.body.setPlainText("Pick a delivery slot")
    form.button_text.setText("Slots")
    form.sections[0].title.setText("Tomorrow")
    form.sections[0].table.item(0, 0).setText("8–10 am")
    form.sections[0].add_row("2–4 pm", "Most popular")
    qtbot.waitUntil(lambda: page.preview.message().list_button == "Slots", timeout=2_000)
    assert page.preview.message().show_sheet
    send_and_wait_read(qtbot, page)
    qtbot.waitUntil(lambda: bool(page.timeline.timeline.replies), timeout=10_000)
    assert page.timeline.timeline.replies[0].kind == "list"


def test_paused_template_falls_back_to_text_and_says_so(qtbot: Any, page: ComposerPage,
                                                        stack: Any) -> None:
    user_writes(stack)
    page.show_form("template")
    page.template_form.choose("feedback_survey", "en_US")
    assert page.template_form.badge.status == "PAUSED"
    assert "falls back" in page.template_form.status_note.text()
    send_and_wait_read(qtbot, page)
    note = page.timeline.timeline.fallback_note
    assert "paused" in note and "text inside the 24-hour window" in note
    assert not page.timeline.fallback.isHidden()


def test_refused_send_shows_the_reason(qtbot: Any, page: ComposerPage) -> None:
    # No window open and the template is paused: the processor refuses, never drops.
    page.recipient.set_text("+15550100009")
    page.show_form("template")
    page.template_form.choose("feedback_survey", "en_US")
    qtbot.waitUntil(lambda: page.send_button.isEnabled(), timeout=3_000)
    page.send()
    qtbot.waitUntil(lambda: not page.send_error.isHidden(), timeout=10_000)
    assert "paused" in page.send_error.text()


def test_api_fault_shows_the_error_and_the_window_stays_responsive(
    qtbot: Any, page: ComposerPage, stack: Any, hub: Any,
) -> None:
    failed: list[tuple[int, str]] = []
    hub.message_failed.connect(lambda i, why: failed.append((i, why)))
    user_writes(stack)
    control(stack, "faults", {"error_rate": 1.0, "slow_rate": 1.0, "slow_seconds": 0.4})
    page.show_form("text")
    page.text_form.body.setPlainText("Are you there?")
    qtbot.waitUntil(lambda: page.send_button.isEnabled(), timeout=3_000)
    beat = Heartbeat()
    page.send()
    assert page.spinner.spinning and page.send_button.text() == "Sending…"
    qtbot.waitUntil(lambda: page.timeline.step_states().get("failed") == "failed",
                    timeout=60_000)
    worst = beat.stop()
    failed_step = page.timeline.timeline.steps[-1]
    assert "500" in failed_step.detail or "server" in failed_step.detail.lower()
    assert page.preview.message().ticks == "failed"
    assert failed, "the hub carries message failures"
    assert worst < 0.25, f"the UI thread stalled for {worst * 1000:.0f} ms"
    control(stack, "faults", {"clear": True})


def test_ctrl_enter_sends_and_tab_leaves_the_body(qtbot: Any, page: ComposerPage,
                                                 stack: Any) -> None:
    from PySide6.QtCore import Qt

    user_writes(stack)
    page.show_form("text")
    body = page.text_form.body
    page.activateWindow()
    body.setFocus()
    qtbot.waitUntil(body.hasFocus, timeout=2_000)
    qtbot.keyClicks(body, "Ships today")
    qtbot.keyClick(body, Qt.Key.Key_Tab)
    # Tab moved on: no tab character in the WhatsApp message.
    assert body.toPlainText() == "Ships today" and not body.hasFocus()
    assert "Ctrl+Enter" in page.send_button.toolTip()
    body.setFocus()
    qtbot.waitUntil(lambda: page.send_button.isEnabled(), timeout=3_000)
    qtbot.keyClick(body, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.tracker is not None, timeout=10_000)
    assert body.toPlainText() == "Ships today"  # sent, not a new line
    qtbot.waitUntil(lambda: page.timeline.step_states().get("accepted") == "done", timeout=10_000)


def test_media_tab_checks_the_file_previews_it_and_sends_a_document_to_read(
        qtbot: Any, page: ComposerPage, stack: Any, tmp_path: Any) -> None:
    from tests.media.files import pdf_bytes, png_bytes, write

    user_writes(stack)  # media, like text, goes inside the user's 24-hour window
    page.show_form("media")
    form = page.media_form
    # A file that is not what it says is refused before anything is uploaded.
    disguised = write(tmp_path / "photo.png", pdf_bytes())
    form.pick_file(str(disguised))
    qtbot.waitUntil(lambda: bool(form.errors.messages("file")), timeout=2_000)
    assert "image/jpeg, image/png" in form.errors.messages("file")[0]
    assert not page.send_button.isEnabled()
    # A real picture is previewed as the header of the bubble.
    picture = write(tmp_path / "banner.png", png_bytes(40, 20))
    form.pick_file(str(picture))
    form.caption.setText("This week's offer")
    qtbot.waitUntil(lambda: page.preview.message().media_path == str(picture), timeout=2_000)
    assert page.preview.message().header_media == "IMAGE"
    assert page.preview.message().body == "This week's offer"
    # A document: its name shows in the preview; it is uploaded and sent when Send is pressed.
    form.kind_box.setCurrentIndex(form.kind_box.findData("document"))
    invoice = write(tmp_path / "invoice-7.pdf", pdf_bytes("Invoice 7"))
    form.pick_file(str(invoice))
    form.caption.setText("Your invoice")
    qtbot.waitUntil(lambda: page.preview.message().media_name == "invoice-7.pdf", timeout=2_000)
    assert not form.errors.messages("file")
    send_and_wait_read(qtbot, page)
    detail = page.services.messages.detail(page.last_outcome.message_id).message
    assert detail["type"] == "document" and detail["body"] == "Your invoice"
    document = detail["payload"]["document"]
    assert document["filename"] == "invoice-7.pdf"
    info = page.services.client.media_info(document["id"])
    assert page.services.client.download_media(info.url, max_bytes=10**6) == invoice.read_bytes()
