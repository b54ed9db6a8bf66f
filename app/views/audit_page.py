"""Audit: who did what, when. Sends, bulk runs, template submits and deletes, profile,
secret, login and role changes, newest first, read from the append-only audit log.

Entries load in a worker (``easymo_core.audit.load``) whenever the page is shown, the
period changes or Reload is pressed; the text filter works on what is loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QWidget,
)

from app import shortcuts
from app.hub import Hub
from app.models.audit_model import ACTION, COLUMNS, DETAIL, TARGET, AuditModel
from app.views.page import Page, card
from app.widgets.column_fit import ColumnFitter
from app.workers import Jobs
from easymo_core.audit import load
from easymo_core.audit.read import CONSOLE_LIMIT

if TYPE_CHECKING:
    from easymo_core.services import Services

PERIODS = (("Last 24 hours", 1.0), ("Last 7 days", 7.0), ("Last 30 days", 30.0), ("All time", None))


class AuditPage(Page):
    def __init__(self, services: Services, jobs: Jobs, hub: Hub, *, parent: QWidget | None = None) -> None:
        super().__init__("Audit", "Who did what, when: sends, bulk runs, templates, profiles, secrets, "
                         "logins and roles. Entries can be added, never changed.", parent)
        self.services, self.jobs, self.hub = services, jobs, hub
        self.refresh_button = self.add_action("Reload", name="ReloadButton")
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by login, user, profile, action, target or detail…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter audit entries")
        self.search.setToolTip("Shows the entries containing every word typed, ignoring case. "
                               f"Shortcut: {shortcuts.native('Ctrl+F')}")
        shortcuts.bind(self, shortcuts.FIND, lambda: shortcuts.focus_search(self.search))
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        for label, days in PERIODS:
            self.period.addItem(label, days)
        self.period.setCurrentIndex(1)  # 7 days, as `easymo audit`
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        row.addWidget(self.search, 3)
        row.addWidget(self.period, 1)
        self.body.addLayout(row)
        self.count_label = QLabel("…")
        self.count_label.setObjectName("Muted")
        self.body.addWidget(self.count_label)
        self.model = AuditModel(self)
        table_card = card()
        box = QHBoxLayout(table_card)
        box.setContentsMargins(0, 0, 0, 0)
        self.table = QTableView()
        self.table.setObjectName("AuditTable")
        self.table.setTabKeyNavigation(False)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(34)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        fm = self.table.fontMetrics()
        samples = ("04 Dec 14:03 CET··", "ana_admin/ana/production··", "template.submit··",
                   "+000000000000··")
        for col, sample in enumerate(samples):
            header.resizeSection(col, fm.horizontalAdvance(sample) + 22)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(DETAIL, QHeaderView.ResizeMode.Stretch)
        # Narrow: the target, then the action give way before the detail is squeezed.
        self.column_fit = ColumnFitter(self.table, DETAIL, [TARGET, ACTION])
        box.addWidget(self.table)
        self.body.addWidget(table_card, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._filter_text)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self._generation = 0
        self.loading = False

    # -- loading ---------------------------------------------------------------------
    def since(self) -> datetime | None:
        days = self.period.currentData()
        return None if days is None else datetime.now(UTC) - timedelta(days=float(days))

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        self.loading = True
        self.count_label.setText("Loading…")
        job = self.jobs.submit(load, self.services.db, self.since(), name="audit log", owner=self,
                               quiet=True, on_result=lambda entries: self._loaded(generation, entries),
                               on_error=lambda exc: self._failed(generation, exc))
        if job is None:
            self.loading = False

    def _loaded(self, generation: int, entries: list[Any]) -> None:
        if generation != self._generation:
            return  # an answer for a period no longer chosen
        self.loading = False
        self.model.set_entries(entries)
        self._count()

    def _failed(self, generation: int, exc: object) -> None:
        if generation != self._generation:
            return
        from app.errors import describe

        self.loading = False
        message, hint = describe(exc)  # type: ignore[arg-type]
        self.count_label.setText(f"Could not load the audit log: {message}" + (f" — {hint}" if hint else ""))

    def _filter_text(self) -> None:
        self.model.set_text_filter(self.search.text())
        self._count()

    def _count(self) -> None:
        loaded, shown = self.model.loaded, self.model.rowCount()
        period = self.period.currentText().lower()
        if not loaded:
            text = f"No entries ({period})"
        elif shown == loaded:
            text = f"{loaded} entries ({period}), newest first"
        else:
            text = f"{shown} of {loaded} entries match ({period})"
        if loaded >= CONSOLE_LIMIT:
            text += f"; only the newest {CONSOLE_LIMIT} are shown (`easymo audit --since` lists them all)"
        self.count_label.setText(text)

    # -- page life -------------------------------------------------------------------
    def activated(self) -> None:
        self.refresh()

    def shutdown(self) -> None:
        self._debounce.stop()


__all__ = ["COLUMNS", "AuditPage"]
