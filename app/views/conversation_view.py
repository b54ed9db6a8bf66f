"""A contact's conversation: the session's messages as a chat, its figures and flow state.

Session figures come from conversation_sessions and flow state from flow_states; either
may be empty (no session analytics yet, no flow run): the view says so instead of
showing zeros that would look like data.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.models.log_model import fmt_latency, fmt_phone
from app.models.log_preview import ChatGroup, chat_groups
from app.widgets.bubble import MessagePreview
from app.widgets.media_attachment import MediaAttachment, MediaLoader

SCOPES = {
    "session": "This conversation session",
    "day": "The day around the chosen message (no session analytics recorded yet)",
    "contact": "The contact's latest messages",
}


def _dur(ms: float | None) -> str:
    return "—" if ms is None else fmt_latency(int(ms))


class ConversationView(QWidget):
    def __init__(self, parent: QWidget | None = None, *, load_media: MediaLoader | None = None) -> None:
        super().__init__(parent)
        # Fetches a customer's media in a worker when it is shown (None: names only).
        self.load_media = load_media
        self.attachments: list[MediaAttachment] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 8, 8)
        outer.setSpacing(8)
        self.title = QLabel("No conversation chosen")
        self.title.setObjectName("SectionTitle")
        outer.addWidget(self.title)
        self.scope = QLabel("")
        self.scope.setObjectName("Muted")
        self.scope.setWordWrap(True)
        outer.addWidget(self.scope)
        self.figures = QGridLayout()
        self.figures.setHorizontalSpacing(16)
        self.figures.setVerticalSpacing(8)
        outer.addLayout(self.figures)
        self.flow = QLabel("")
        self.flow.setObjectName("FlowState")
        self.flow.setWordWrap(True)
        outer.addWidget(self.flow)
        self.chat_scroll = QScrollArea()
        self.chat_scroll.setWidgetResizable(True)
        self.chat_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.chat = QWidget()
        self.chat.setObjectName("ChatColumn")
        self.chat_box = QVBoxLayout(self.chat)
        self.chat_box.setContentsMargins(0, 0, 0, 0)
        self.chat_box.setSpacing(0)
        self.chat_box.addStretch(1)
        self.chat_scroll.setWidget(self.chat)
        outer.addWidget(self.chat_scroll, 1)
        self.conversation: Any | None = None
        self.groups: list[ChatGroup] = []
        # A new conversation opens at its latest message, as a chat app does.
        self.chat_scroll.verticalScrollBar().rangeChanged.connect(self._to_bottom)

    def _to_bottom(self, _low: int, high: int) -> None:
        self.chat_scroll.verticalScrollBar().setValue(high)

    def clear(self, text: str = "Choose a message to see its conversation.") -> None:
        self.conversation = None
        self.title.setText("No conversation chosen")
        self.scope.setText(text)
        self._set_figures([])
        self.flow.setText("")
        self._set_chat([])

    def show_conversation(self, conv: Any) -> None:
        self.conversation = conv
        name = conv.info.profile_name if conv.info and conv.info.profile_name else ""
        who = fmt_phone(conv.contact) + (f" · {name}" if name else "")
        self.title.setText(f"Conversation with {who}")
        count = len(conv.messages)
        self.scope.setText(f"{SCOPES.get(conv.scope, conv.scope)} · {count} message"
                           f"{'s' if count != 1 else ''}"
                           + (f" · {conv.sessions} session(s) on record" if conv.sessions else ""))
        figures: list[tuple[str, str]] = []
        s = conv.session
        if s is not None:
            figures += [
                ("Messages", f"{s.messages_in} in · {s.messages_out} out"),
                ("Duration", _dur(s.duration_ms)),
                ("User replies in", _dur(s.user_response_avg_ms) + " avg"),
                ("We reply in", _dur(s.business_response_avg_ms) + " avg"),
                ("Satisfaction", f"{s.satisfaction} / 5" if s.satisfaction is not None else "not rated"),
                ("Flow completed", {True: "yes", False: "no", None: "—"}[s.flow_completed]),
            ]
        else:
            figures.append(("Session figures", "none recorded for this contact yet"))
        if conv.info is not None:
            figures.append(("Engagement", f"{conv.info.engagement_score:.0f} / 100"))
        self._set_figures(figures)
        if conv.flows:
            f = conv.flows[0]
            step = f" at step “{f.current_step}”" if f.current_step and f.status == "active" else ""
            retries = f", {f.retries} retr{'y' if f.retries == 1 else 'ies'}" if f.retries else ""
            more = f" (+{len(conv.flows) - 1} earlier)" if len(conv.flows) > 1 else ""
            self.flow.setText(f"Flow {f.title or f.name}: {f.status}{step}{retries}{more}")
        else:
            self.flow.setText("No flow has run with this contact.")
        self._set_chat(chat_groups(conv.messages), getattr(conv, "media", {}) or {})

    def _set_figures(self, figures: list[tuple[str, str]]) -> None:
        while self.figures.count():
            item = self.figures.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        for i, (label, value) in enumerate(figures):
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(0)
            name = QLabel(label)
            name.setObjectName("KpiLabel")
            val = QLabel(value)
            val.setObjectName("FigureValue")
            box.addWidget(name)
            box.addWidget(val)
            self.figures.addWidget(cell, i // 3, i % 3)

    def _set_chat(self, groups: list[ChatGroup], media: dict[int, Any] | None = None) -> None:
        self.groups = groups
        self.attachments = []
        while self.chat_box.count() > 1:
            item = self.chat_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        at = 0
        for group in groups:
            bubble = MessagePreview()
            bubble.setMinimumWidth(240)
            bubble.set_message(group.preview)
            self.chat_box.insertWidget(at, bubble)
            at += 1
            for message_id in group.message_ids:
                item = (media or {}).get(message_id)
                if item is not None:
                    attachment = MediaAttachment(item, self.load_media)
                    self.attachments.append(attachment)
                    self.chat_box.insertWidget(at, attachment)
                    at += 1
        self.chat.setVisible(bool(groups))
