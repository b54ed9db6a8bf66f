"""A card holding one pyqtgraph chart: title, hover tooltips, clicks, PNG and CSV export.

Subclasses build their plot items once and update them with ``setData``/``setOpts`` on every
refresh (pyqtgraph's live-plot idiom: never clear and rebuild). They answer three questions
in data coordinates: what to say under the mouse (``hover_text``), what a click there means
(``click_at``), and what the chart shows as a table (``table``, for the CSV export).
"""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from easymo_core.exports.csv_cells import safe_row

AXIS = "#667781"
GRID_ALPHA = 0.12
COLORS = {
    "pending": "#aebac1",
    "delivered": "#00a884",
    "read": "#53bdeb",
    "failed": "#e5484d",
    "received": "#6e56cf",
    "p50": "#00a884",
    "p95": "#0b6aa2",
    "muted": "#cfd8dc",
    "bar": "#25a36f",
    "warn": "#e29100",
}


def brush(color: str, alpha: int = 255) -> Any:
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return pg.mkBrush(c)


class ChartCard(QFrame):
    """A card with a header (title, extra controls, ⋯ menu) and one PlotWidget."""

    # what a click asks for: filters for the messages log, e.g. {"status": "failed"}
    activated = Signal(dict)

    def __init__(self, key: str, title: str, *, time_axis: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("Card")
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 10, 10, 8)
        box.setSpacing(4)
        self.header = QHBoxLayout()
        self.header.setSpacing(6)
        self.title = QLabel(title)
        self.title.setObjectName("SectionTitle")
        self.header.addWidget(self.title, 1)
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("ChartMenu")
        self.menu_button.setText("⋯")
        self.menu_button.setToolTip("Export this chart")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.menu_button)
        self.menu.addAction("Save chart as PNG…", self.choose_png)
        self.menu.addAction("Save data as CSV…", self.choose_csv)
        self.menu_button.setMenu(self.menu)
        self.header.addWidget(self.menu_button)
        box.addLayout(self.header)
        # The legend has a line of its own under the title: it never covers the data, and a
        # narrow card never has to scroll sideways for it.
        self.legend = QLabel("")
        self.legend.setObjectName("ChartLegend")
        self.legend.hide()
        box.addWidget(self.legend)
        axes = {"bottom": pg.DateAxisItem(orientation="bottom")} if time_axis else {}
        self.plot = pg.PlotWidget(axisItems=axes, background="#ffffff")
        self.plot.setObjectName(f"Chart_{key}")
        self.plot.setMinimumHeight(190)
        item = self.plot.getPlotItem()
        item.hideButtons()
        # The view's own pan/zoom and menu are off: a dashboard chart is read, not explored;
        # right-click opens the export menu instead.
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=False, y=True, alpha=GRID_ALPHA)
        for name in ("left", "bottom", "right"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(AXIS))
            axis.setTextPen(pg.mkPen(AXIS))
            # Axis text is the costliest paint of a chart; cached as a pixmap, a live update
            # that leaves the ticks alone blits it instead of drawing the text again.
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.vb = item.getViewBox()
        box.addWidget(self.plot, 1)
        self.note = QLabel("")
        self.note.setObjectName("Hint")
        self.note.setWordWrap(True)
        self.note.hide()
        box.addWidget(self.note)
        self._memo: dict[Any, Any] = {}
        scene = self.plot.scene()
        # Rate-limited: a tooltip per mouse event would cost more than the chart itself.
        self._hover_proxy = pg.SignalProxy(scene.sigMouseMoved, rateLimit=30, slot=self._moved)
        scene.sigMouseClicked.connect(self._clicked)

    # -- what subclasses answer ------------------------------------------------------
    def hover_text(self, x: float, y: float) -> str | None:
        return None

    def click_at(self, x: float, y: float) -> dict[str, Any] | None:
        """The messages-log filters a click at (x, y) opens, or None."""
        return None

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return [], []

    def set_legend(self, entries: list[tuple[str, str]], *, marks: dict[str, str] | None = None) -> None:
        """Names with their colours, each with a square unless ``marks`` gives another glyph."""
        glyphs = marks or {}
        html = [f'<span style="color:{color}">{glyphs.get(name, "■")}</span>&nbsp;{name}'
                for name, color in entries]
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(html))
        self.legend.setVisible(bool(entries))

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def set_scope(self, scope: str | None) -> None:
        """Say what a filter leaves out, after the title ("all numbers"); None: nothing."""
        base = self.title.property("base") or self.title.text()
        self.title.setProperty("base", base)
        text = f"{base} · {scope}" if scope else base
        if self.title.text() != text:
            self.title.setText(text)

    # -- updates that cost nothing when nothing changed -------------------------------
    # A live refresh usually changes one bucket; items left alone are not repainted, and an
    # unchanged range or tick list keeps the axes (their text is the costly paint) as they are.
    def set_bars(self, bar: pg.BarGraphItem, **opts: Any) -> None:
        if not all(_same(bar.opts.get(k), v) for k, v in opts.items()):
            bar.setOpts(**opts)

    def set_curve(self, curve: Any, x: np.ndarray, y: np.ndarray) -> None:
        last = self._memo.get(id(curve))
        if last is None or not (_same(last[0], x) and _same(last[1], y)):
            self._memo[id(curve)] = (x, y)
            curve.setData(x, y)

    def set_range(self, axis: str, lo: float, hi: float, *, view: Any = None,
                  padding: float = 0.0) -> None:
        key = (axis, id(view))
        if self._memo.get(key) != (lo, hi, padding):
            self._memo[key] = (lo, hi, padding)
            target = view or self.plot.getPlotItem()
            (target.setXRange if axis == "x" else target.setYRange)(lo, hi, padding=padding)

    def set_ticks(self, axis: str, ticks: list[tuple[int, str]] | list[tuple[float, str]]) -> None:
        if self._memo.get(("ticks", axis)) != ticks:
            self._memo[("ticks", axis)] = ticks
            self.plot.getPlotItem().getAxis(axis).setTicks([ticks, []])

    # -- mouse -----------------------------------------------------------------------
    def view_point(self, scene_pos: QPointF) -> QPointF | None:
        if not self.vb.sceneBoundingRect().contains(scene_pos):
            return None
        return self.vb.mapSceneToView(scene_pos)

    def _moved(self, args: tuple[Any, ...]) -> None:
        point = self.view_point(args[0])
        text = self.hover_text(point.x(), point.y()) if point is not None else None
        if text:
            QToolTip.showText(QCursor.pos(), text, self.plot)
        else:
            QToolTip.hideText()

    def _clicked(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.menu.popup(QCursor.pos())
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.view_point(event.scenePos())
        if point is None:
            return
        filters = self.click_at(point.x(), point.y())
        if filters:
            self.activated.emit(filters)

    def widget_pos(self, x: float, y: float) -> Any:
        """Where data point (x, y) is in the plot widget, for tests that click it."""
        return self.plot.mapFromScene(self.vb.mapViewToScene(QPointF(x, y)))

    # -- export ----------------------------------------------------------------------
    def _default_name(self, ext: str) -> str:
        return str(Path.home() / f"easymo-{self.key}-{datetime.now():%Y%m%d-%H%M}.{ext}")

    def choose_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save chart as PNG", self._default_name("png"),
                                              "PNG images (*.png)")
        if path:
            self.export_png(Path(path))

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save chart data as CSV",
                                              self._default_name("csv"), "CSV files (*.csv)")
        if path:
            self.export_csv(Path(path))

    def export_png(self, path: Path) -> None:
        if not self.plot.grab().save(str(path), "PNG"):
            raise OSError(f"cannot write {path}")

    def export_csv(self, path: Path) -> int:
        """Write the chart's data; returns the number of rows."""
        header, rows = self.table()
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(safe_row(header))
            writer.writerows(safe_row(r) for r in rows)
        return len(rows)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if a is None or b is None or np.shape(a) != np.shape(b):
            return False
        return bool(np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                   equal_nan=True))
    return bool(a == b)


def fmt_pct(value: float | None) -> str:
    """A rate (0.123) as the dashboard shows it: 12.3%, or – when there is none."""
    return "–" if value is None else f"{100 * value:.1f}%"


def nice_ceiling(value: float) -> float:
    """The next 1, 2, 2.5 or 5 × 10^k at or above ``value``: a y axis that does not move
    with every new message."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def y_floor(chart: ChartCard, top: float) -> None:
    """Counts start at zero; an empty chart still shows a sensible 0..1 axis."""
    chart.set_range("y", 0, nice_ceiling(top * 1.04))


def local_time(ms: int, with_date: bool = True) -> str:
    """A bucket start in the admin's local time (the axes show local time too)."""
    moment = datetime.fromtimestamp(ms / 1000).astimezone()
    return moment.strftime("%a %d %b %H:%M" if with_date else "%H:%M")


def iso_utc(ms: int) -> str:
    from easymo_core.storage.types import from_ms

    return from_ms(ms).isoformat()


def bucket_at(starts: list[int], step_ms: int, x: float) -> int | None:
    """Index of the bucket holding time ``x`` (seconds), or None."""
    if not starts:
        return None
    i = int((x * 1000 - starts[0]) // step_ms)
    return i if 0 <= i < len(starts) else None


def index_at(n: int, x: float, half_width: float = 0.45) -> int | None:
    """Index of the category bar under ``x`` for bars at 0..n-1."""
    i = round(x)
    return i if 0 <= i < n and abs(x - i) <= half_width else None
