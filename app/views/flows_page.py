"""Flows: the built-in and imported conversation flows, each one's steps drawn as a graph,
its funnel and the period's satisfaction, the contacts in it (a click opens their
conversation); start one for a test contact; import a YAML definition, checked line by line.

Every figure comes from easymo_core.flows.overview.FlowOverview, in workers: the same
numbers as `easymo flows list|show` and `easymo stats`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.hub import Hub
from app.views.flow_import import FlowImportDialog
from app.views.page import Page, card
from app.widgets.bar_charts import FunnelChart
from app.widgets.column_fit import ColumnFitter
from app.widgets.flow_graph import FlowGraph
from app.widgets.reflow import ReflowGrid
from app.workers import Jobs
from easymo_core.analytics.period import resolve_period
from easymo_core.flows.library import builtin_sources
from easymo_core.flows.overview import FlowOverview

PERIODS = (("Last 24 hours", "24h"), ("Last 7 days", "7d"), ("Last 30 days", "30d"))
FLOW_COLUMNS = ("Flow", "Version", "Kind", "Active", "Completed", "Abandoned")
CONTACT_COLUMNS = ("Contact", "Status", "Current step", "Started", "Last activity")
TEST_CONTACTS = ("+15550100002", "+15550100003", "+15550100004")


def _item(text: str, data: Any = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


def _table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    fm = table.fontMetrics()
    for c in range(1, len(columns)):
        # Wide enough for the heading and for what the column holds ("04 Dec 10:21", "10,000").
        sample = "04 Dec 10:21" if columns[c] in ("Started", "Last activity") else "10,000"
        header.resizeSection(c, max(fm.horizontalAdvance(columns[c]), fm.horizontalAdvance(sample))
                             + 28)
    return table


def _when(value: Any) -> str:
    return value.astimezone().strftime("%d %b %H:%M") if value is not None else ""


class FlowsPage(Page):
    # a contact whose conversation to open (the window shows it on the Messages page)
    open_contact = Signal(str)
    # a refresh reached the screen, for tests
    refreshed = Signal()

    def __init__(self, services: Any, jobs: Jobs, hub: Hub, *, sandbox: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__("Flows", "Multi-step conversations: their steps, who is where, and "
                         "how many finish.", parent)
        self.services, self.jobs, self.hub = services, jobs, hub
        self.sandbox = sandbox
        self.overview = FlowOverview(services.db)
        self.builtins = set(builtin_sources())
        self.selected: str | None = None
        self.summaries: list[Any] = []
        self.contacts: list[Any] = []
        self.figures: Any = None
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        for label, key in PERIODS:
            self.period.addItem(label, key)
        self.period.setCurrentIndex(1)
        self.period.currentIndexChanged.connect(lambda _i: self._load_selected())
        self.header_actions.addWidget(self.period)
        self.start_button = self.add_action("Start for a test contact…", name="StartFlow")
        self.start_button.clicked.connect(self.ask_start)
        self.import_button = self.add_action("Import YAML…", primary=True, name="ImportFlow")
        self.import_button.clicked.connect(self.choose_import)
        self._build()
        hub.messages_changed.connect(lambda _batch: self._maybe_refresh())

    # -- building --------------------------------------------------------------------
    def _build(self) -> None:
        grid = ReflowGrid(lambda width: 2 if width >= 900 else 1,
                          stretches=lambda columns: [2, 3] if columns == 2 else [1])
        grid.setObjectName("PageBody")
        grid.grid.setContentsMargins(0, 0, 12, 0)

        flows_card = card()
        box = QVBoxLayout(flows_card)
        box.setContentsMargins(14, 10, 14, 12)
        title = QLabel("Flows")
        title.setObjectName("SectionTitle")
        box.addWidget(title)
        self.flow_table = _table(FLOW_COLUMNS)
        self.flow_table.setObjectName("FlowTable")
        self.flow_table.setAccessibleName("Flows")
        self.flow_table.setMinimumHeight(180)
        self.flow_table.itemSelectionChanged.connect(self._flow_chosen)
        ColumnFitter(self.flow_table, 0, [2, 5, 4], min_stretch=140)
        box.addWidget(self.flow_table, 1)
        grid.add(flows_card)

        graph_card = card()
        gbox = QVBoxLayout(graph_card)
        gbox.setContentsMargins(14, 10, 14, 12)
        self.graph_title = QLabel("Steps and transitions")
        self.graph_title.setObjectName("SectionTitle")
        gbox.addWidget(self.graph_title)
        legend = QLabel("Green border: the first step · double border: the flow completes there · "
                        "dashed arrow: where a step goes when its retries run out")
        legend.setObjectName("Hint")
        legend.setWordWrap(True)
        gbox.addWidget(legend)
        self.graph = FlowGraph()
        gbox.addWidget(self.graph)
        gbox.addStretch(1)
        grid.add(graph_card)

        self.funnel = FunnelChart()
        self.funnel.setFixedHeight(280)
        self.funnel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        grid.add(self.funnel)

        people = card()
        pbox = QVBoxLayout(people)
        pbox.setContentsMargins(14, 10, 14, 12)
        head = QLabel("Satisfaction and contacts")
        head.setObjectName("SectionTitle")
        pbox.addWidget(head)
        self.satisfaction = QLabel("…")
        self.satisfaction.setObjectName("Muted")
        self.satisfaction.setWordWrap(True)
        pbox.addWidget(self.satisfaction)
        self.contact_table = _table(CONTACT_COLUMNS)
        self.contact_table.setObjectName("FlowContacts")
        self.contact_table.setAccessibleName("Contacts in this flow")
        self.contact_table.setToolTip("Double-click or press Enter to open the conversation")
        self.contact_table.setMinimumHeight(170)
        self.contact_table.activated.connect(lambda index: self.open_row(index.row()))
        self.contact_table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        ColumnFitter(self.contact_table, 0, [3, 1], min_stretch=130)
        pbox.addWidget(self.contact_table, 1)
        grid.add(people)

        scroll = QScrollArea()
        scroll.setObjectName("PageScroll")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(grid)
        self.body.addWidget(scroll, 1)

    # -- loading ---------------------------------------------------------------------
    def activated(self) -> None:
        self.refresh()

    def write_actions(self) -> list[tuple[QWidget, str]]:
        return [(self.import_button, "import flows"), (self.start_button, "start flows")]

    def refresh(self) -> None:
        self.jobs.submit(self.overview.summaries, name="flow list", owner=self,
                         on_result=self._listed, on_error=self._failed)

    def _maybe_refresh(self) -> None:
        if self.isVisible():
            self.refresh()

    def _listed(self, summaries: list[Any]) -> None:
        self.summaries = summaries
        table = self.flow_table
        table.blockSignals(True)
        table.setRowCount(len(summaries))
        for r, s in enumerate(summaries):
            # A built-in flow is stored on its first use; it stays "built-in" to the admin.
            kind = "built-in" if s.origin == "built-in" or s.name in self.builtins else "imported"
            cells = (f"{s.name}" + (f" — {s.title}" if s.title else ""),
                     str(s.version) if s.version is not None else "–", kind,
                     f"{s.active:,}", f"{s.completed:,}", f"{s.abandoned:,}")
            for c, text in enumerate(cells):
                table.setItem(r, c, _item(text, s.name))
        table.blockSignals(False)
        names = [s.name for s in summaries]
        wanted = self.selected if self.selected in names else (names[0] if names else None)
        if wanted is not None:
            table.selectRow(names.index(wanted))
            if wanted == self.selected:
                self._load_selected()
        else:
            self.refreshed.emit()

    def _flow_chosen(self) -> None:
        rows = self.flow_table.selectionModel().selectedRows()
        if not rows:
            return
        item = self.flow_table.item(rows[0].row(), 0)
        if item is None:
            return
        self.selected = str(item.data(Qt.ItemDataRole.UserRole))
        self.graph_title.setText(f"Steps and transitions · {self.selected}")
        self._load_selected()

    def _load_selected(self) -> None:
        name = self.selected
        if name is None:
            return
        period = resolve_period(self.period.currentData())
        self.jobs.submit(_load_flow, self.overview, name, period, name=f"flow {name}", owner=self,
                         on_result=self._loaded, on_error=self._failed)

    def _loaded(self, loaded: tuple[Any, Any, list[Any]]) -> None:
        detail, figures, contacts = loaded
        if detail.name != self.selected:
            return  # an answer for a flow no longer chosen
        self.figures, self.contacts = figures, contacts
        self.graph.set_flow(detail.definition)
        self.graph.set_counts({s.step: s.entered for s in figures.funnel.steps})
        self.funnel.update_data([figures.funnel] if figures.funnel.started else [])
        self.funnel.set_scope(self.period.currentText().lower())
        sat = figures.satisfaction
        if sat.ratings:
            spread = " · ".join(f"{k}★ {v:,}" for k, v in sorted(sat.distribution.items(), reverse=True))
            self.satisfaction.setText(f"Satisfaction, all flows, {self.period.currentText().lower()}: "
                                      f"{sat.average:.1f} / 5 from {sat.ratings:,} ratings ({spread})")
        else:
            self.satisfaction.setText("Satisfaction: no rating in this period.")
        table = self.contact_table
        table.setRowCount(len(contacts))
        for r, c in enumerate(contacts):
            cells = (c.contact, c.status, c.step or "–", _when(c.started_at), _when(c.last_activity))
            for col, text in enumerate(cells):
                table.setItem(r, col, _item(text, c.contact))
        self.refreshed.emit()

    def _failed(self, exc: object) -> None:
        from app.errors import one_line

        self.satisfaction.setText(f"Could not load the flows: {one_line(exc)}")  # type: ignore[arg-type]

    # -- actions ---------------------------------------------------------------------
    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.contacts):
            self.open_contact.emit(self.contacts[row].contact)

    def ask_start(self) -> None:
        if self.selected is None:
            return
        to, ok = QInputDialog.getItem(
            self, f"Start {self.selected}", "Contact (E.164; the sandbox's simulated users are listed)",
            list(TEST_CONTACTS) if self.sandbox else [], 0, True)
        if ok and to.strip():
            self.start_for(to.strip())

    def start_for(self, to: str) -> None:
        name = self.selected
        if name is None:
            return
        self.start_button.setEnabled(False)
        self.jobs.submit(self.acting("start flows", self.services.flows.start), name, to,
                         name=f"start {name}", owner=self,
                         on_result=self._started, on_error=self._start_failed,
                         on_done=lambda: self.start_button.setEnabled(True))

    def _started(self, started: Any) -> None:
        if started.status == "abandoned":
            error = getattr(started.outcome, "error", None) or "the first message was not sent"
            self.hub.warning(f"{started.flow} not started", str(error))
        else:
            self.hub.success(f"{started.flow} started", f"step {started.step}")
        self.refresh()

    def _start_failed(self, exc: object) -> None:
        self.hub.error("The flow did not start", exc)  # type: ignore[arg-type]

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a flow definition", str(Path.home()),
                                              "Flow definitions (*.yaml *.yml *.json)")
        if path:
            self.open_import(Path(path))

    def open_import(self, path: Path) -> FlowImportDialog | None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.hub.error(f"Cannot read {path.name}", exc)
            return None
        dialog = FlowImportDialog(self.overview, self.jobs, text, source=path.name, parent=self)
        dialog.imported.connect(self._imported)
        dialog.open()
        return dialog

    def _imported(self, name: str, version: int, action: str) -> None:
        self.selected = name
        self.hub.success(f"{name} {action}", f"version {version}")
        self.refresh()


def _load_flow(overview: FlowOverview, name: str, period: Any) -> tuple[Any, Any, list[Any]]:
    """Worker: the definition, the period's figures and the contacts of one flow."""
    return overview.detail(name), overview.figures(name, period), overview.contacts(name)
