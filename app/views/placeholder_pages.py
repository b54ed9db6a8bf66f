"""Flows: its own issue builds it. Until then the page says
what it will hold and shows a few live figures from the database (never made-up data)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.session import ConsoleSession, live_counts
from app.views.page import Page, card
from app.workers import Jobs, Poller

# (key in live_counts, label)
Tile = tuple[str, str]


class PlaceholderPage(Page):
    def __init__(
        self,
        title: str,
        subtitle: str,
        coming: list[str],
        tiles: list[Tile],
        *,
        session: ConsoleSession,
        jobs: Jobs,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, subtitle, parent)
        self.session = session
        grid = QGridLayout()
        grid.setSpacing(12)
        self.values: dict[str, QLabel] = {}
        for i, (key, label) in enumerate(tiles):
            tile = card()
            box = QVBoxLayout(tile)
            box.setContentsMargins(16, 12, 16, 12)
            value = QLabel("…")
            value.setObjectName("BigNumber")
            name = QLabel(label)
            name.setObjectName("KpiLabel")
            box.addWidget(value)
            box.addWidget(name)
            grid.addWidget(tile, 0, i)
            self.values[key] = value
        self.body.addLayout(grid)
        plan = card()
        plan_box = QVBoxLayout(plan)
        plan_box.setContentsMargins(18, 14, 18, 16)
        heading = QLabel("Coming to this page")
        heading.setObjectName("SectionTitle")
        plan_box.addWidget(heading)
        for line in coming:
            item = QLabel(f"•  {line}")
            item.setWordWrap(True)
            plan_box.addWidget(item)
        self.body.addWidget(plan)
        self.note = QLabel("Figures are live counts from this profile's database.")
        self.note.setObjectName("Hint")
        self.body.addWidget(self.note)
        self.body.addStretch(1)
        self.poller = Poller(jobs, lambda: live_counts(session.services), self._show,
                             interval_ms=3000, name=f"{title} counts", parent=self,
                             on_error=self._failed)

    def activated(self) -> None:
        self.poller.start()

    def deactivated(self) -> None:
        self.poller.stop()

    def shutdown(self) -> None:
        self.poller.stop()

    def _show(self, counts: dict[str, Any]) -> None:
        for key, label in self.values.items():
            label.setText(f"{int(counts.get(key, 0)):,}")

    def _failed(self, exc: object) -> None:
        from app.errors import one_line

        self.note.setText(f"Counts unavailable: {one_line(exc)}")  # type: ignore[arg-type]


def flows_page(session: ConsoleSession, jobs: Jobs) -> PlaceholderPage:
    return PlaceholderPage(
        "Flows",
        "Multi-step conversations: where each contact is, and how many finish.",
        [
            "Flow definitions with their steps and transitions.",
            "Per-contact state and step history; completion funnels and satisfaction.",
        ],
        [("flows", "Flows defined"), ("flows_active", "Contacts in a flow")],
        session=session, jobs=jobs,
    )


__all__ = ["PlaceholderPage", "flows_page"]
