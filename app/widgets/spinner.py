"""A small busy indicator: a rotating arc, animated only while visible and spinning.

The frames are drawn once into pixmaps and shown by a QLabel, so each animation step is
one Python call and the painting itself stays in C++ (a busy worker makes every Python
callback of the UI thread wait for the GIL).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

FRAMES = 12


@cache
def _frames(size: int, color: str, ratio: float) -> tuple[QPixmap, ...]:
    frames = []
    w = max(2.0, size / 8)
    for i in range(FRAMES):
        pix = QPixmap(int(size * ratio), int(size * ratio))
        pix.setDevicePixelRatio(ratio)
        pix.fill(QColor(0, 0, 0, 0))
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(w, w, size - 2 * w, size - 2 * w)
        track = QColor(color)
        track.setAlpha(50)
        p.setPen(QPen(track, w))
        p.drawEllipse(rect)
        p.setPen(QPen(QColor(color), w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawArc(rect, -i * (360 // FRAMES) * 16, 100 * 16)
        p.end()
        frames.append(pix)
    return tuple(frames)


class Spinner(QLabel):
    def __init__(self, parent: QWidget | None = None, *, size: int = 16,
                 color: str = "#008069") -> None:
        super().__init__(parent)
        self._size = size
        self._color = color
        self._frame = 0
        self.setObjectName("Spinner")
        self._timer = QTimer(self)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self._tick)
        self.setFixedSize(size, size)
        self.setVisible(False)

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def start(self) -> None:
        self.setVisible(True)
        self._tick()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.setVisible(False)

    @property
    def spinning(self) -> bool:
        return self._timer.isActive()

    def _tick(self) -> None:
        frames = _frames(self._size, self._color, self.devicePixelRatioF())
        self._frame = (self._frame + 1) % FRAMES
        self.setPixmap(frames[self._frame])
