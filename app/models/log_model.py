"""The messages log as a lazy table model: pages of ~200 rows, fetched in workers.

``canFetchMore``/``fetchMore`` ask the core for the next keyset page (never an OFFSET)
in a worker; the rows arrive on the UI thread and are appended. A filter change drops
what is loaded and any answer still on its way (a generation number tells them apart).
Rows the change feed reports are fetched by id and put on top (new) or updated in place
(a status moved): no reload, the scroll position stays.

Display texts are computed once per row when it arrives, so ``data()`` is a list lookup:
painting a screenful of rows calls little Python while a worker holds the GIL.
"""

from __future__ import annotations

import bisect
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from app.workers import Jobs
from easymo_core.cloudapi.error_codes import explain
from easymo_core.display import fmt_latency, fmt_when
from easymo_core.messaging.log_queries import PAGE_SIZE, LogFilter, LogQueries, LogRow

ROW_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Time", "", "Contact", "Type", "Status", "Message", "Error")
TIME, DIRECTION, CONTACT, TYPE, STATUS, BODY, ERROR = range(len(COLUMNS))

Index = QModelIndex | QPersistentModelIndex


def fmt_phone(wa_id: str) -> str:
    return "+" + wa_id if wa_id and not wa_id.startswith("+") else wa_id


def _texts(r: LogRow) -> tuple[str, ...]:
    body = (r.body or "").replace("\n", " ")
    if r.template_name:
        # Templates (and texts sent in their place) say which template first.
        body = f"{r.template_name} · {body}" if body else r.template_name
    return (
        fmt_when(r.created_at),
        "In" if r.direction == "in" else "Out",
        fmt_phone(r.contact_wa_id),
        r.type,
        r.status,
        body,
        str(r.error_code) if r.error_code is not None else "",
    )


def _changes(queries: LogQueries, ids: list[int], f: LogFilter) -> tuple[list[LogRow], list[LogRow]]:
    """Worker: the rows among ``ids`` passing the filter, and all of them (for updates)."""
    return queries.rows_by_ids(ids, f), queries.rows_by_ids(ids, LogFilter())


class LogModel(QAbstractTableModel):
    # the first page of the current filter arrived (rows loaded, exhausted?)
    loaded = Signal(int, bool)
    # rows came from the change feed: number inserted at the top
    live_rows = Signal(int)
    failed = Signal(object)

    def __init__(self, queries: LogQueries, jobs: Jobs, *, page_size: int = PAGE_SIZE,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queries, self.jobs, self.page_size = queries, jobs, page_size
        self.filter = LogFilter()
        self._rows: list[LogRow] = []
        self._texts: list[tuple[str, ...]] = []
        self._where: dict[int, int] = {}  # message id -> row
        self._after: tuple[int, int] | None = None
        self._exhausted = False
        self._loading = False
        self._generation = 0
        self.pages_fetched = 0

    # -- filter ----------------------------------------------------------------------
    def set_filter(self, f: LogFilter) -> None:
        """Show the rows passing ``f``: clear, then fetch the first page in a worker."""
        self._generation += 1
        self.filter = f
        self.beginResetModel()
        self._rows, self._texts, self._where = [], [], {}
        self._after, self._exhausted, self._loading = None, False, False
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def reload(self) -> None:
        self.set_filter(self.filter)

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    # -- Qt's lazy loading -------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or self._loading:
            return
        self._loading = True
        generation, after = self._generation, self._after
        job = self.jobs.submit(self.queries.page, self.filter, after, self.page_size,
                               name="messages page", owner=self, quiet=True,
                               on_result=lambda page: self._got(generation, page),
                               on_error=lambda exc: self._page_failed(generation, exc))
        if job is None:
            self._loading = False

    def _got(self, generation: int, page: Any) -> None:
        if generation != self._generation:
            return  # an answer for a filter no longer shown
        self._loading = False
        self.pages_fetched += 1
        first = not self._rows
        rows = [r for r in page.rows if r.id not in self._where]
        if rows:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            for i, r in enumerate(rows):
                self._where[r.id] = start + i
                self._rows.append(r)
                self._texts.append(_texts(r))
            self.endInsertRows()
        self._after = page.after
        self._exhausted = page.after is None
        if first:
            self.loaded.emit(len(self._rows), self._exhausted)

    def _page_failed(self, generation: int, exc: object) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._exhausted = True  # stop asking; a filter change or reload tries again
        self.failed.emit(exc)

    # -- live rows -------------------------------------------------------------------
    def apply_changes(self, batch: Any) -> None:
        """A ChangeBatch from the feed: fetch its rows in a worker, then merge them."""
        ids = sorted(batch.message_ids())
        if not ids:
            return
        generation = self._generation
        self.jobs.submit(_changes, self.queries, ids, self.filter, name="messages update",
                         owner=self, quiet=True,
                         on_result=lambda res: self._merge(generation, *res),
                         on_error=lambda _exc: None)

    def _merge(self, generation: int, matching: list[LogRow], every: list[LogRow]) -> None:
        if generation != self._generation:
            return
        # Rows already shown: new status, latency, error (even if they left the filter:
        # rows do not vanish under the admin's eyes; the next filter change drops them).
        for r in every:
            row = self._where.get(r.id)
            if row is not None and r != self._rows[row]:
                self._rows[row] = r
                self._texts[row] = _texts(r)
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        inserted = 0
        for r in sorted(matching, key=lambda x: x.key):
            if r.id in self._where:
                continue
            # Newest first: keys descend down the table. Rows older than the loaded range
            # come with a later page, so only rows inside it are inserted.
            if self._rows and not self._exhausted and r.key < self._rows[-1].key:
                continue
            pos = self._position(r.key)
            self.beginInsertRows(QModelIndex(), pos, pos)
            self._rows.insert(pos, r)
            self._texts.insert(pos, _texts(r))
            self.endInsertRows()
            inserted += 1
        if inserted:
            self._where = {r.id: i for i, r in enumerate(self._rows)}
            self.live_rows.emit(inserted)

    def _position(self, key: tuple[int, int]) -> int:
        # Keys descend: bisect on negated keys, which ascend.
        negated = [(-k[0], -k[1]) for k in (r.key for r in self._rows)]
        return bisect.bisect_left(negated, (-key[0], -key[1]))

    # -- reading ---------------------------------------------------------------------
    def row_of(self, message_id: int) -> int:
        return self._where.get(message_id, -1)

    def log_row(self, row: int) -> LogRow:
        return self._rows[row]

    def rows(self) -> list[LogRow]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[row][col]
        if role == ROW_ROLE:
            return self._rows[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            r = self._rows[row]
            if col == ERROR and r.error_code is not None:
                return f"Error {r.error_code}: {explain(r.error_code)}"
            if col == BODY and r.body:
                return r.body
            if col == TIME:
                return r.created_at.astimezone().isoformat(sep=" ", timespec="milliseconds")
            if col == DIRECTION:
                return "Inbound: the user wrote" if r.direction == "in" else "Outbound: we sent"
            if col == STATUS and r.delivery_latency_ms is not None:
                text = f"Delivered {fmt_latency(r.delivery_latency_ms)} after sending"
                if r.read_latency_ms is not None:
                    text += f", read {fmt_latency(r.read_latency_ms)} after delivery"
                return text
        if role == Qt.ItemDataRole.ForegroundRole and col == ERROR:
            from PySide6.QtGui import QColor

            return QColor("#b42318")
        return None
