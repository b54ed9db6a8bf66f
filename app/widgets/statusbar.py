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
def _dot(color: str, shape: str = "ok") -> QPixmap:
    """The light: its shape tells the state as well as its colour does (a tick, a cross,
    a triangle, a ring, a hollow circle), for eyes that do not tell red from green."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPen, QPolygonF

    pix = QPixmap(24, 24)
    pix.setDevicePixelRatio(2.0)
    pix.fill(QColor(0, 0, 0, 0))
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    white = QPen(QColor("#ffffff"), 1.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    if shape == "warn":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(color))
        p.drawPolygon(QPolygonF([QPointF(6, 0.5), QPointF(11.5, 11), QPointF(0.5, 11)]))
        p.setPen(white)
        p.drawLine(QPointF(6, 4.2), QPointF(6, 7.2))
        p.drawPoint(QPointF(6, 9.2))
    elif shape in ("busy", "off"):
        p.setPen(QPen(QColor(color), 1.8))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(6, 6), 4.4, 4.4)
        if shape == "busy":
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(color))
            p.drawEllipse(QPointF(6, 6), 1.6, 1.6)
    else:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(color))
        p.drawEllipse(QPointF(6, 6), 5.5, 5.5)
        p.setPen(white)
        if shape == "error":
            p.drawLine(QPointF(4, 4), QPointF(8, 8))
            p.drawLine(QPointF(8, 4), QPointF(4, 8))
        else:
            p.drawLine(QPointF(3.6, 6.2), QPointF(5.3, 7.9))
            p.drawLine(QPointF(5.3, 7.9), QPointF(8.6, 4.3))
    p.end()
    return pix


class _Light(QLabel):
    """A coloured light; a pixmap label, so repainting the status bar calls no Python."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HealthLight")
        self.setFixedSize(12, 12)
        self.set_color(HEALTH_COLORS["off"], "off")

    def set_color(self, color: str, shape: str = "ok") -> None:
        self.color = QColor(color)
        self.shape = shape
        self.setPixmap(_dot(color, shape))


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
        self.text_width = 330  # pixels; the window narrows it on a small screen

    def set_text_width(self, pixels: int) -> None:
        if pixels != self.text_width:
            self.text_width = pixels
            self._show_text()

    def _show_text(self) -> None:
        # Cut to the room there is (the whole detail is in the tooltip), never clipped mid-glyph.
        full = f"{self.label_text}: {self.detail or '—'}"
        self.text.setText(self.text.fontMetrics().elidedText(
            full, Qt.TextElideMode.ElideRight, max(60, self.text_width)))

    def set_health(self, health: str, detail: str) -> None:
        self.health, self.detail = health, detail
        known = health if health in HEALTH_COLORS else "off"
        self.light.set_color(HEALTH_COLORS[known], known)
        self._show_text()
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
