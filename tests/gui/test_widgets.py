"""Widgets on their own: the WhatsApp preview draws every kind of message, badges, toasts."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor

from app.hub import Hub, Notification
from app.models.preview_data import (
    PreviewButton,
    PreviewMessage,
    PreviewReply,
    PreviewRow,
    PreviewSection,
)
from app.models.timeline import build_timeline
from app.widgets.badge import StatusBadge, badge_colors
from app.widgets.bubble import WA, MessagePreview
from app.widgets.notifications import MAX_TOASTS, NotificationArea
from app.widgets.timeline import TimelineView
from app.widgets.wa_text import to_html

KINDS = {
    "text": PreviewMessage(body="Hi *Ana*, _see_ ~this~ ```code```", time="10:42", ticks="sent"),
    "template": PreviewMessage(body="Your order ships today.", header_media="IMAGE",
                               footer="easyMO", time="10:42", ticks="delivered",
                               buttons=(PreviewButton("url", "Track"),
                                        PreviewButton("quick_reply", "Stop"))),
    "many_buttons": PreviewMessage(body="Pick", buttons=tuple(
        PreviewButton("quick_reply", f"Option {i}") for i in range(5))),
    "list": PreviewMessage(body="Pick a slot", list_button="Slots", show_sheet=True,
                           sections=(PreviewSection("Morning", (PreviewRow("8-10", "early"),)),)),
    "reply": PreviewMessage(body="Deliver tomorrow?", ticks="read",
                            buttons=(PreviewButton("reply", "Yes"),),
                            replies=(PreviewReply("button", "Yes", "10:43"),)),
    "failed": PreviewMessage(body="Hello", ticks="failed"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_preview_draws_each_kind(qtbot: Any, kind: str) -> None:
    w = MessagePreview()
    qtbot.addWidget(w)
    w.resize(420, 300)
    w.set_message(KINDS[kind])
    image = w.grab().toImage()
    assert w.minimumHeight() > 100
    # The outgoing bubble's green is somewhere in the picture.
    greens = sum(
        1 for x in range(0, image.width(), 6) for y in range(0, image.height(), 6)
        if image.pixelColor(x, y) == WA.OUT
    )
    assert greens > 50


def test_preview_height_follows_content(qtbot: Any) -> None:
    w = MessagePreview()
    qtbot.addWidget(w)
    short = w.heightForWidth(400)
    w.set_message(PreviewMessage(body="word " * 300, time="10:00"))
    assert w.heightForWidth(400) > short + 200
    # Narrower means more lines.
    assert w.heightForWidth(300) > w.heightForWidth(600)


def test_read_ticks_are_blue(qtbot: Any) -> None:
    w = MessagePreview()
    qtbot.addWidget(w)
    w.resize(400, 200)
    w.set_message(PreviewMessage(body="x", time="10:00", ticks="read"))
    image = w.grab().toImage()
    blue = {(c.red(), c.green(), c.blue()) for c in
            (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height()))
            if c.blue() > 200 and c.red() < 140}
    assert blue, "read receipts draw blue ticks"


def test_formatting_becomes_rich_text() -> None:
    html = to_html("*bold* _it_ ~s~ ```m``` <b>")
    assert "<b>bold</b>" in html and "<i>it</i>" in html and "<s>s</s>" in html
    assert "&lt;b&gt;" in html  # user text is escaped


def test_badge_colours(qtbot: Any) -> None:
    bg, _fg = badge_colors("APPROVED")
    assert bg != QColor("#eceff1")
    badge = StatusBadge("REJECTED")
    qtbot.addWidget(badge)
    assert badge.text() == "Rejected" and badge.isVisibleTo(badge.parentWidget() or badge)


def test_notification_area_keeps_errors_and_caps_toasts(qtbot: Any) -> None:
    from PySide6.QtWidgets import QWidget

    host = QWidget()
    qtbot.addWidget(host)
    host.resize(900, 700)
    hub = Hub()
    area = NotificationArea(hub, host)
    host.show()
    hub.notify.emit(Notification("error", "Sync failed", "Cannot reach graph.facebook.com"))
    for i in range(6):
        hub.info(f"info {i}")
    toasts = area.toasts()
    assert len(toasts) == MAX_TOASTS
    assert any(t.note.level == "error" for t in toasts)
    assert len(area.history) == 7 and area.unread == 7
    # Each toast is tall enough to read, and the area sits inside the window.
    qtbot.wait(100)
    assert all(t.height() >= 30 for t in toasts)
    assert area.geometry().bottom() <= host.height()


def test_timeline_view_shows_steps_and_replies(qtbot: Any) -> None:
    view = TimelineView()
    qtbot.addWidget(view)
    view.set_timeline(build_timeline({
        "message": {"id": 3, "status": "delivered", "queued_at": None, "wamid": "wamid.A"},
        "replies": [{"type": "text", "body": "thanks", "received_at": None}],
    }))
    assert view.step_states()["read"] == "pending"
    assert view.spinner.spinning
    assert not view.replies_title.isHidden()
