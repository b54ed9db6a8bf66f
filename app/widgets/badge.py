"""Coloured status pills: a table delegate and a standalone label share one palette."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

# (background, text) per status; template statuses upper case, message statuses lower.
_GREEN = ("#e3f5e9", "#17663a")
_AMBER = ("#fff3d6", "#8a5a00")
_RED = ("#fde7e7", "#b42318")
_ORANGE = ("#ffeedd", "#a4470b")
_GREY = ("#eceff1", "#4f5b66")
_BLUE = ("#e3f1fb", "#0b6aa2")
PALETTE: dict[str, tuple[str, str]] = {
    "APPROVED": _GREEN,
    "REINSTATED": _GREEN,
    "UNARCHIVED": _GREEN,
    "PENDING": _AMBER,
    "IN_APPEAL": _AMBER,
    "PENDING_DELETION": _ORANGE,
    "REJECTED": _RED,
    "FLAGGED": _ORANGE,
    "PAUSED": _ORANGE,
    "LIMIT_EXCEEDED": _ORANGE,
    "DISABLED": _GREY,
    "DELETED": _GREY,
    "ARCHIVED": _GREY,
    "LOCKED": _GREY,
    "DRAFT": _BLUE,
    "GREEN": _GREEN,
    "YELLOW": _AMBER,
    "RED": _RED,
    "UNKNOWN": _GREY,
    "queued": _GREY,
    "accepted": _BLUE,
    "sent": _BLUE,
    "delivered": _GREEN,
    "read": _GREEN,
    "failed": _RED,
    "received": _BLUE,
}


def badge_colors(status: str) -> tuple[QColor, QColor]:
    bg, fg = PALETTE.get(status, _GREY)
    return QColor(bg), QColor(fg)


def badge_text(status: str) -> str:
    return status.replace("_", " ").capitalize() if status else ""


_PILLS: dict[tuple[str, str, float], QPixmap] = {}


def _pill(status: str, font: QFont, ratio: float) -> QPixmap:
    """The pill for ``status``, drawn once per font and screen scale and then reused."""
    key = (status, font.key(), ratio)
    pixmap = _PILLS.get(key)
    if pixmap is not None:
        return pixmap
    text = badge_text(status)
    f = QFont(font)
    f.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
    f.setWeight(QFont.Weight.DemiBold)
    fm = QFontMetricsF(f)
    w, h = fm.horizontalAdvance(text) + 16, fm.height() + 6
    pixmap = QPixmap(int(w * ratio) + 1, int(h * ratio) + 1)
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(QColor(0, 0, 0, 0))
    bg, fg = badge_colors(status)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(bg)
    pill = QRectF(0, 0, w, h)
    p.drawRoundedRect(pill, h / 2, h / 2)
    p.setPen(fg)
    p.setFont(f)
    p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    _PILLS[key] = pixmap
    return pixmap


def paint_badge(p: QPainter, rect: QRectF, status: str, font: QFont) -> None:
    """A pill at the left of ``rect``, vertically centred (cached: tables repaint often)."""
    if not status:
        return
    pixmap = _pill(status, font, p.device().devicePixelRatioF())
    size = pixmap.deviceIndependentSize()
    p.drawPixmap(QPointF(rect.left() + 6, rect.center().y() - size.height() / 2), pixmap)


class StatusBadgeDelegate(QStyledItemDelegate):
    """Draws the column's DisplayRole as a coloured pill."""

    def paint(
        self, p: QPainter, option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        status = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, p, widget)
        paint_badge(p, QRectF(opt.rect), str(status), opt.font)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 24, max(size.height(), 28))


class StatusBadge(QLabel):
    """A pill label for one status, outside tables (editor header, timeline)."""

    def __init__(self, status: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StatusBadge")
        self.set_status(status)

    def set_status(self, status: str) -> None:
        self.status = status
        bg, fg = badge_colors(status)
        self.setText(badge_text(status))
        self.setVisible(bool(status))
        self.setStyleSheet(
            f"QLabel#StatusBadge {{ background: {bg.name()}; color: {fg.name()};"
            " border-radius: 9px; padding: 2px 10px; font-weight: 600; }"
        )
