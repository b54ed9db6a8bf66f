"""A flow's steps and transitions, drawn top to bottom: one row per distance from the start.

Steps are boxes (name, what they send, how many contacts entered them in the period); an
arrow leads to each step a reply can lead to, dashed for the fallback when a step fails.
Arrows going back up (a retry loop, "start again") run along the right edge. Grows in
height, never in width: the page scrolls down, not sideways.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from easymo_core.flows.definition import FlowDefinition

ROW_HEIGHT = 84
BOX_HEIGHT = 52
MARGIN = 16


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    fallback: bool  # on_fail: taken when the step's retries run out


def layers(definition: FlowDefinition) -> list[list[str]]:
    """Steps by distance from the start (breadth first); unreachable ones last."""
    depth = {definition.start: 0}
    queue = [definition.start]
    while queue:
        step = queue.pop(0)
        for target in definition.steps[step].targets():
            if target in definition.steps and target not in depth:
                depth[target] = depth[step] + 1
                queue.append(target)
    last = max(depth.values(), default=0) + 1
    rows: dict[int, list[str]] = {}
    for step in definition.ordered_steps():
        rows.setdefault(depth.get(step, last), []).append(step)
    return [rows[k] for k in sorted(rows)]


def edges(definition: FlowDefinition) -> list[Edge]:
    out: list[Edge] = []
    seen: set[tuple[str, str]] = set()
    for step_id, step in definition.steps.items():
        for target in step.targets():
            fallback = target == step.on_fail and target not in _forward(step)
            if (step_id, target) not in seen and target in definition.steps:
                seen.add((step_id, target))
                out.append(Edge(step_id, target, fallback))
    return out


def _forward(step: object) -> list[str]:
    options = [o.next for o in step.message.options if o.next]  # type: ignore[attr-defined]
    expects = [e.next for e in step.expects]  # type: ignore[attr-defined]
    nxt = [step.next] if step.next else []  # type: ignore[attr-defined]
    return options + expects + nxt


class FlowGraph(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FlowGraph")
        self.definition: FlowDefinition | None = None
        self.rows: list[list[str]] = []
        self.links: list[Edge] = []
        self.entered: dict[str, int] = {}
        self.boxes: dict[str, QRectF] = {}
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(120)
        self.setAccessibleName("Flow steps and transitions")

    def set_flow(self, definition: FlowDefinition | None) -> None:
        self.definition = definition
        self.rows = layers(definition) if definition else []
        self.links = edges(definition) if definition else []
        self.setFixedHeight(max(120, MARGIN * 2 + len(self.rows) * ROW_HEIGHT - (ROW_HEIGHT - BOX_HEIGHT)))
        self.setAccessibleDescription(self.describe())
        self.update()

    def set_counts(self, entered: dict[str, int]) -> None:
        """Contacts that entered each step in the period, shown in its box."""
        self.entered = dict(entered)
        self.update()

    def describe(self) -> str:
        """The graph in words (screen readers, tooltips): "ask → rate, details; …"."""
        if self.definition is None:
            return "No flow chosen"
        by_source: dict[str, list[str]] = {}
        for e in self.links:
            by_source.setdefault(e.source, []).append(e.target + (" (if it fails)" if e.fallback else ""))
        return "; ".join(f"{s} → {', '.join(t)}" if t else f"{s} (end)"
                         for s in self.definition.steps for t in [by_source.get(s, [])])

    def _layout(self) -> None:
        width = max(200, self.width() - 2 * MARGIN - 28)  # room on the right for loops back
        self.boxes = {}
        for r, row in enumerate(self.rows):
            slot = width / max(1, len(row))
            box_w = min(190.0, slot - 12)
            for i, step in enumerate(row):
                x = MARGIN + slot * i + (slot - box_w) / 2
                self.boxes[step] = QRectF(x, MARGIN + r * ROW_HEIGHT, box_w, BOX_HEIGHT)

    def paintEvent(self, _event: QPaintEvent) -> None:
        from app import theme

        if self.definition is None:
            return
        self._layout()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        edge_color = QColor(theme.paint("axis"))
        for e in self.links:
            self._edge(p, e, edge_color)
        base = QFont(self.font())
        small = QFont(base)
        small.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
        bold = QFont(base)
        bold.setBold(True)
        for step_id, rect in self.boxes.items():
            step = self.definition.steps[step_id]
            start, end = step_id == self.definition.start, step.end
            p.setPen(QPen(QColor("#00a884" if start else theme.paint("axis")), 2.4 if end else 1.2,
                          Qt.PenStyle.SolidLine))
            p.setBrush(QColor(theme.paint("node_bg")))
            p.drawRoundedRect(rect, 8, 8)
            if end:  # a double border: the flow completes here
                p.drawRoundedRect(rect.adjusted(3, 3, -3, -3), 6, 6)
            p.setPen(QColor(theme.paint("text")))
            p.setFont(bold)
            inner = rect.adjusted(8, 4, -8, -4)
            title = p.fontMetrics().elidedText(step_id, Qt.TextElideMode.ElideMiddle, int(inner.width()))
            p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, title)
            p.setFont(small)
            what = ("start · " if start else "") + step.message.kind + (" · end" if end else "")
            count = self.entered.get(step_id)
            if count is not None:
                what += f" · {count:,} entered"
            line = p.fontMetrics().elidedText(what, Qt.TextElideMode.ElideRight, int(inner.width()))
            p.setPen(QColor(theme.paint("axis")))
            p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, line)
        p.end()

    def _edge(self, p: QPainter, e: Edge, color: QColor) -> None:
        a, b = self.boxes.get(e.source), self.boxes.get(e.target)
        if a is None or b is None:
            return
        p.setPen(QPen(color, 1.3, Qt.PenStyle.DashLine if e.fallback else Qt.PenStyle.SolidLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath()
        if b.top() > a.bottom():  # downwards
            start, end = QPointF(a.center().x(), a.bottom()), QPointF(b.center().x(), b.top())
            mid = (start.y() + end.y()) / 2
            path.moveTo(start)
            path.cubicTo(QPointF(start.x(), mid), QPointF(end.x(), mid), end)
            tip, direction = end, QPointF(0, 1)
        elif abs(b.top() - a.top()) < 1:  # same row: straight across, side to side
            forward = b.left() >= a.right()
            start = QPointF(a.right() if forward else a.left(), a.center().y())
            end = QPointF(b.left() if forward else b.right(), b.center().y())
            path.moveTo(start)
            path.lineTo(end)
            tip, direction = end, QPointF(1 if forward else -1, 0)
        else:  # back up: along the right edge
            x = self.width() - MARGIN - 6
            start, end = QPointF(a.right(), a.center().y()), QPointF(b.right(), b.center().y() - 8)
            path.moveTo(start)
            path.cubicTo(QPointF(x, start.y()), QPointF(x, end.y()), end)
            tip, direction = end, QPointF(-1, 0)
        p.drawPath(path)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        left = QPointF(-direction.y(), direction.x())
        back = QPointF(tip.x() - direction.x() * 7, tip.y() - direction.y() * 7)
        p.drawPolygon(QPolygonF([tip, back + left * 4, back - left * 4]))
