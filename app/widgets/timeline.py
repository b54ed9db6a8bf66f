"""The live timeline of one sent message: queued → accepted → sent → delivered → read.

Failures show Meta's code, its explanation and what to do; replies from the test phone
are listed under the steps.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from app.models.timeline import Reply, Step, Timeline
from app.widgets.banner import Banner
from app.widgets.spinner import Spinner

_DOT = {
    "done": "#1fa855",
    "implied": "#8fd3a8",
    "pending": "#c4ccd2",
    "failed": "#d92d20",
}
_REPLY_KIND = {"text": "typed", "button": "tapped a button", "list": "chose from the list"}


def fmt_time(at: object) -> str:
    return at.strftime("%H:%M:%S") if hasattr(at, "strftime") else ""


class _Dot(QWidget):
    """A status dot with the connector to the next step."""

    def __init__(self, state: str, last: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.last = state, last
        self.setFixedWidth(22)
        self.setMinimumHeight(26)

    def paintEvent(self, event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(_DOT[self.state])
        c = QPointF(11, 12)
        if not self.last:
            p.setPen(QPen(QColor("#dfe4e8"), 2))
            p.drawLine(QPointF(11, 20), QPointF(11, self.height()))
        if self.state == "pending":
            p.setPen(QPen(color, 2))
            p.setBrush(QColor("#ffffff"))
        else:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
        p.drawEllipse(QRectF(c.x() - 6, c.y() - 6, 12, 12))
        if self.state in ("done", "implied"):
            p.setPen(QPen(QColor("#ffffff"), 1.6))
            p.drawLine(QPointF(8, 12), QPointF(10.3, 14.3))
            p.drawLine(QPointF(10.3, 14.3), QPointF(14.5, 9.5))
        elif self.state == "failed":
            p.setPen(QPen(QColor("#ffffff"), 1.6))
            p.drawLine(QPointF(8.5, 9.5), QPointF(13.5, 14.5))
            p.drawLine(QPointF(13.5, 9.5), QPointF(8.5, 14.5))
        p.end()


class TimelineView(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Timeline")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(14, 12, 14, 12)
        self._layout.setSpacing(6)
        head = QGridLayout()
        self.title = QLabel("Delivery")
        self.title.setObjectName("SectionTitle")
        self.spinner = Spinner(self, size=14)
        head.addWidget(self.title, 0, 0)
        head.addWidget(self.spinner, 0, 1, Qt.AlignmentFlag.AlignRight)
        self._layout.addLayout(head)
        self.fallback = Banner("warning", "")
        self.fallback.hide()
        self._layout.addWidget(self.fallback)
        self.empty = QLabel("Send a message to follow it here, from the outbox to the phone.")
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)
        self._layout.addWidget(self.empty)
        self._body = QWidget()
        self._grid = QGridLayout(self._body)
        self._grid.setContentsMargins(0, 4, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(0)
        self._layout.addWidget(self._body)
        self.replies_title = QLabel("Replies")
        self.replies_title.setObjectName("SectionTitle")
        self.replies_title.hide()
        self._layout.addWidget(self.replies_title)
        self._replies = QVBoxLayout()
        self._replies.setSpacing(4)
        self._layout.addLayout(self._replies)
        self._layout.addStretch(1)
        self.timeline: Timeline | None = None

    # -- API -------------------------------------------------------------------------
    def clear(self) -> None:
        self.timeline = None
        self._clear_layout(self._grid)
        self._clear_layout(self._replies)
        self.fallback.hide()
        self.replies_title.hide()
        self.spinner.stop()
        self.empty.show()

    def set_timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.empty.hide()
        self._clear_layout(self._grid)
        for row, step in enumerate(timeline.steps):
            self._add_step(row, step, last=row == len(timeline.steps) - 1)
        self.fallback.setVisible(bool(timeline.fallback_note))
        self.fallback.set_text(timeline.fallback_note)
        self._clear_layout(self._replies)
        self.replies_title.setVisible(bool(timeline.replies))
        for reply in timeline.replies:
            self._replies.addWidget(self._reply_label(reply))
        if timeline.finished:
            self.spinner.stop()
        else:
            self.spinner.start()

    def step_states(self) -> dict[str, str]:
        """key -> state of the steps shown, for tests and accessibility."""
        return {s.key: s.state for s in self.timeline.steps} if self.timeline else {}

    # -- building --------------------------------------------------------------------
    def _add_step(self, row: int, step: Step, *, last: bool) -> None:
        self._grid.addWidget(_Dot(step.state, last), row, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(1)
        column.setContentsMargins(0, 2, 0, 10)
        label = QLabel(step.label)
        label.setObjectName("StepFailed" if step.state == "failed" else (
            "StepPending" if step.state == "pending" else "StepDone"))
        column.addWidget(label)
        for text, name in ((step.detail, "StepDetail"), (step.hint, "StepHint")):
            if text:
                detail = QLabel(text)
                detail.setObjectName(name)
                detail.setWordWrap(True)
                detail.setTextFormat(Qt.TextFormat.PlainText)
                detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                column.addWidget(detail)
        holder = QWidget()
        holder.setLayout(column)
        self._grid.addWidget(holder, row, 1)
        when = QLabel(fmt_time(step.at) if step.state != "implied" else "")
        when.setObjectName("Muted")
        self._grid.addWidget(when, row, 2, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
        self._grid.setColumnStretch(1, 1)

    def _reply_label(self, reply: Reply) -> QLabel:
        kind = _REPLY_KIND.get(reply.kind, reply.kind)
        text = f"“{reply.text}”  ·  {kind}"
        if reply.at is not None:
            text += f"  ·  {fmt_time(reply.at)}"
        label = QLabel(text)
        label.setObjectName("ReplyItem")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    @staticmethod
    def _clear_layout(layout: QGridLayout | QVBoxLayout) -> None:
        while layout.count():
            item = layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
