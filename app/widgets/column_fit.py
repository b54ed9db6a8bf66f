"""Keep a table as wide as its view: hide the least needed columns rather than scroll sideways.

A laptop-sized window leaves a table a few hundred pixels; its stretching column (a message's
text, a template's name) would be squeezed to "Thank…" and the rest pushed out of sight.
Columns named in ``optional`` are hidden, in that order, while the others would leave the
stretching column less than ``min_stretch`` pixels, and shown again when there is room.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QTableView


class ColumnFitter(QObject):
    def __init__(self, table: QTableView, stretch: int, optional: list[int], *,
                 min_stretch: int = 160) -> None:
        super().__init__(table)
        self.table, self.stretch, self.optional = table, stretch, optional
        self.min_stretch = min_stretch
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        header = self.table.horizontalHeader()
        available = self.table.viewport().width()
        fixed = {c: header.sectionSize(c) for c in range(header.count())
                 if c != self.stretch}
        # Widths are kept while hidden (sectionSize of a hidden section is 0, so remember).
        for c in fixed:
            if header.isSectionHidden(c):
                fixed[c] = int(header.property(f"w{c}") or 0)
            else:
                header.setProperty(f"w{c}", fixed[c])
        hidden: set[int] = set()
        used = sum(fixed.values())
        for c in self.optional:
            if available - used >= self.min_stretch:
                break
            hidden.add(c)
            used -= fixed[c]
        for c in self.optional:
            if header.isSectionHidden(c) != (c in hidden):
                header.setSectionHidden(c, c in hidden)
                if c not in hidden and fixed[c]:
                    header.resizeSection(c, fixed[c])
