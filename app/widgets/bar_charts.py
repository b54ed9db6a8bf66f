"""The dashboard's category charts: failures by error code, templates, flow funnel, scores."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from app.widgets.chart_card import COLORS, ChartCard, brush, fmt_pct, index_at, y_floor


def _ticks(chart: ChartCard, labels: list[str], limit: int = 14, axis: str = "bottom") -> None:
    shown = [(i, (s if len(s) <= limit else s[: limit - 1] + "…")) for i, s in enumerate(labels)]
    chart.set_ticks(axis, shown)


def _x_range(chart: ChartCard, n: int) -> None:
    chart.set_range("x", -0.6, max(n, 1) - 0.4)


class ErrorsChart(ChartCard):
    """Failed messages per Meta error code; hover explains the code, a click opens them."""

    def __init__(self) -> None:
        super().__init__("errors", "Failures by error code")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=brush(COLORS["failed"], 220),
                                    pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.plot.getPlotItem().setLabel("left", "failed messages")
        self.plot.getPlotItem().setLabel("bottom", "Meta error code and kind")
        # Codes are names, not quantities: no "(x0.001)" scaling of the axis.
        self.plot.getPlotItem().getAxis("bottom").enableAutoSIPrefix(False)
        self.rows: list[Any] = []
        self.days: float | None = None

    def update_data(self, rows: list[Any], days: float | None) -> None:
        self.rows, self.days = rows, days
        self.set_bars(self.bars, x=np.arange(len(rows), dtype=float),
                      height=np.array([r.failures for r in rows], dtype=float))
        _ticks(self, [f"{r.code} {r.family.replace('_', ' ')}" if r.code is not None else "no code"
                      for r in rows], limit=22)
        _x_range(self, len(rows))
        y_floor(self, float(max((r.failures for r in rows), default=0)))
        self.set_note("" if rows else "No failed message in this period.")

    def hover_text(self, x: float, y: float) -> str | None:
        i = index_at(len(self.rows), x)
        if i is None:
            return None
        r = self.rows[i]
        head = f"Error {r.code}" if r.code is not None else "No error code"
        explanation = "\n".join(textwrap.wrap(r.explanation, 60))
        return (f"{head} ({r.family}) · {r.failures:,} failed, {fmt_pct(r.share)} of failures\n"
                f"{explanation}\nClick to open these messages in the log.")

    def click_at(self, x: float, y: float) -> dict[str, Any] | None:
        i = index_at(len(self.rows), x)
        if i is None or y < 0 or y > self.rows[i].failures:
            return None
        filters: dict[str, Any] = {"status": "failed", "direction": "out",
                                   "error_code": self.rows[i].code}
        if self.days is not None:
            filters["period"] = self.days
        return filters

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (["error_code", "failures", "share", "family", "explanation"],
                [[r.code, r.failures, r.share, r.family, r.explanation] for r in self.rows])


SORTS = (("Most sent", lambda r: -r.sent), ("Best read rate", lambda r: -(r.read_pct or 0)),
         ("Worst delivery", lambda r: r.delivered_pct if r.delivered_pct is not None else 101),
         ("Most failures", lambda r: -r.failed))
TEMPLATE_BARS = (("delivered_pct", "Delivered %", COLORS["delivered"]),
                 ("read_pct", "Read %", COLORS["read"]),
                 ("replied_pct", "Replied %", COLORS["received"]))
TOP_TEMPLATES = 10


class TemplatesChart(ChartCard):
    """Delivered, read and replied % per template (the top ten by the chosen order), as
    horizontal bars so that template names stay readable."""

    def __init__(self) -> None:
        super().__init__("templates", "Template performance")
        self.sort = QComboBox()
        self.sort.setObjectName("TemplateSort")
        for label, _key in SORTS:
            self.sort.addItem(label)
        self.sort.currentIndexChanged.connect(lambda _i: self.update_data(self.all_rows))
        self.header.insertWidget(1, self.sort)
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "% of sent")
        item.invertY(True)  # the first template on top
        item.showGrid(x=True, y=False, alpha=0.12)
        # Textures as well as colours (and always this order, top to bottom): the three
        # bars tell apart without colour vision.
        textures = (Qt.BrushStyle.SolidPattern, Qt.BrushStyle.Dense2Pattern,
                    Qt.BrushStyle.BDiagPattern)
        self.set_legend([(name, color) for _k, name, color in TEMPLATE_BARS],
                        marks={name: mark for (_k, name, _c), mark in zip(TEMPLATE_BARS, "■▓▨",
                                                                          strict=True)})
        self.bars = {}
        for i, (key, _name, color) in enumerate(TEMPLATE_BARS):
            fill = brush(color, 220)
            fill.setStyle(textures[i])
            bar = pg.BarGraphItem(x0=[], y=[], width=[], height=0.26, brush=fill,
                                  pen=pg.mkPen(color))
            item.addItem(bar)
            self.bars[key] = (bar, (i - 1) * 0.27)
        self.all_rows: list[Any] = []
        self.rows: list[Any] = []

    def update_data(self, rows: list[Any]) -> None:
        self.all_rows = rows
        order = SORTS[max(self.sort.currentIndex(), 0)][1]
        self.rows = sorted((r for r in rows if r.sent > 0), key=order)[:TOP_TEMPLATES]
        y = np.arange(len(self.rows), dtype=float)
        for key, (bar, offset) in self.bars.items():
            self.set_bars(bar, x0=np.zeros(len(self.rows)), y=y + offset,
                          width=np.array([getattr(r, key) or 0.0 for r in self.rows]))
        _ticks(self, [f"{r.name or '(text)'}" + (f" {r.language}" if r.language else "")
                      for r in self.rows], limit=22, axis="left")
        self.set_range("y", -0.6, max(len(self.rows), 1) - 0.4)
        self.set_range("x", 0, 100, padding=0.02)
        self.set_note("" if self.rows else "No message sent in this period.")

    def hover_text(self, x: float, y: float) -> str | None:
        i = index_at(len(self.rows), y)
        if i is None:
            return None
        r = self.rows[i]
        pct = lambda v: "–" if v is None else f"{v:.1f}%"  # noqa: E731
        return (f"{r.name or '(no template)'} {r.language or ''}\n"
                f"sent {r.sent:,} · delivered {pct(r.delivered_pct)} · read {pct(r.read_pct)} · "
                f"replied {pct(r.replied_pct)}\nfailed {r.failed:,} · clicks {r.clicks:,} · "
                f"quality {r.quality or '–'} · status {r.status or '–'}")

    def click_at(self, x: float, y: float) -> dict[str, Any] | None:
        i = index_at(len(self.rows), y)
        if i is None or not self.rows[i].name:
            return None
        return {"template": self.rows[i].name}

    def table(self) -> tuple[list[str], list[list[Any]]]:
        head = ["template", "language", "sent", "delivered", "read", "replied", "clicks", "failed",
                "delivered_pct", "read_pct", "replied_pct", "quality", "status"]
        return head, [[r.name, r.language, r.sent, r.delivered, r.read, r.replied, r.clicks,
                       r.failed, r.delivered_pct, r.read_pct, r.replied_pct, r.quality, r.status]
                      for r in self.all_rows]


class FunnelChart(ChartCard):
    """Contacts entering each step of a flow, with those who abandoned there."""

    def __init__(self) -> None:
        super().__init__("funnel", "Flow funnel")
        self.flow = QComboBox()
        self.flow.setObjectName("FunnelFlow")
        self.flow.currentIndexChanged.connect(lambda _i: self._show())
        self.header.insertWidget(1, self.flow)
        item = self.plot.getPlotItem()
        item.setLabel("left", "contacts")
        self.set_legend([("Entered", COLORS["bar"]), ("Abandoned here", COLORS["failed"])])
        self.entered = pg.BarGraphItem(x=[], height=[], width=0.6, brush=brush(COLORS["bar"], 200),
                                       pen=pg.mkPen(None))
        self.abandoned = pg.BarGraphItem(x=[], height=[], width=0.6,
                                         brush=brush(COLORS["failed"], 200), pen=pg.mkPen(None))
        item.addItem(self.entered)
        item.addItem(self.abandoned)
        self.flows: list[Any] = []
        self.steps: list[Any] = []

    def update_data(self, flows: list[Any]) -> None:
        self.flows = flows
        names = [f.flow for f in flows]
        if names != [self.flow.itemText(i) for i in range(self.flow.count())]:
            current = self.flow.currentText()
            self.flow.blockSignals(True)
            self.flow.clear()
            self.flow.addItems(names)
            self.flow.setCurrentIndex(max(0, names.index(current) if current in names else 0))
            self.flow.blockSignals(False)
        self.flow.setVisible(len(names) > 1)
        self._show()

    def _show(self) -> None:
        flow = next((f for f in self.flows if f.flow == self.flow.currentText()), None)
        self.steps = list(flow.steps) if flow else []
        x = np.arange(len(self.steps), dtype=float)
        self.set_bars(self.entered, x=x,
                      height=np.array([s.entered for s in self.steps], dtype=float))
        self.set_bars(self.abandoned, x=x,
                      height=np.array([s.abandoned for s in self.steps], dtype=float))
        _ticks(self, [s.step for s in self.steps])
        _x_range(self, len(self.steps))
        y_floor(self, float(max((s.entered for s in self.steps), default=0)))
        if flow is None:
            self.set_note("No flow started in this period.")
        else:
            self.set_note(f"{flow.flow}: {flow.started:,} started, {flow.completed:,} completed "
                          f"({fmt_pct(flow.completion_rate)}), {flow.active:,} active")

    def hover_text(self, x: float, y: float) -> str | None:
        i = index_at(len(self.steps), x)
        if i is None:
            return None
        s = self.steps[i]
        return (f"step {s.step}\nentered {s.entered:,} · moved on {s.advanced:,} · "
                f"abandoned {s.abandoned:,} (drop-off {fmt_pct(s.drop_off)})")

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (["flow", "step", "entered", "advanced", "abandoned", "drop_off"],
                [[f.flow, s.step, s.entered, s.advanced, s.abandoned, s.drop_off]
                 for f in self.flows for s in f.steps])


class ScoresChart(ChartCard):
    """Active contacts per engagement-score decile."""

    def __init__(self) -> None:
        super().__init__("scores", "Engagement score (0–100) of active contacts")
        self.bars = pg.BarGraphItem(x=np.arange(10, dtype=float), height=np.zeros(10), width=0.8,
                                    brush=brush(COLORS["received"], 190), pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.plot.getPlotItem().setLabel("left", "contacts")
        self.plot.getPlotItem().setLabel("bottom", "engagement score, out of 100")
        _ticks(self, [f"{10 * i}" for i in range(10)])
        _x_range(self, 10)
        self.counts: list[int] = [0] * 10
        self.average: float | None = None

    def update_data(self, counts: list[int], average: float | None) -> None:
        self.counts, self.average = list(counts), average
        self.set_bars(self.bars, height=np.array(self.counts, dtype=float))
        y_floor(self, float(max(self.counts)))
        self.set_note("" if any(self.counts) else "No active contact in this period.")
        self.title.setText("Engagement score (0–100) of active contacts" +
                           (f" · average {average:.0f} / 100" if average is not None else ""))

    def hover_text(self, x: float, y: float) -> str | None:
        i = index_at(10, x)
        if i is None:
            return None
        top = 100 if i == 9 else 10 * i + 9
        return f"score {10 * i}–{top}: {self.counts[i]:,} contacts"

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return ["score_from", "score_to", "contacts"], [
            [10 * i, 100 if i == 9 else 10 * (i + 1), n] for i, n in enumerate(self.counts)]
