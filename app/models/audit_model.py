"""The audit log as a table model: the entries of a period, newest first, and a text filter.

The entries arrive from a worker (``AuditPage`` asks ``easymo_core.audit.load``); display
texts are computed once when they arrive, so ``data()`` is a list lookup. The text filter
keeps the rows whose texts contain every word typed, ignoring case.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from easymo_core.audit import AuditEntry
from easymo_core.display import fmt_when

COLUMNS = ("When", "Who", "Action", "Target", "Detail")
WHEN, WHO, ACTION, TARGET, DETAIL = range(len(COLUMNS))
ENTRY_ROLE = Qt.ItemDataRole.UserRole

Index = QModelIndex | QPersistentModelIndex


def who_tip(e: AuditEntry) -> str:
    return "\n".join([
        f"Database login: {e.db_login or '— (SQLite has no logins)'}",
        f"Computer user: {e.os_user or '— (unknown)'}",
        f"Profile: {e.profile or '—'}",
        f"WhatsApp Business Account: {e.waba_id or '—'}",
    ])


def detail_tip(e: AuditEntry) -> str:
    return "\n".join(f"{k}: {v}" for k, v in (e.detail or {}).items())


def _target(e: AuditEntry) -> str:
    # A recipient reads as the message log shows it.
    return f"+{e.target}" if e.action == "message.send" and e.target.isdigit() else e.target


def _texts(e: AuditEntry) -> tuple[str, ...]:
    return (fmt_when(e.at), e.who, e.action, _target(e), e.brief(200))


class AuditModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[AuditEntry] = []
        self._all_texts: list[tuple[str, ...]] = []
        self._rows: list[int] = []  # indices into _all that pass the text filter
        self._words: list[str] = []

    def set_entries(self, entries: list[AuditEntry]) -> None:
        self.beginResetModel()
        self._all = list(entries)
        self._all_texts = [_texts(e) for e in self._all]
        self._rows = self._passing()
        self.endResetModel()

    def set_text_filter(self, text: str) -> None:
        words = text.lower().split()
        if words == self._words:
            return
        self.beginResetModel()
        self._words = words
        self._rows = self._passing()
        self.endResetModel()

    def _passing(self) -> list[int]:
        if not self._words:
            return list(range(len(self._all)))
        found = []
        for i, texts in enumerate(self._all_texts):
            e = self._all[i]
            hay = " ".join((*texts, e.os_user, e.waba_id, detail_tip(e))).lower()
            if all(w in hay for w in self._words):
                found.append(i)
        return found

    @property
    def loaded(self) -> int:
        return len(self._all)

    def entry(self, row: int) -> AuditEntry:
        return self._all[self._rows[row]]

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
        i, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._all_texts[i][col]
        if role == ENTRY_ROLE:
            return self._all[i]
        if role == Qt.ItemDataRole.ToolTipRole:
            e = self._all[i]
            if col == WHEN:
                return e.at.astimezone().isoformat(sep=" ", timespec="seconds")
            if col == WHO:
                return who_tip(e)
            if col == DETAIL:
                return detail_tip(e) or None
            return self._all_texts[i][col] or None
        return None
