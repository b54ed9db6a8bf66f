"""Import a flow definition: the file with line numbers, each problem marked at its line,
and Import enabled only once the definition is valid (the check `easymo flows validate` makes).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.workers import Jobs


class FlowImportDialog(QDialog):
    imported = Signal(str, int, str)  # name, version, "imported" | "updated" | …

    def __init__(self, overview: Any, jobs: Jobs, text: str, *, source: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overview, self.jobs, self.source = overview, jobs, source
        self.setWindowTitle(f"Import {source}")
        self.setObjectName("FlowImport")
        self.resize(760, 560)
        box = QVBoxLayout(self)
        self.summary = QLabel("Checking…")
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        self.text.setTabChangesFocus(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setAccessibleName(f"{source}, read only")
        box.addWidget(self.text, 3)
        self.problems = QListWidget()
        self.problems.setObjectName("FlowProblems")
        self.problems.setAccessibleName("Problems, each at its line")
        self.problems.currentRowChanged.connect(self._go_to_problem)
        box.addWidget(self.problems, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("ImportButton")
        self.import_button.setProperty("primary", True)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.import_now)
        buttons.addWidget(cancel)
        buttons.addWidget(self.import_button)
        box.addLayout(buttons)
        self.result: Any = None
        self.validate()

    def validate(self) -> None:
        self.result = self.overview.validate(self.text.toPlainText(), source=self.source)
        self.problems.clear()
        marks: list[QTextEdit.ExtraSelection] = []
        for problem in self.result.problems:
            where = f"line {problem.line}" if problem.line else "(no line)"
            item = QListWidgetItem(f"{where}: {problem.message}")
            item.setData(Qt.ItemDataRole.UserRole, problem.line)
            self.problems.addItem(item)
            if problem.line:
                marks.append(self._mark(problem.line))
        self.text.setExtraSelections(marks)
        self.problems.setVisible(bool(self.result.problems))
        if self.result.ok:
            d = self.result.definition
            ends = ", ".join(s.id for s in d.steps.values() if s.end)
            self.summary.setText(f"{d.name}: {len(d.steps)} steps, starts at {d.start}, ends at "
                                 f"{ends}. Ready to import.")
        else:
            n = len(self.result.problems)
            self.summary.setText(f"{n} problem{'s' if n != 1 else ''}: the flow cannot be imported "
                                 "until each is fixed in the file. Click one to see its line.")
        self.import_button.setEnabled(self.result.ok)

    def _mark(self, line: int) -> QTextEdit.ExtraSelection:
        mark = QTextEdit.ExtraSelection()
        mark.format.setBackground(QColor(217, 45, 32, 50))
        mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        block = self.text.document().findBlockByLineNumber(line - 1)
        cursor = QTextCursor(block)
        mark.cursor = cursor
        return mark

    def problem_lines(self) -> list[int]:
        return [int(self.problems.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.problems.count())]

    def _go_to_problem(self, row: int) -> None:
        if row < 0:
            return
        line = int(self.problems.item(row).data(Qt.ItemDataRole.UserRole) or 0)
        if line:
            block = self.text.document().findBlockByLineNumber(line - 1)
            self.text.setTextCursor(QTextCursor(block))
            self.text.centerCursor()

    def import_now(self) -> None:
        if not self.result or not self.result.ok:
            return
        self.import_button.setEnabled(False)
        self.jobs.submit(self.overview.import_text, self.text.toPlainText(), source=self.source,
                         name="import flow", owner=self, on_result=self._done,
                         on_error=self._failed)

    def _done(self, stored: tuple[int, str]) -> None:
        version, action = stored
        self.imported.emit(self.result.definition.name, version, action)
        self.accept()

    def _failed(self, exc: object) -> None:
        from app.errors import one_line

        self.summary.setText(f"Not imported: {one_line(exc)}")  # type: ignore[arg-type]
        self.import_button.setEnabled(True)
