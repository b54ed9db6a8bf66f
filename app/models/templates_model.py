"""The templates table: one row per (name, language), and its search-and-filter proxy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QStandardItem, QStandardItemModel

from easymo_core.display import fmt_when

RECORD_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Name", "Language", "Category", "Status", "Quality", "Last update")
NAME, LANGUAGE, CATEGORY, STATUS, QUALITY, UPDATED = range(len(COLUMNS))

Index = QModelIndex | QPersistentModelIndex


def _quality(record: Any) -> str:
    value = getattr(record, "quality_score", None)
    return str(value or "UNKNOWN")


class TemplatesModel(QStandardItemModel):
    """TemplateRecord objects from ``svc.templates.list``; the view only reads them.

    A QStandardItemModel rather than a QAbstractTableModel with a Python ``data()``: the
    cells live on the C++ side, so painting the table calls no Python. While a worker is
    busy (a bulk send, a sync) every Python callback of a paint waits for the GIL, and a
    Python model made one repaint of this table stall the window for ~100 ms. Filtering
    and sorting stay in the proxy; only filter changes call Python.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self._records: list[Any] = []
        self._shown: list[tuple[Any, ...]] = []

    # -- content -------------------------------------------------------------------
    def set_records(self, records: Sequence[Any]) -> bool:
        """Show ``records``; returns False (and repaints nothing) when nothing changed."""
        ordered = sorted(records, key=lambda r: (r.name, r.language))
        shown = [_fingerprint(r) for r in ordered]
        if shown == self._shown:
            self._records = ordered
            return False
        self.beginResetModel()
        self.blockSignals(True)
        self.setRowCount(0)
        for r in ordered:
            self.appendRow(self._items(r))
        self.blockSignals(False)
        self._records, self._shown = ordered, shown
        self.endResetModel()
        return True

    def _items(self, r: Any) -> list[QStandardItem]:
        items = []
        for col in range(len(COLUMNS)):
            text = _display(r, col)
            item = QStandardItem(text)
            item.setEditable(False)
            item.setData(r, RECORD_ROLE)
            sort_key: Any = text.lower()
            if col == UPDATED:
                sort_key = r.updated_at.timestamp() if r.updated_at else 0.0
                if r.updated_at:
                    item.setToolTip(r.updated_at.isoformat(sep=" ", timespec="seconds"))
            item.setData(sort_key, SORT_ROLE)
            item.setData(text, Qt.ItemDataRole.AccessibleTextRole)
            if col == STATUS and r.status == "REJECTED" and r.rejected_reason:
                item.setToolTip(f"Rejected: {r.rejected_reason}")
            items.append(item)
        return items

    def records(self) -> list[Any]:
        return list(self._records)

    def record(self, row: int) -> Any:
        return self._records[row]

    def row_of(self, name: str, language: str) -> int:
        for row, r in enumerate(self._records):
            if r.name == name and r.language == language:
                return row
        return -1

    def languages(self) -> list[str]:
        return sorted({r.language for r in self._records})

    def categories(self) -> list[str]:
        return sorted({r.category for r in self._records if r.category})

    def statuses(self) -> list[str]:
        return sorted({r.status for r in self._records if r.status})


def _fingerprint(r: Any) -> tuple[Any, ...]:
    return (r.name, r.language, r.category, r.status, r.quality_score, r.rejected_reason,
            r.updated_at)


def _display(r: Any, col: int) -> str:
    if col == NAME:
        return str(r.name)
    if col == LANGUAGE:
        return str(r.language)
    if col == CATEGORY:
        return str(r.category or "").capitalize()
    if col == STATUS:
        return str(r.status or "")
    if col == QUALITY:
        return _quality(r)
    if col == UPDATED:
        return fmt_when(r.updated_at)
    return ""


class TemplatesFilter(QSortFilterProxyModel):
    """Search by name (or body text) and filter by status, category and language."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._search = ""
        self._status: str | None = None
        self._category: str | None = None
        self._language: str | None = None
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def _refilter(self, name: str, value: str | None) -> None:
        # Qt 6.9 replaced invalidateFilter() with a begin/end pair; older Qt has only the former.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            setattr(self, name, value)
            self.endFilterChange()
        else:
            setattr(self, name, value)
            self.invalidateFilter()

    def set_search(self, text: str) -> None:
        self._refilter("_search", text.strip().lower())

    def set_status(self, status: str | None) -> None:
        self._refilter("_status", status or None)

    def set_category(self, category: str | None) -> None:
        self._refilter("_category", category or None)

    def set_language(self, language: str | None) -> None:
        self._refilter("_language", language or None)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        r = model.index(row, 0, parent).data(RECORD_ROLE)
        if r is None:
            return False
        if self._status and r.status != self._status:
            return False
        if self._category and r.category != self._category:
            return False
        if self._language and r.language != self._language:
            return False
        if self._search:
            body = getattr(getattr(getattr(r, "definition", None), "body", None), "text", "")
            haystack = f"{r.name} {r.language} {body}".lower()
            if self._search not in haystack:
                return False
        return True
