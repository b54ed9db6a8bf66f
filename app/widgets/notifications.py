"""The notification area: toasts in a strip under the page (or over the bottom-right corner),
and a history for the bell.

Everything the hub's ``notify`` carries lands here: sync results, review changes, failed
sends and worker errors. Errors stay until dismissed; the rest fade out on their own.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.hub import Hub, Notification

_ICON = {"info": "ℹ", "success": "✓", "warning": "⚠", "error": "✕"}
_TIMEOUT_MS = {"info": 5000, "success": 5000, "warning": 9000, "error": 0}
MAX_TOASTS = 4


class Toast(QFrame):
    dismissed = Signal(object)

    def __init__(self, note: Notification, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = note
        self.setObjectName("Toast")
        self.setProperty("level", note.level)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 10, 8, 10)
        outer.setSpacing(10)
        icon = QLabel(_ICON[note.level])
        icon.setObjectName("ToastIcon")
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        outer.addWidget(icon)
        column = QVBoxLayout()
        column.setSpacing(2)
        title = QLabel(note.title)
        title.setObjectName("ToastTitle")
        title.setWordWrap(True)
        column.addWidget(title)
        for text, name in ((note.text, "ToastText"), (note.hint, "ToastHint")):
            if text:
                label = QLabel(text)
                label.setObjectName(name)
                label.setWordWrap(True)
                label.setTextFormat(Qt.TextFormat.PlainText)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                column.addWidget(label)
        outer.addLayout(column, 1)
        close = QPushButton("✕")
        close.setObjectName("ToastClose")
        close.setFlat(True)
        close.setAccessibleName("Dismiss notification")
        close.clicked.connect(lambda: self.dismissed.emit(self))
        outer.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.setFixedWidth(360)
        timeout = _TIMEOUT_MS[note.level]
        if timeout:
            QTimer.singleShot(timeout, self, lambda: self.dismissed.emit(self))


class NotificationArea(QWidget):
    """Overlay child of the window's central widget; follows its size. ``docked``: a strip
    in the host's layout under the page instead, which never covers a page's buttons (the
    page gives up the strip's height while a toast shows)."""

    changed = Signal()

    def __init__(self, hub: Hub, host: QWidget, *, docked: bool = False) -> None:
        super().__init__(host)
        self.docked = docked
        self.setObjectName("NotificationArea")
        self.history: deque[Notification] = deque(maxlen=200)
        self.unread = 0
        # Our own list: a toast added to a shown layout is only shown on the next event loop.
        self._toasts: list[Toast] = []
        # Docked: side by side in one row, so a strip of one toast's height is all the page
        # gives up; floating: stacked upwards from the corner.
        self._layout: QHBoxLayout | QVBoxLayout = QHBoxLayout(self) if docked else QVBoxLayout(self)
        self._layout.setContentsMargins(*((16, 6, 16, 8) if docked else (0, 0, 0, 0)))
        self._layout.setSpacing(8)
        self.max_toasts = 3 if docked else MAX_TOASTS
        if not docked:
            self._layout.addStretch(1)
        # The window calls reposition() from its resizeEvent: an event filter on the host
        # would run Python for every one of its events.
        hub.notify.connect(self.push)
        self._place()

    def toasts(self) -> list[Toast]:
        return list(self._toasts)

    def push(self, note: Notification) -> None:
        self.history.appendleft(note)
        self.unread += 1
        toast = Toast(note, self)
        if self.docked:
            toast.setMinimumWidth(0)
            toast.setMaximumWidth(16_777_215)
        toast.dismissed.connect(self._dismiss)
        self._layout.addWidget(toast)
        toast.show()
        self._toasts.append(toast)
        visible = self.toasts()
        # The oldest go first, except errors, which wait until nothing else is left.
        while len(visible) > self.max_toasts:
            victim = next((t for t in visible if t.note.level != "error"), visible[0])
            self._dismiss(victim)
            visible = self.toasts()
        self._place()
        self.show()
        self.raise_()
        self.changed.emit()

    def clear(self) -> None:
        for toast in self.toasts():
            self._dismiss(toast)

    def mark_read(self) -> None:
        self.unread = 0
        self.changed.emit()

    def _dismiss(self, toast: object) -> None:
        if not isinstance(toast, Toast) or toast not in self._toasts:
            return
        self._toasts.remove(toast)
        toast.hide()
        self._layout.removeWidget(toast)
        toast.deleteLater()
        self._place()

    def _place(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        if self.docked:
            self.setVisible(bool(self.toasts()))
            return
        width = 360
        # Toasts wrap their text, so their height depends on the width: ask the layout.
        self._layout.activate()
        height = self._layout.totalHeightForWidth(width) if self._layout.hasHeightForWidth() \
            else self._layout.totalSizeHint().height()
        self.setGeometry(host.width() - width - 16, host.height() - height - 16, width, height)
        self.setVisible(bool(self.toasts()))

    def reposition(self) -> None:
        self._place()
