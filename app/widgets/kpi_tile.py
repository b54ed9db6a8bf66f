"""One KPI tile: the figure, its name, and the change against the previous period."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


class KpiTile(QFrame):
    """``higher_is_better`` colours the change: a rising failure rate is bad news."""

    def __init__(self, key: str, label: str, *, higher_is_better: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.higher_is_better = higher_is_better
        self.setObjectName("Card")
        self.setProperty("tile", True)
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 10, 14, 10)
        box.setSpacing(1)
        self.name = QLabel(label)
        self.scope: str | None = None
        self.name.setObjectName("KpiLabel")
        self.value = QLabel("…")
        self.value.setObjectName("KpiValue")
        self.delta = QLabel(" ")
        self.delta.setObjectName("KpiDelta")
        box.addWidget(self.name)
        box.addWidget(self.value)
        box.addWidget(self.delta)

    def set_scope(self, scope: str | None) -> None:
        """Say what a filter leaves out ("all numbers") on the change line, which has room
        for it in a narrow tile; None: nothing. Shown from the next set_figure."""
        self.scope = scope

    def set_figure(self, value: str, change: float | None, tooltip: str = "", *,
                   points: bool = False) -> None:
        """``change`` is relative (0.1 = +10 %), or with ``points`` a difference of two rates
        (0.012 = +1.2 percentage points, which is how people compare rates); None shows that
        there is nothing to compare with."""
        self.value.setText(value)
        self.setToolTip(tooltip)
        if change is None:
            # Nothing earlier to compare with (a new profile, an empty previous period).
            text, trend = ("no earlier figures" if not self.scope else "–"), "flat"
        else:
            arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
            unit = " pt" if points else "%"
            text = f"{arrow} {abs(change) * 100:.1f}{unit}" + (" vs previous" if not self.scope else "")
            good = (change > 0) == self.higher_is_better
            trend = "flat" if abs(change) < 0.0005 else "good" if good else "bad"
        self.delta.setText(f"{text} · {self.scope}" if self.scope else text)
        if self.delta.property("trend") != trend:
            self.delta.setProperty("trend", trend)
            # Dynamic properties only restyle after an unpolish/polish (a live update
            # skips it when the colour stays).
            self.delta.style().unpolish(self.delta)
            self.delta.style().polish(self.delta)
