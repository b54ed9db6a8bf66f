"""The templates manager: the synced list with search and filters, a preview of the selected
template, sync on demand, and the editor for new templates, languages and duplicates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import shortcuts
from app.hub import Hub
from app.models.preview import template_preview
from app.models.templates_model import (
    QUALITY,
    RECORD_ROLE,
    STATUS,
    TemplatesFilter,
    TemplatesModel,
    fmt_when,
)
from app.resources import icon
from app.views.page import Page, card
from app.views.template_editor import TemplateEditor
from app.watchers import publish_sync
from app.widgets.badge import StatusBadge, StatusBadgeDelegate
from app.widgets.banner import Banner
from app.widgets.bubble import MessagePreview
from app.widgets.column_fit import ColumnFitter
from app.widgets.spinner import Spinner
from app.workers import Jobs

if TYPE_CHECKING:
    from easymo_core.services import Services

ALL = ""


class TemplatesPage(Page):
    def __init__(self, services: Services, jobs: Jobs, hub: Hub, *, sandbox: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__("Templates", "Loading templates…", parent)
        self.services, self.jobs, self.hub = services, jobs, hub
        self.sandbox = sandbox
        self.model = TemplatesModel(self)
        self.proxy = TemplatesFilter(self)
        self.proxy.setSourceModel(self.model)
        self.editor: TemplateEditor | None = None
        self._selected: tuple[str, str] | None = None
        self._syncing = False

        self.sync_spinner = Spinner(self, size=16)
        self.header_actions.addWidget(self.sync_spinner)
        self.sync_button = self.add_action("Sync with Meta", name="SyncTemplates")
        self.sync_button.setIcon(icon("sync", "#3b4a54", 16))
        self.sync_button.clicked.connect(self.sync)
        self.new_button = self.add_action("New template", primary=True, name="NewTemplate")
        self.new_button.setIcon(icon("plus", "#ffffff", 16))
        self.new_button.clicked.connect(lambda: self.open_editor("new"))

        self.banner = Banner("error", "", action="Retry", closable=True)
        self.banner.action_clicked.connect(self.sync)
        self.banner.hide()
        self.body.addWidget(self.banner)
        self._build_filters()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(self._build_table())
        split.addWidget(self._build_details())
        split.setSizes([820, 380])
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.body.addWidget(split, 1)

        hub.template_synced.connect(self._synced_elsewhere)
        hub.templates_changed.connect(self.reload)
        self.reload()

    # -- building --------------------------------------------------------------------
    def _build_filters(self) -> None:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name or text")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search", "#8696a0", 16), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setAccessibleName("Search templates")
        self.search.setToolTip(shortcuts.with_key("Search by name or text", shortcuts.FIND))
        shortcuts.bind(self, shortcuts.FIND, lambda: shortcuts.focus_search(self.search))
        self.search.textChanged.connect(self.proxy.set_search)
        row.addWidget(self.search, 2)
        self.status_filter = self._filter_combo("All statuses", self.proxy.set_status)
        self.category_filter = self._filter_combo("All categories", self.proxy.set_category)
        self.language_filter = self._filter_combo("All languages", self.proxy.set_language)
        for combo in (self.status_filter, self.category_filter, self.language_filter):
            row.addWidget(combo, 1)
        self.count_label = QLabel("")
        self.count_label.setObjectName("Muted")
        row.addWidget(self.count_label)
        self.body.addLayout(row)

    def _filter_combo(self, everything: str, apply: Any) -> QComboBox:
        combo = QComboBox()
        combo.addItem(everything, ALL)
        combo.setAccessibleName(everything)
        def changed(_index: int) -> None:
            apply(combo.currentData())
            self._count()

        combo.currentIndexChanged.connect(changed)
        return combo

    def _build_table(self) -> QWidget:
        self.table = QTableView()
        # Tab leaves the table for the next control; arrows move between cells.
        self.table.setTabKeyNavigation(False)
        self.table.setObjectName("TemplatesTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(38)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumSectionSize(60)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 98), (2, 118), (3, 112), (4, 96), (5, 118)):
            header.resizeSection(column, width)
        header.setHighlightSections(False)
        # Narrow: the update time, then the category and quality give way; the name stays.
        self.column_fit = ColumnFitter(self.table, 0, [5, 2, 4], min_stretch=150)
        self.badges = StatusBadgeDelegate(self.table)
        self.table.setItemDelegateForColumn(STATUS, self.badges)
        self.table.setItemDelegateForColumn(QUALITY, self.badges)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        # A viewer's double-click opens nothing: its duplicate button is locked (set_access).
        self.table.doubleClicked.connect(
            lambda _i: self.open_editor("duplicate") if self.duplicate_button.isEnabled() else None)
        self.empty = QLabel("No templates match. Clear the filters, or sync with Meta.")
        self.empty.setObjectName("Muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.table, 1)
        box.addWidget(self.empty)
        return holder

    def _build_details(self) -> QWidget:
        panel = card()
        box = QVBoxLayout(panel)
        box.setContentsMargins(16, 14, 16, 14)
        box.setSpacing(8)
        head = QHBoxLayout()
        self.detail_name = QLabel("Select a template")
        self.detail_name.setObjectName("SectionTitle")
        self.detail_badge = StatusBadge("")
        head.addWidget(self.detail_name, 1)
        head.addWidget(self.detail_badge)
        box.addLayout(head)
        self.detail_meta = QLabel("")
        self.detail_meta.setObjectName("Hint")
        self.detail_meta.setWordWrap(True)
        box.addWidget(self.detail_meta)
        self.preview = MessagePreview()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.preview)
        box.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        self.language_button = QPushButton("Add language")
        self.language_button.setObjectName("AddLanguage")
        self.language_button.clicked.connect(lambda: self.open_editor("language"))
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.setObjectName("DuplicateTemplate")
        self.duplicate_button.clicked.connect(lambda: self.open_editor("duplicate"))
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("DeleteTemplate")
        self.delete_button.setProperty("danger", True)
        self.delete_button.clicked.connect(self.delete_selected)
        for b in (self.language_button, self.duplicate_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self._show_details(None)
        return panel

    # -- data ------------------------------------------------------------------------
    def reload(self) -> None:
        self.jobs.submit(self.services.templates.list, name="load templates", owner=self,
                         on_result=self._loaded, on_error=self._load_failed, quiet=True)

    def _loaded(self, records: list[Any]) -> None:
        if not self.model.set_records(records) and self.model.rowCount():
            return  # nothing changed: no repaint
        for combo, values in (
            (self.status_filter, self.model.statuses()),
            (self.category_filter, self.model.categories()),
            (self.language_filter, self.model.languages()),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for value in values:
                combo.addItem(value.capitalize() if combo is not self.language_filter else value,
                              value)
            index = combo.findData(current)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self._count()
        latest = max((r.updated_at for r in records if r.updated_at), default=None)
        self.subtitle.setText(
            f"{len(records)} templates in this WhatsApp Business Account · "
            f"last update {fmt_when(latest)}"
        )
        self._reselect()

    def _load_failed(self, exc: object) -> None:
        from app.errors import one_line

        self.banner.set_text(f"Templates could not be loaded: {one_line(exc)}")  # type: ignore[arg-type]
        self.banner.show()

    def _count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{shown} of {total}" if shown != total else f"{total} shown")
        self.empty.setVisible(shown == 0 and not self._syncing)

    def sync(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        self.banner.hide()
        self.sync_spinner.start()
        self.sync_button.setEnabled(False)
        self.sync_button.setText("Syncing…")
        self.jobs.submit(self.acting("sync templates", self.services.templates.sync),
                         name="sync templates", owner=self,
                         on_progress=self._progress, on_result=self._synced,
                         on_error=self._sync_failed, on_done=self._sync_done)

    def _progress(self, value: Any) -> None:
        done, total = value if isinstance(value, tuple) else (value, None)
        self.sync_button.setText(f"Syncing… {done}" + (f"/{total}" if total else ""))

    def _synced(self, result: Any) -> None:
        publish_sync(self.hub, result)
        changed = len(result.changes)
        self.hub.info(
            f"Synced {result.total} templates",
            f"{changed} change{'s' if changed != 1 else ''}" if changed else "No changes.",
        )

    def _sync_failed(self, exc: object) -> None:
        from app.errors import one_line

        self.banner.set_text(f"Sync failed: {one_line(exc)}")  # type: ignore[arg-type]
        self.banner.show()

    def _sync_done(self) -> None:
        self._syncing = False
        self.sync_spinner.stop()
        self.sync_button.setEnabled(True)
        self.sync_button.setText("Sync with Meta")

    def _synced_elsewhere(self, _result: Any) -> None:
        self.reload()

    # -- selection and details -------------------------------------------------------
    def selected_record(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(RECORD_ROLE) if rows else None

    def select(self, name: str, language: str) -> bool:
        row = self.model.row_of(name, language)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _reselect(self) -> None:
        if self._selected and self.select(*self._selected):
            return
        if self.proxy.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._show_details(self.selected_record())

    def _selection_changed(self, _a: QItemSelection, _b: QItemSelection) -> None:
        record = self.selected_record()
        if record is not None:
            self._selected = (record.name, record.language)
        self._show_details(record)

    def _show_details(self, record: Any | None) -> None:
        for b in (self.language_button, self.duplicate_button, self.delete_button):
            b.setEnabled(record is not None)
        if record is None:
            self.detail_name.setText("Select a template")
            self.detail_badge.set_status("")
            self.detail_meta.setText("")
            self.preview.set_message(template_preview_or_placeholder(None))
            return
        self.detail_name.setText(f"{record.name}  ·  {record.language}")
        self.detail_badge.set_status(record.status)
        meta = [record.category.capitalize(), f"quality {record.quality_score or 'unknown'}",
                f"updated {fmt_when(record.updated_at)}"]
        if record.rejected_reason:
            meta.append(f"rejected: {record.rejected_reason}")
        self.detail_meta.setText("  ·  ".join(meta))
        self.preview.set_message(template_preview_or_placeholder(record.definition))

    # -- editor and delete -----------------------------------------------------------
    def write_actions(self) -> list[tuple[QWidget, str]]:
        return [(self.sync_button, "sync templates"), (self.new_button, "submit templates"),
                (self.language_button, "submit templates"), (self.duplicate_button, "submit templates"),
                (self.delete_button, "delete templates")]

    def open_editor(self, mode: str) -> TemplateEditor:
        record = self.selected_record() if mode != "new" else None
        initial = None
        languages: tuple[str, ...] = ()
        if record is not None:
            initial = record.definition
            languages = tuple(
                r.language for r in self.model.records() if r.name == record.name
            )
            if mode == "duplicate":
                from dataclasses import replace

                initial = replace(initial, name=f"{record.name}_copy", id=None, status=None)
                languages = ()
        self.editor = TemplateEditor(
            self.services.templates, self.jobs, self.hub, mode=mode,  # type: ignore[arg-type]
            initial=initial, existing_languages=languages, sandbox=self.sandbox, parent=self,
            upload_sample=self._upload_sample,
        )
        self.editor.submitted.connect(self._editor_submitted)
        self.editor.setModal(True)
        self.editor.show()
        return self.editor

    def _upload_sample(self, path: str, header_format: str) -> str:
        """Runs in a worker: the profile's client uploads a header sample."""
        from easymo_core.templates.sample_upload import upload_sample_file

        return upload_sample_file(path, header_format, self.services.profile.app_id, self.services.client)

    def _editor_submitted(self, record: Any) -> None:
        self._selected = (record.name, record.language)
        self.reload()

    def delete_selected(self, *, confirm: bool = True) -> None:
        record = self.selected_record()
        if record is None or (self.access is not None and not self.access.may_write):
            return
        others = [r for r in self.model.records() if r.name == record.name]
        if confirm:
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("Delete template")
            box.setText(f"Delete {record.name} ({record.language}) at Meta?")
            box.setInformativeText(
                "Messages already sent keep their history. A deleted approved name cannot be "
                "used again for 30 days."
                + (f" The other {len(others) - 1} language(s) stay." if len(others) > 1 else "")
            )
            box.setStandardButtons(QMessageBox.StandardButton.Cancel)
            delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            if box.clickedButton() is not delete:
                return
        self.delete_button.setEnabled(False)
        self.jobs.submit(self.acting("delete templates", self.services.templates.delete),
                         record.name, record.language,
                         name="delete template", owner=self,
                         on_result=lambda _n: self._deleted(record),
                         on_error=self._delete_failed)

    def _deleted(self, record: Any) -> None:
        self._selected = None
        self.hub.success(f"{record.name} ({record.language}) deleted")
        self.hub.templates_changed.emit()

    def _delete_failed(self, exc: object) -> None:
        self.delete_button.setEnabled(True)
        self.hub.error("Delete failed", exc)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        if self.editor is not None:
            self.editor.close()


def template_preview_or_placeholder(defn: Any | None) -> Any:
    from app.models.preview_data import PreviewMessage

    if defn is None:
        return PreviewMessage(placeholder="Select a template to preview it")
    try:
        return template_preview(defn, ticks="read")
    except Exception:
        return PreviewMessage(placeholder="This template cannot be previewed")


