"""The composer's four message forms: text, template, reply buttons, list.

Each form checks itself with the core's own payload builders and parameter checks (pure,
fast: they run on the UI thread as the admin types), draws its preview, and hands the page
a ``sender``: a plain function, holding copies of the values, that a worker calls with the
processor. Widgets are never read from the worker thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.preview import buttons_preview, list_preview, text_preview
from app.models.preview_data import PreviewMessage
from app.widgets.field_errors import FieldErrors
from easymo_core.cloudapi import limits
from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.interactive_payloads import ListRow, ListSection
from easymo_core.cloudapi.payloads import button_message, list_message, text_message

# Builders need a recipient; the real one is checked by the recipient field.
_ANY_NUMBER = "15550100001"
Sender = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Issue:
    field: str
    message: str
    is_error: bool = True


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("FieldLabel")
    return label


def _error() -> QLabel:
    label = QLabel("")
    label.setObjectName("FieldError")
    label.setWordWrap(True)
    label.hide()
    return label


def _slug(text: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug[:40] or fallback


_PAYLOAD_FIELDS = (
    (re.compile(r"^button (\d+)"), lambda m: f"buttons[{int(m.group(1)) - 1}]"),
    (re.compile(r"^section (\d+) row"), lambda m: f"sections[{int(m.group(1)) - 1}]"),
    (re.compile(r"^section (\d+)"), lambda m: f"sections[{int(m.group(1)) - 1}]"),
    (re.compile(r"^row \d+"), lambda m: "sections"),
    (re.compile(r"^list button text"), lambda m: "button_text"),
    (re.compile(r"^(text )?body"), lambda m: "body"),
)


def payload_issue(exc: PayloadError) -> Issue:
    """A builder's PayloadError as an issue on this form's field paths."""
    field = exc.field
    for pattern, to_path in _PAYLOAD_FIELDS:
        match = pattern.match(field)
        if match:
            return Issue(to_path(match), exc.message)
    return Issue(field, exc.message)


class MessageForm(QWidget):
    changed = Signal()
    kind = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 10, 0, 0)
        self.box.setSpacing(6)
        self.general = _error()
        self.errors = FieldErrors(self.general)
        self.issues: list[Issue] = []
        # Inline errors wait for the first edit (or a send), so a fresh form is not all red.
        self.touched = False
        self.changed.connect(self._touch)

    def _touch(self) -> None:
        self.touched = True

    def field(self, path: str, title: str, widget: QWidget, hint: str = "") -> QLabel:
        self.box.addWidget(_label(title))
        self.box.addWidget(widget)
        if hint:
            h = QLabel(hint)
            h.setObjectName("Hint")
            h.setWordWrap(True)
            self.box.addWidget(h)
        error = _error()
        self.box.addWidget(error)
        self.errors.register(path, error, widget)
        return error

    def finish(self) -> None:
        self.box.addWidget(self.general)
        self.box.addStretch(1)

    def check(self) -> list[Issue]:
        self.issues = self.validate()
        self.errors.show(self.issues if self.touched else [])
        return self.issues

    # -- to override -------------------------------------------------------------------
    def validate(self) -> list[Issue]:
        return []

    def preview(self) -> PreviewMessage:
        return PreviewMessage()

    def send_call(self) -> Sender:
        raise NotImplementedError


class TextForm(MessageForm):
    kind = "text"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body = QPlainTextEdit()
        self.body.setPlaceholderText("Type a message. *bold* _italic_ ~strike~ ```mono```")
        self.body.setMinimumHeight(150)
        self.body.setAccessibleName("Message text")
        self.field("body", "Message", self.body,
                   f"Up to {limits.TEXT_BODY_MAX:,} characters. Free-form messages reach a user "
                   "only within 24 hours of their last message.")
        self.preview_url = QCheckBox("Show a preview of the first link")
        self.box.addWidget(self.preview_url)
        self.finish()
        self.body.textChanged.connect(self.changed)
        self.preview_url.toggled.connect(self.changed)

    def validate(self) -> list[Issue]:
        try:
            text_message(_ANY_NUMBER, self.body.toPlainText())
        except PayloadError as exc:
            return [payload_issue(exc)]
        return []

    def preview(self) -> PreviewMessage:
        return text_preview(self.body.toPlainText(), placeholder="Type a message to preview it")

    def send_call(self) -> Sender:
        body, preview_url = self.body.toPlainText(), self.preview_url.isChecked()
        return lambda processor, to: processor.send_text(
            to, body, preview_url=preview_url, source="composer"
        )


class ButtonsForm(MessageForm):
    kind = "buttons"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLineEdit()
        self.header.setPlaceholderText("Optional header")
        self.field("header", "Header", self.header)
        self.body = QPlainTextEdit()
        self.body.setPlaceholderText("Would you like us to deliver tomorrow?")
        self.body.setMinimumHeight(90)
        self.body.setAccessibleName("Body")
        self.field("body", "Body", self.body)
        self.footer = QLineEdit()
        self.footer.setPlaceholderText("Optional footer")
        self.field("footer", "Footer", self.footer)
        self.box.addWidget(_label("Buttons (1 to 3, up to 20 characters each)"))
        self.titles: list[QLineEdit] = []
        for i in range(limits.BUTTONS_MAX):
            edit = QLineEdit()
            edit.setPlaceholderText(f"Button {i + 1}" + (" (optional)" if i else ""))
            edit.setAccessibleName(f"Button {i + 1} title")
            self.box.addWidget(edit)
            error = _error()
            self.box.addWidget(error)
            self.errors.register(f"buttons[{i}]", error, edit)
            self.titles.append(edit)
            edit.textChanged.connect(self.changed)
        buttons_error = _error()
        self.box.addWidget(buttons_error)
        self.errors.register("buttons", buttons_error)
        self.finish()
        for w in (self.header, self.footer):
            w.textChanged.connect(self.changed)
        self.body.textChanged.connect(self.changed)

    def _buttons(self) -> list[tuple[str, str]]:
        titles = [e.text().strip() for e in self.titles if e.text().strip()]
        return [(_slug(t, f"btn_{i + 1}") + f"_{i + 1}", t) for i, t in enumerate(titles)]

    def validate(self) -> list[Issue]:
        try:
            button_message(_ANY_NUMBER, self.body.toPlainText(), self._buttons(),
                           header=self.header.text() or None, footer=self.footer.text() or None)
        except PayloadError as exc:
            return [payload_issue(exc)]
        return []

    def preview(self) -> PreviewMessage:
        return buttons_preview(self.body.toPlainText(), [t for _i, t in self._buttons()],
                               header=self.header.text(), footer=self.footer.text(),
                               placeholder="Write a body and a button to preview them")

    def send_call(self) -> Sender:
        body, buttons = self.body.toPlainText(), self._buttons()
        header, footer = self.header.text() or None, self.footer.text() or None
        return lambda processor, to: processor.send_buttons(
            to, body, buttons, header=header, footer=footer, source="composer"
        )


class SectionEditor(QFrame):
    """One section of a list: a title and its rows (title, description)."""

    changed = Signal()
    removed = Signal(object)

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SectionEditor")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 4, 0, 4)
        box.setSpacing(4)
        head = QHBoxLayout()
        self.title = QLineEdit()
        self.title.setPlaceholderText(f"Section {number} title")
        self.title.setAccessibleName(f"Section {number} title")
        head.addWidget(self.title, 1)
        add = QPushButton("+ Row")
        add.clicked.connect(lambda: self.add_row())
        remove = QPushButton("Remove")
        remove.setProperty("danger", True)
        remove.clicked.connect(lambda: self.removed.emit(self))
        head.addWidget(add)
        head.addWidget(remove)
        box.addLayout(head)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Row title", "Description (optional)"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.itemChanged.connect(lambda _i: self.changed.emit())
        self._fit()
        box.addWidget(self.table)
        self.error = _error()
        box.addWidget(self.error)

    def add_row(self, title: str = "", description: str = "") -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(title))
        self.table.setItem(row, 1, QTableWidgetItem(description))
        self._fit()
        self.changed.emit()

    def _fit(self) -> None:
        # As tall as its rows: a list has ten rows at most, so no inner scrolling.
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + max(rows, 4) + 4)

    def rows(self) -> list[tuple[str, str]]:
        out = []
        def cell(r: int, c: int) -> str:
            item = self.table.item(r, c)
            return item.text().strip() if item is not None else ""

        for r in range(self.table.rowCount()):
            title, desc = cell(r, 0), cell(r, 1)
            if title or desc:
                out.append((title, desc))
        return out


class ListForm(MessageForm):
    kind = "list"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLineEdit()
        self.header.setPlaceholderText("Optional header")
        self.field("header", "Header", self.header)
        self.body = QPlainTextEdit()
        self.body.setPlaceholderText("Pick a delivery slot")
        self.body.setMinimumHeight(80)
        self.body.setAccessibleName("Body")
        self.field("body", "Body", self.body)
        self.footer = QLineEdit()
        self.footer.setPlaceholderText("Optional footer")
        self.field("footer", "Footer", self.footer)
        self.button_text = QLineEdit()
        self.button_text.setPlaceholderText("Choose")
        self.button_text.setAccessibleName("List button text")
        self.field("button_text", "Button that opens the list", self.button_text)
        self.box.addWidget(_label("Sections (up to 10 rows in all)"))
        self.sections_box = QVBoxLayout()
        self.box.addLayout(self.sections_box)
        self.sections: list[SectionEditor] = []
        add = QPushButton("+ Section")
        add.clicked.connect(lambda: self.add_section())
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch(1)
        self.box.addLayout(row)
        sections_error = _error()
        self.box.addWidget(sections_error)
        self.errors.register("sections", sections_error)
        self.finish()
        for w in (self.header, self.footer, self.button_text):
            w.textChanged.connect(self.changed)
        self.body.textChanged.connect(self.changed)
        first = self.add_section()
        first.add_row()

    def add_section(self) -> SectionEditor:
        editor = SectionEditor(len(self.sections) + 1)
        editor.changed.connect(self.changed)
        editor.removed.connect(self._remove_section)
        self.sections.append(editor)
        self.sections_box.addWidget(editor)
        self._register()
        self.changed.emit()
        return editor

    def _remove_section(self, editor: object) -> None:
        if isinstance(editor, SectionEditor) and editor in self.sections:
            self.sections.remove(editor)
            editor.hide()
            editor.deleteLater()
            self._register()
            self.changed.emit()

    def _register(self) -> None:
        self.errors.unregister_prefix("sections[")
        for i, s in enumerate(self.sections):
            self.errors.register(f"sections[{i}]", s.error, s.title)

    def _sections(self) -> list[ListSection]:
        out = []
        for s_i, s in enumerate(self.sections):
            rows = [
                ListRow(f"{_slug(t, 'row')}_{s_i + 1}_{r_i + 1}", t, d or None)
                for r_i, (t, d) in enumerate(s.rows())
            ]
            title = s.title.text().strip() or None
            out.append(ListSection(rows=rows, title=title))
        return out

    def validate(self) -> list[Issue]:
        try:
            list_message(_ANY_NUMBER, self.body.toPlainText(), self.button_text.text(),
                         self._sections(), header=self.header.text() or None,
                         footer=self.footer.text() or None)
        except PayloadError as exc:
            return [payload_issue(exc)]
        return []

    def preview(self) -> PreviewMessage:
        sections = [(s.title.text().strip(), s.rows()) for s in self.sections]
        return list_preview(self.body.toPlainText(), self.button_text.text(), sections,
                            header=self.header.text(), footer=self.footer.text(),
                            show_sheet=True, placeholder="Write a body to preview the list")

    def send_call(self) -> Sender:
        body, button = self.body.toPlainText(), self.button_text.text()
        sections = self._sections()
        header, footer = self.header.text() or None, self.footer.text() or None
        return lambda processor, to: processor.send_list(
            to, body, button, sections, header=header, footer=footer, source="composer"
        )

