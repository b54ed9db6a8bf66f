"""Status bar pieces: the profile switcher, health lights, the jobs spinner and the bell."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QWidget

from app.widgets.spinner import Spinner

HEALTH_COLORS = {
    "ok": "#1fa855",
    "busy": "#0b6aa2",
    "warn": "#e29100",
    "error": "#d92d20",
    "off": "#a3afb7",
}


@cache
def _dot(color: str) -> QPixmap:
    pix = QPixmap(20, 20)
    pix.setDevicePixelRatio(2.0)
    pix.fill(QColor(0, 0, 0, 0))
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    p.drawEllipse(1, 1, 8, 8)
    p.end()
    return pix


class _Light(QLabel):
    """A coloured dot; a pixmap label, so repainting the status bar calls no Python."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HealthLight")
        self.setFixedSize(10, 10)
        self.set_color(HEALTH_COLORS["off"])

    def set_color(self, color: str) -> None:
        self.color = QColor(color)
        self.setPixmap(_dot(color))


class HealthIndicator(QWidget):
    """A coloured light and "API: detail"; the full detail is in the tooltip."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label_text = label
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(5)
        self.light = _Light(self)
        self.text = QLabel(f"{label}: —")
        layout.addWidget(self.light)
        layout.addWidget(self.text)
        self.health = "off"
        self.detail = ""

    def set_health(self, health: str, detail: str) -> None:
        self.health, self.detail = health, detail
        self.light.set_color(HEALTH_COLORS.get(health, HEALTH_COLORS["off"]))
        short = detail if len(detail) <= 48 else detail[:47] + "…"
        self.text.setText(f"{self.label_text}: {short}")
        self.setToolTip(f"{self.label_text}: {detail}")
        self.setAccessibleName(f"{self.label_text} {health}: {detail}")


class ProfileSwitcher(QWidget):
    switched = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(QLabel("Profile"))
        self.combo = QComboBox()
        self.combo.setObjectName("ProfileSwitcher")
        self.combo.setAccessibleName("Active profile")
        self.combo.activated.connect(self._chosen)
        layout.addWidget(self.combo)

    def set_profiles(self, names: list[str], active: str) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(names)
        self.combo.setCurrentText(active)
        self.combo.blockSignals(False)

    def current(self) -> str:
        return self.combo.currentText()

    def _chosen(self, _index: int) -> None:
        self.switched.emit(self.combo.currentText())


class JobsIndicator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(5)
        self.spinner = Spinner(self, size=13)
        self.text = QLabel("")
        self.text.setObjectName("Muted")
        layout.addWidget(self.spinner)
        layout.addWidget(self.text)

    def set_count(self, count: int) -> None:
        # Background pollers run all the time; show the spinner only for real work.
        if count > 0:
            self.spinner.start()
            self.text.setText(f"{count} task{'s' if count != 1 else ''}")
        else:
            self.spinner.stop()
            self.text.setText("")


class Bell(QToolButton):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from app.resources import icon

        self.setObjectName("Bell")
        self.setIcon(icon("bell", "#54656f", 18))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setAccessibleName("Notifications")
        self.set_unread(0)

    def set_unread(self, count: int) -> None:
        self.setText(str(count) if count else "")
        self.setToolTip(f"{count} new notification(s)" if count else "Notifications")
