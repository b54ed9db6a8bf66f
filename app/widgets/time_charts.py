"""The dashboard's charts over time: messages by status, latency percentiles, system health."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg

from app.widgets.chart_card import (
    COLORS,
    ChartCard,
    brush,
    bucket_at,
    iso_utc,
    local_time,
    nice_ceiling,
    y_floor,
)
from easymo_core.display import fmt_duration_ms

# Disjoint parts of the sent messages, bottom to top: each bar's height is what reached it.
STACK = ("read", "delivered", "pending", "failed")
STACK_LABELS = {"read": "Read", "delivered": "Delivered, not read", "pending": "Sent, no receipt",
                "failed": "Failed"}
_B = pg.QtCore.Qt.BrushStyle
STACK_TEXTURE = {"read": (_B.SolidPattern, "■"), "delivered": (_B.Dense2Pattern, "▓"),
                 "pending": (_B.Dense4Pattern, "▒"), "failed": (_B.DiagCrossPattern, "▩")}
# The messages log's status filter for each part.
STACK_STATUS = {"read": "read", "delivered": "delivered", "pending": "sent", "failed": "failed"}


LOG_TICKS = ((0.01, "10 ms"), (0.1, "0.1 s"), (1, "1 s"), (10, "10 s"), (60, "1 min"), (600, "10 min"),
             (3600, "1 h"), (36000, "10 h"))


def fmt_ms(value: float | None) -> str:
    return fmt_duration_ms(value)


def _nan(values: list[float | None], scale: float = 1.0) -> np.ndarray:
    return np.array([np.nan if v is None else v / scale for v in values], dtype=float)


class MessagesChart(ChartCard):
    """Sent messages per bucket, stacked by how far they got; inbound messages as a line."""

    def __init__(self) -> None:
        super().__init__("messages", "Messages over time", time_axis=True)
        item = self.plot.getPlotItem()
        self.bars: dict[str, pg.BarGraphItem] = {}
        for key in STACK:
            fill = brush(COLORS[key], 230)
            # A texture as well as a colour: the parts tell apart without colour vision.
            fill.setStyle(STACK_TEXTURE[key][0])
            bar = pg.BarGraphItem(x=[], height=[], width=1, y0=[], brush=fill,
                                  pen=pg.mkPen(COLORS[key]))
            item.addItem(bar)
            self.bars[key] = bar
        self.inbound = item.plot([], [], pen=pg.mkPen(COLORS["received"], width=2))
        self.set_legend([(STACK_LABELS[k], COLORS[k]) for k in STACK]
                        + [("Received", COLORS["received"])],
                        marks={"Received": "━", **{STACK_LABELS[k]: STACK_TEXTURE[k][1] for k in STACK}})
        item.setLabel("left", "messages")
        self.points: list[Any] = []
        self.step_ms = 3_600_000
        self.parts: dict[str, np.ndarray] = {}
        self.days: float | None = None

    def update_data(self, series: list[Any], step_ms: int, days: float | None) -> None:
        self.points, self.step_ms, self.days = series, step_ms, days
        starts = np.array([p.start_ms for p in series], dtype=float) / 1000
        sent = np.array([p.sent for p in series], dtype=float)
        read = np.array([p.read for p in series], dtype=float)
        delivered = np.maximum(np.array([p.delivered for p in series], dtype=float) - read, 0)
        failed = np.array([p.failed for p in series], dtype=float)
        pending = np.maximum(sent - read - delivered - failed, 0)
        self.parts = {"read": read, "delivered": delivered, "pending": pending, "failed": failed}
        width = step_ms / 1000 * 0.8
        centers = starts + step_ms / 2000
        base = np.zeros(len(series))
        for key in STACK:
            self.set_bars(self.bars[key], x=centers, height=self.parts[key], y0=base.copy(),
                          width=width)
            base = base + self.parts[key]
        inbound = np.array([p.messages_in for p in series], dtype=float)
        self.set_curve(self.inbound, centers, inbound)
        y_floor(self, float(max(base.max(initial=0), inbound.max(initial=0))))
        self.set_note("" if sent.sum() or any(p.messages_in for p in series)
                      else "No messages in this period yet.")

    def _bucket(self, x: float) -> int | None:
        return bucket_at([p.start_ms for p in self.points], self.step_ms, x)

    def hover_text(self, x: float, y: float) -> str | None:
        i = self._bucket(x)
        if i is None:
            return None
        p = self.points[i]
        end = local_time(p.start_ms + self.step_ms, with_date=False)
        lines = [f"{local_time(p.start_ms)}–{end}", f"sent {p.sent:,}"]
        lines += [f"{STACK_LABELS[k].lower()} {int(self.parts[k][i]):,}" for k in STACK]
        lines.append(f"received {p.messages_in:,}")
        return "\n".join(lines)

    def part_at(self, x: float, y: float) -> str | None:
        i = self._bucket(x)
        if i is None or y < 0:
            return None
        base = 0.0
        for key in STACK:
            top = base + float(self.parts[key][i])
            if base <= y < top:
                return key
            base = top
        return None

    def click_at(self, x: float, y: float) -> dict[str, Any] | None:
        part = self.part_at(x, y)
        if part is None:
            return None
        filters: dict[str, Any] = {"status": STACK_STATUS[part], "direction": "out"}
        if self.days is not None:
            filters["period"] = self.days
        return filters

    def table(self) -> tuple[list[str], list[list[Any]]]:
        head = ["bucket_start_utc", "sent", "delivered", "read", "failed", "replied", "received"]
        return head, [[iso_utc(p.start_ms), p.sent, p.delivered, p.read, p.failed, p.replied,
                       p.messages_in] for p in self.points]


class LatencyChart(ChartCard):
    """p50 and p95 of sent → delivered and delivered → read, per bucket, on a log scale."""

    # p50 is the typical (median) time, p95 the time 95 % of messages beat: said in words.
    LINES = (("delivery_p50_ms", "Delivery, typical", COLORS["p50"], False),
             ("delivery_p95_ms", "Delivery, 95% within", COLORS["p50"], True),
             ("read_p50_ms", "Read, typical", COLORS["p95"], False),
             ("read_p95_ms", "Read, 95% within", COLORS["p95"], True))

    def __init__(self) -> None:
        super().__init__("latency", "Delivery and read latency", time_axis=True)
        item = self.plot.getPlotItem()
        # Seconds on a log axis: delivery takes seconds, reading takes minutes to hours.
        item.setLogMode(x=False, y=True)
        self.lines = {}
        for key, _name, color, dashed in self.LINES:
            pen = pg.mkPen(color, width=2, style=pg.QtCore.Qt.PenStyle.DashLine if dashed
                           else pg.QtCore.Qt.PenStyle.SolidLine)
            # Lines only: point symbols cost more than the lines on every live update.
            self.lines[key] = item.plot([], [], pen=pen, connect="finite")
        self.set_legend([(name, color) for _k, name, color, _d in self.LINES],
                        marks={name: "┅" if dashed else "━" for _k, name, _c, dashed in self.LINES})
        # Readable durations on the log axis instead of powers of ten.
        item.getAxis("left").setTicks([[(math.log10(s), label) for s, label in LOG_TICKS], []])
        self.points: list[Any] = []
        self.step_ms = 3_600_000

    def update_data(self, points: list[Any], step_ms: int) -> None:
        self.points, self.step_ms = points, step_ms
        centers = np.array([p.start_ms for p in points], dtype=float) / 1000 + step_ms / 2000
        lows, highs = [], []
        for key, line in self.lines.items():
            values = _nan([getattr(p, key) for p in points], 1000)
            finite = np.isfinite(values)
            if finite.any():
                lows.append(float(values[finite].min()))
                highs.append(float(values[finite].max()))
            if finite.any():
                self.set_curve(line, centers, values)
            else:  # nothing to draw (and nothing to scale: all-NaN bounds would warn)
                self.set_curve(line, np.zeros(0), np.zeros(0))
            # A bucket between two empty ones is no line at all: it needs a dot. Dots cost
            # on every update, so a line only has them while it has such a lonely point.
            padded = np.concatenate(([False], finite, [False]))
            lonely = bool((finite & ~padded[:-2] & ~padded[2:]).any())
            if self._memo.get(("dots", key)) != lonely:
                self._memo[("dots", key)] = lonely
                color = next(c for k, _n, c, _d in self.LINES if k == key)
                line.setSymbol("o" if lonely else None)
                line.setSymbolSize(5)
                line.setSymbolBrush(color)
                line.setSymbolPen(None)
        self._decades(lows, highs)
        self.set_note("" if any(p.delivery_p50_ms is not None for p in points)
                      else "No delivery receipts in this period yet.")

    def _decades(self, lows: list[float], highs: list[float]) -> None:
        """The y range in whole decades (0.1 s, 1 s, 10 s ...), so it moves only when a line
        crosses one: an auto-ranged log axis changed with every new receipt and redrew its
        labels each time, about half of a live update's paint."""
        positive = [v for v in lows if v > 0]
        lo = math.floor(math.log10(min(positive))) if positive else 0
        hi = math.ceil(math.log10(max(highs))) if highs and max(highs) > 0 else 1
        lo = max(lo, -2)
        hi = max(hi, lo + 1)
        # A fifth of a decade around, so the end decades' labels fit inside the axis
        # (pyqtgraph leaves out a label that would overflow it).
        self.set_range("y", lo - 0.2, hi + 0.2)

    def hover_text(self, x: float, y: float) -> str | None:
        i = bucket_at([p.start_ms for p in self.points], self.step_ms, x)
        if i is None:
            return None
        p = self.points[i]
        return (f"{local_time(p.start_ms)}\n"
                f"delivered: typically {p.shown('delivery_p50_ms')}, 95% within "
                f"{p.shown('delivery_p95_ms')}\n"
                f"read: typically {p.shown('read_p50_ms')}, 95% within {p.shown('read_p95_ms')}")

    def table(self) -> tuple[list[str], list[list[Any]]]:
        head = ["bucket_start_utc", "delivery_p50_ms", "delivery_p95_ms", "read_p50_ms",
                "read_p95_ms"]
        return head, [[iso_utc(p.start_ms), p.delivery_p50_ms, p.delivery_p95_ms, p.read_p50_ms,
                       p.read_p95_ms] for p in self.points]


class HealthChart(ChartCard):
    """Webhook events per minute (bars, left axis) and their average lag (line, right axis)."""

    def __init__(self) -> None:
        super().__init__("health", "Events per minute and webhook lag (last hour)", time_axis=True)
        item = self.plot.getPlotItem()
        item.setLabel("left", "events/min")
        self.events = pg.BarGraphItem(x=[], height=[], width=1, brush=brush(COLORS["bar"], 170),
                                      pen=pg.mkPen(None))
        item.addItem(self.events)
        # A second view box sharing the x axis carries the lag on the right axis
        # (pyqtgraph's MultiplePlotAxes idiom).
        self.lag_vb = pg.ViewBox()
        self.lag_vb.setMouseEnabled(x=False, y=False)
        item.showAxis("right")
        item.scene().addItem(self.lag_vb)
        item.getAxis("right").linkToView(self.lag_vb)
        item.getAxis("right").setLabel("lag (s)")
        self.lag_vb.setXLink(item)
        self.lag = pg.PlotDataItem([], [], pen=pg.mkPen(COLORS["warn"], width=2), connect="finite")
        self.lag_vb.addItem(self.lag)
        self.vb.sigResized.connect(self._sync)
        self.set_legend([("Events/min", COLORS["bar"]), ("Webhook lag", COLORS["warn"])],
                        marks={"Webhook lag": "━"})
        self.points: list[Any] = []

    def _sync(self) -> None:
        self.lag_vb.setGeometry(self.vb.sceneBoundingRect())
        self.lag_vb.linkedViewChanged(self.vb, self.lag_vb.XAxis)

    def update_data(self, points: list[Any]) -> None:
        self.points = points
        starts = np.array([p.start_ms for p in points], dtype=float) / 1000
        events = np.array([p.events for p in points], dtype=float)
        self.set_bars(self.events, x=starts + 30, height=events, width=48)
        y_floor(self, float(events.max(initial=0)))
        lag = _nan([p.lag_avg_ms for p in points], 1000)
        self.set_curve(self.lag, starts + 30, lag)
        finite = lag[np.isfinite(lag)]
        self.set_range("y", 0, nice_ceiling(float(finite.max()) * 1.1 if finite.size else 1.0),
                       view=self.lag_vb)
        self.set_note("" if any(p.events for p in points)
                      else "No webhook event in the last hour.")

    def hover_text(self, x: float, y: float) -> str | None:
        i = bucket_at([p.start_ms for p in self.points], 60_000, x)
        if i is None:
            return None
        p = self.points[i]
        return f"{local_time(p.start_ms)}\n{p.events:,} events · lag {fmt_ms(p.lag_avg_ms)}"

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (["minute_utc", "events", "lag_avg_ms"],
                [[iso_utc(p.start_ms), p.events, p.lag_avg_ms] for p in self.points])
