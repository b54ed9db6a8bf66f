"""A grid that puts its widgets in as many columns as its width allows.

Tiles and chart cards sit in one row on a wide monitor and in two (or one column) on a
laptop, instead of being squeezed until their figures are cut, or pushing the page sideways.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QWidget


class ReflowGrid(QWidget):
    def __init__(self, columns_for: Callable[[int], int], *, spacing: int = 12,
                 stretches: Callable[[int], list[int]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns_for = columns_for
        self.stretches = stretches
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(spacing)
        self.items: list[tuple[QWidget, bool]] = []
        self.columns = 0
        # The grid's width comes from the page, never from its content's.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def add(self, widget: QWidget, *, full_row: bool = False) -> None:
        """Add ``widget``; ``full_row`` gives it a row of its own, across all columns."""
        self.items.append((widget, full_row))
        self._lay(self.columns or max(1, self.columns_for(max(self.width(), 1))))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        columns = max(1, self.columns_for(event.size().width()))
        if columns != self.columns:
            self._lay(columns)

    def _lay(self, columns: int) -> None:
        for widget, _full in self.items:
            self.grid.removeWidget(widget)
        for i in range(max(self.columns, columns) + 1):
            self.grid.setColumnStretch(i, 0)
        self.columns = columns
        row = col = 0
        for widget, full in self.items:
            if full and col:
                row, col = row + 1, 0
            span = columns if full else 1
            # Top-aligned: a short card beside a tall one stays under the row's top edge.
            self.grid.addWidget(widget, row, col, 1, span, Qt.AlignmentFlag.AlignTop)
            col += span
            if col >= columns:
                row, col = row + 1, 0
        # Spare height goes below the last row, not between rows.
        for r in range(self.grid.rowCount() + 1):
            self.grid.setRowStretch(r, 0)
        self.grid.setRowStretch(row + (1 if col else 0), 1)
        weights = self.stretches(columns) if self.stretches else [1] * columns
        for i, weight in enumerate(weights[:columns]):
            self.grid.setColumnStretch(i, weight)
