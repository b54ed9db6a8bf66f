"""Messages: the log of every message in and out, filters, details, conversations, export.

The table is a lazy model (app/models/log_model.py): pages of rows come from workers as
the admin scrolls, the change feed puts new rows on top, and a filter change costs one
page query whatever the size of the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QWidget,
)

from app import shortcuts
from app.hub import Hub
from app.models.log_model import BODY, COLUMNS, STATUS, LogModel
from app.number_label import number_label
from app.views.conversation_view import ConversationView
from app.views.message_detail import MessageDetailPane, load_detail
from app.views.page import Page, card
from app.widgets.badge import StatusBadgeDelegate
from app.widgets.choice_menu import refill
from app.widgets.column_fit import ColumnFitter
from app.workers import Jobs
from easymo_core.messaging.log_queries import LogFilter, LogQueries
from easymo_core.storage.models import MESSAGE_STATUSES

if TYPE_CHECKING:
    from easymo_core.services import Services

PERIODS = (("All time", None), ("Last 24 hours", 1.0), ("Last 7 days", 7.0), ("Last 30 days", 30.0))
TYPES = ("text", "template", "interactive", "reply", "image", "document", "audio", "video",
         "location", "sticker")
WIDE_FILTERS = 1400  # the page's width from which the searches and drop-downs share a row
SEARCH_HELP = (
    "Searches message text anywhere, ignoring case. Text search reads every message in the "
    "period and filters chosen (no index can serve a match in the middle of a text), so on a "
    "large log narrow the period first. A search starting with “wamid.” finds a message id by "
    "its beginning, through an index."
)


class MessagesPage(Page):
    def __init__(self, services: Services, jobs: Jobs, hub: Hub, *,
                 queries: LogQueries | None = None, number_names: dict[str, str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Messages", "Every message in and out, with its full status history.",
                         parent)
        self.services, self.jobs, self.hub = services, jobs, hub
        self.number_names = number_names or {}  # profile name by phone-number id
        self.queries = queries or LogQueries(services.db)
        self.export_button = self.add_action("Export CSV…", name="ExportButton")
        self.export_button.clicked.connect(self.choose_export)
        self.refresh_button = self.add_action("Reload", name="ReloadButton")
        self.refresh_button.clicked.connect(lambda: self.apply_filters())
        self._build_filters()
        self._build_export_bar()
        self.model = LogModel(self.queries, jobs, parent=self)
        self.model.loaded.connect(self._loaded)
        self.model.live_rows.connect(self._live_rows)
        self.model.failed.connect(lambda exc: self.count_label.setText("Could not load the log"))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        table_card = card()
        table_box = QHBoxLayout(table_card)
        table_box.setContentsMargins(0, 0, 0, 0)
        self.table = QTableView()
        # Tab leaves the table for the next control; arrows move between cells.
        self.table.setTabKeyNavigation(False)
        self.table.setObjectName("MessagesTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(34)
        # Fixed widths: sizing columns to contents would read every lazily loaded row.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        fm = self.table.fontMetrics()
        samples = ("00:00:00··", "Out", "+000000000000", "interactive", "Delivered·", "", "000000")
        for col, sample in enumerate(samples):
            if sample:
                header.resizeSection(col, fm.horizontalAdvance(sample) + 22)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(BODY, QHeaderView.ResizeMode.Stretch)
        # Narrow: type, then direction, then error give way; the message text stays.
        self.column_fit = ColumnFitter(self.table, BODY, [3, 1, 6])
        self.table.setItemDelegateForColumn(STATUS, StatusBadgeDelegate(self.table))
        self.table.selectionModel().selectionChanged.connect(self._selected)
        table_box.addWidget(self.table)
        splitter.addWidget(table_card)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("DetailTabs")
        self.detail = MessageDetailPane()
        self.conversation = ConversationView(load_media=self._load_media)
        self.conversation.clear()
        self.tabs.addTab(self.detail, "Message")
        self.tabs.addTab(self.conversation, "Conversation")
        self.tabs.currentChanged.connect(lambda _i: self._load_conversation())
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([790, 440])
        self.body.addWidget(splitter, 1)
        self.selected_id: int | None = None
        self._open_conversation_next = False
        self._conversation_for: tuple[str, int] | None = None
        self._export_job: Any | None = None
        self.last_export: Any | None = None
        self.export_chunk = 2000  # rows per query and per progress step
        hub.messages_changed.connect(self._feed)
        self._started = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        wide = event.size().width() >= WIDE_FILTERS
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.filter_rows.direction() != direction:
            self.filter_rows.setDirection(direction)

    # -- filters ---------------------------------------------------------------------
    def _build_filters(self) -> None:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search message text or message id (wamid)…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip(f"{SEARCH_HELP}\n\nShortcut: {shortcuts.native('Ctrl+F')}")
        self.search.setAccessibleName("Search messages")
        shortcuts.bind(self, shortcuts.FIND, lambda: shortcuts.focus_search(self.search))
        self.search.setMinimumWidth(200)
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("Phone")
        self.phone.setClearButtonEnabled(True)
        self.phone.setToolTip("A full number finds that contact; fewer digits find numbers "
                              "starting with them.")
        self.phone.setMaximumWidth(150)
        self.status = self._combo("All statuses", [(s.capitalize(), s) for s in MESSAGE_STATUSES])
        self.direction = self._combo("In and out", [("Outbound", "out"), ("Inbound", "in")])
        self.type = self._combo("All types", [(t.capitalize(), t) for t in TYPES])
        self.template = self._combo("All templates", [])
        self.error = self._combo("All errors", [])
        # Several profiles may share one database: which of their numbers sent or received.
        self.number = self._combo("All numbers", [])
        self.number.setToolTip("The business phone number (phone-number id) of the messages")
        self.number.setVisible(False)
        self.period = QComboBox()
        for label, days in PERIODS:
            self.period.addItem(label, days)
        self.period.currentIndexChanged.connect(lambda _i: self.apply_filters())
        for w in (self.search, self.phone):
            row.addWidget(w, 2 if w is self.search else 1)
        combos = QHBoxLayout()
        combos.setSpacing(8)
        for combo in (self.status, self.direction, self.type, self.template, self.error, self.number,
                      self.period):
            combos.addWidget(combo, 1)
        # One row on a wide window; the searches above the drop-downs on a narrow one, so
        # the search field keeps room for what is typed.
        self.filter_rows = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.filter_rows.setSpacing(8)
        self.filter_rows.addLayout(row, 3)
        self.filter_rows.addLayout(combos, 4)
        self.body.addLayout(self.filter_rows)
        info = QHBoxLayout()
        self.count_label = QLabel("…")
        self.count_label.setObjectName("Muted")
        self.live_label = QLabel("")
        self.live_label.setObjectName("Muted")
        info.addWidget(self.count_label)
        info.addStretch(1)
        info.addWidget(self.live_label)
        self.body.addLayout(info)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.phone.textChanged.connect(lambda _t: self._debounce.start())

    def _combo(self, everything: str, items: list[tuple[str, Any]]) -> QComboBox:
        combo = QComboBox()
        combo.addItem(everything, None)
        for label, value in items:
            combo.addItem(label, value)
        combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        return combo

    def current_filter(self, now: datetime | None = None) -> LogFilter:
        days = self.period.currentData()
        since = (now or datetime.now(UTC)) - timedelta(days=days) if days else None
        code = self.error.currentData()
        return LogFilter(
            status=self.status.currentData(), direction=self.direction.currentData(),
            type=self.type.currentData(), template=self.template.currentData(),
            phone=self.phone.text().strip() or None,
            error_code=int(code) if code is not None else None, since=since,
            search=self.search.text().strip() or None, number=self.number.currentData(),
        )

    def set_filter(self, **values: Any) -> None:
        """Set filter widgets by name (status="failed", search="…", period=7.0) and apply."""
        widgets = {"status": self.status, "direction": self.direction, "type": self.type,
                   "template": self.template, "error_code": self.error, "period": self.period,
                   "number": self.number}
        for key, value in values.items():
            if key in ("search", "phone"):
                edit = self.search if key == "search" else self.phone
                edit.blockSignals(True)
                edit.setText(value or "")
                edit.blockSignals(False)
                continue
            combo = widgets[key]
            combo.blockSignals(True)
            index = combo.findData(value)
            if index < 0 and value is not None:
                combo.addItem(str(value), value)
                index = combo.count() - 1
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self._show_number_filter()
        self.apply_filters()

    def apply_filters(self) -> None:
        self._debounce.stop()
        f = self.current_filter()
        self.count_label.setText("Loading…")
        self.live_label.setText("")
        self.model.set_filter(f)

        def counted(result: tuple[int, bool]) -> None:
            self._counted(f, result)

        self.jobs.submit(self.queries.count, f, name="messages count", owner=self, quiet=True,
                         on_result=counted, on_error=lambda _e: None)

    def _counted(self, f: LogFilter, result: tuple[int, bool]) -> None:
        if f != self.model.filter:
            return
        n, capped = result
        self.count_label.setText(f"{n:,}{'+' if capped else ''} message{'s' if n != 1 else ''}"
                                 + ("" if f.is_empty else " match the filters"))

    def _fill_choices(self, choices: dict[str, list[Any]]) -> None:
        for combo, values, fmt in ((self.template, choices.get("templates", []), str),
                                   (self.error, choices.get("error_codes", []), lambda c: f"Error {c}"),
                                   (self.number, choices.get("numbers", []),
                                    lambda n: number_label(n, self.number_names))):
            refill(combo, values, fmt)
        self._show_number_filter()

    def _show_number_filter(self) -> None:
        # One number (the usual single-profile database) needs no menu to choose it.
        self.number.setVisible(self.number.count() > 2 or self.number.currentData() is not None)

    def open_contact(self, wa_id: str) -> None:
        """The conversation with ``wa_id`` (a click on the Flows page's contacts)."""
        self._open_conversation_next = True
        self.selected_id = None
        self.set_filter(phone=wa_id, search="", status=None, direction=None, type=None,
                        template=None, error_code=None)

    def _loaded(self, rows: int, exhausted: bool) -> None:
        if rows and (self.selected_id is None or self._open_conversation_next):
            self.table.selectRow(0)
            if self._open_conversation_next:
                self._open_conversation_next = False
                self.open_conversation()
        elif not rows:
            self.detail.clear("No message matches these filters." if not self.model.filter.is_empty
                              else "No message yet: send one from Compose.")
            self.conversation.clear()

    # -- live ------------------------------------------------------------------------
    def _feed(self, batch: Any) -> None:
        self.model.apply_changes(batch)
        if self.selected_id is not None and self.selected_id in batch.message_ids():
            self._load_detail(self.selected_id)

    def _live_rows(self, n: int) -> None:
        self.live_label.setText(f"{n} new just now")

    # -- selection -------------------------------------------------------------------
    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        r = self.model.log_row(rows[0].row())
        if r.id == self.selected_id:
            return
        self.selected_id = r.id
        self._load_detail(r.id)
        self._load_conversation()

    def select_message(self, message_id: int) -> bool:
        row = self.model.row_of(message_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        return True

    def _load_detail(self, message_id: int) -> None:
        self.jobs.submit(load_detail, self.services, message_id, name="message detail", owner=self,
                         quiet=True,
                         on_result=lambda loaded: self._show_detail(message_id, loaded),
                         on_error=lambda exc: self.detail.clear(f"Could not load #{message_id}: {exc}"))

    def _show_detail(self, message_id: int, loaded: Any) -> None:
        if message_id == self.selected_id:
            self.detail.show_loaded(loaded)

    def _load_media(self, media: Any, on_result: Any, on_error: Any) -> None:
        self.jobs.submit(self.services.media.fetch, media, name="media", owner=self, quiet=True,
                         on_result=on_result, on_error=on_error)

    def _load_conversation(self) -> None:
        if self.tabs.currentWidget() is not self.conversation or self.selected_id is None:
            return
        row = self.model.row_of(self.selected_id)
        if row < 0:
            return
        contact = self.model.log_row(row).contact_wa_id
        key = (contact, self.selected_id)
        if key == self._conversation_for:
            return
        self._conversation_for = key

        def show(conv: Any) -> None:
            self._show_conversation(key, conv)

        self.jobs.submit(self.queries.conversation, contact, self.selected_id,
                         name="conversation", owner=self, quiet=True, on_result=show,
                         on_error=lambda exc: self.conversation.clear(f"Could not load: {exc}"))

    def _show_conversation(self, key: tuple[str, int], conv: Any) -> None:
        if key == self._conversation_for:
            self.conversation.show_conversation(conv)

    def open_conversation(self) -> None:
        self.tabs.setCurrentWidget(self.conversation)

    # -- export ----------------------------------------------------------------------
    def _build_export_bar(self) -> None:
        self.export_bar = QWidget()
        bar = QHBoxLayout(self.export_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.export_label = QLabel("")
        self.export_progress = QProgressBar()
        self.export_progress.setTextVisible(True)
        self.export_cancel = QPushButton("Cancel export")
        self.export_cancel.clicked.connect(self.cancel_export)
        bar.addWidget(self.export_label)
        bar.addWidget(self.export_progress, 1)
        bar.addWidget(self.export_cancel)
        self.export_bar.hide()
        self.body.addWidget(self.export_bar)

    def choose_export(self) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        path, _ = QFileDialog.getSaveFileName(self, "Export messages as CSV",
                                              str(Path.home() / f"easymo-messages-{stamp}.csv"),
                                              "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the rows passing the current filters to ``path`` in a worker."""
        if self._export_job is not None:
            return
        f = self.model.filter
        self.export_label.setText(f"Exporting to {path.name}…")
        self.export_progress.setRange(0, 0)
        self.export_bar.show()
        self.export_button.setEnabled(False)
        self._export_job = self.jobs.submit(
            self.queries.export_csv, f, path, chunk=self.export_chunk, name="CSV export", owner=self,
            with_cancel=True,
            on_progress=self._export_progress, on_result=self._exported,
            on_error=self._export_failed, on_done=self._export_done)

    def cancel_export(self) -> None:
        if self._export_job is not None:
            self._export_job.cancelled.set()
            self.export_label.setText("Cancelling…")

    @property
    def exporting(self) -> bool:
        return self._export_job is not None

    def _export_progress(self, value: Any) -> None:
        done, total = value
        if total:
            self.export_progress.setRange(0, int(total))
            self.export_progress.setValue(int(done))
            self.export_progress.setFormat(f"{done:,} / {total:,} rows")

    def _exported(self, result: Any) -> None:
        self.last_export = result
        if result.cancelled:
            self.hub.info("Export cancelled", "No file was written.")
        else:
            self.hub.success(f"Exported {result.rows:,} messages", str(result.path))

    def _export_failed(self, exc: object) -> None:
        self.hub.error("Export failed", exc)  # type: ignore[arg-type]

    def _export_done(self) -> None:
        self._export_job = None
        self.export_bar.hide()
        self.export_button.setEnabled(True)

    # -- page life -------------------------------------------------------------------
    def activated(self) -> None:
        if not self._started:
            self._started = True
            self.apply_filters()
        self.jobs.submit(self.queries.choices, name="log filters", owner=self, quiet=True,
                         on_result=self._fill_choices, on_error=lambda _e: None)

    def shutdown(self) -> None:
        self._debounce.stop()
        self.cancel_export()


__all__ = ["COLUMNS", "MessagesPage"]
