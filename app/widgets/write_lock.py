"""Keeps an action's widget disabled for a login that may not do it, whatever else enables it.

Pages enable their buttons from their own state (a valid form, a selected row); a viewer's
send button must stay off through all of that, and say why in its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class WriteLock(QObject):
    """Holds ``widget`` disabled with ``reason`` as its tooltip until released."""

    def __init__(self, widget: QWidget, reason: str) -> None:
        super().__init__(widget)
        self.widget, self.reason = widget, reason
        self.setObjectName("WriteLock")
        self._tooltip = widget.toolTip()
        widget.setToolTip(reason)
        widget.setEnabled(False)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget and event.type() == QEvent.Type.EnabledChange \
                and self.widget.isEnabled():
            self.widget.setEnabled(False)
        return False

    def release(self) -> None:
        self.widget.removeEventFilter(self)
        self.widget.setToolTip(self._tooltip)
        self.deleteLater()


def lock_writes(widgets: list[tuple[QWidget, str]], role: str) -> list[WriteLock]:
    """Lock each (widget, action in plain words) for ``role``: "Your role viewer cannot send
    messages"."""
    return [WriteLock(w, f"Your role {role} cannot {action}") for w, action in widgets]
