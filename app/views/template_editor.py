"""The template editor: new templates, new languages of one, and duplicates.

Validation runs as you type (``validate_template`` is pure and fast, so it stays on the UI
thread, debounced); each problem appears under the field its path names. Submitting goes
through ``svc.templates.create`` in a worker.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.hub import Hub
from app.models.preview import template_preview
from app.views.page import card
from app.views.template_buttons import BUTTON_TYPES, ButtonRow
from app.widgets.banner import Banner
from app.widgets.bubble import MessagePreview
from app.widgets.field_errors import FieldErrors
from app.widgets.spinner import Spinner
from app.workers import Jobs
from easymo_core.cloudapi import limits
from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.media_rules import check_header_sample
from easymo_core.templates.model import Body, Footer, Header, TemplateDefinition
from easymo_core.templates.validate import validate_template
from easymo_core.templates.variables import variables

Mode = Literal["new", "language", "duplicate"]
CATEGORIES = limits.TEMPLATE_CATEGORIES
# Common Meta language codes; the field also takes any other code.
LANGUAGES = (
    "en", "en_US", "en_GB", "es", "es_ES", "es_MX", "pt_BR", "pt_PT", "fr", "de", "it", "nl",
    "ar", "hi", "id", "ms", "sw", "tr", "ru", "pl", "zh_CN", "ja", "ko",
)
HEADER_FORMATS = (("", "No header"), ("TEXT", "Text"), ("IMAGE", "Image"), ("VIDEO", "Video"),
                  ("DOCUMENT", "Document"), ("LOCATION", "Location"))
_VAR_IN_MESSAGE = re.compile(r"\{\{([^{}]+)\}\}")
SANDBOX_MEDIA_HANDLES = {
    "IMAGE": "4::aW1hZ2UvanBlZw==:sandbox",
    "VIDEO": "4::dmlkZW8vbXA0:sandbox",
    "DOCUMENT": "4::YXBwbGljYXRpb24vcGRm:sandbox",
}


def _error_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("FieldError")
    label.setWordWrap(True)
    label.hide()
    return label


def _counter(edit: QLineEdit | QPlainTextEdit, limit: int) -> QLabel:
    label = QLabel(f"0/{limit}")
    label.setObjectName("Counter")
    label.setAlignment(Qt.AlignmentFlag.AlignRight)

    def update() -> None:
        text = edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()
        label.setText(f"{len(text)}/{limit}")

    edit.textChanged.connect(update)
    return label


class TemplateEditor(QDialog):
    submitted = Signal(object)  # the TemplateRecord Meta now reviews

    def __init__(
        self,
        templates: Any,
        jobs: Jobs,
        hub: Hub,
        *,
        mode: Mode = "new",
        initial: TemplateDefinition | None = None,
        existing_languages: tuple[str, ...] = (),
        sandbox: bool = False,
        upload_sample: Callable[[str, str], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.templates, self.jobs, self.hub = templates, jobs, hub
        # (path, header format) -> handle, run in a worker; None: the handle is pasted.
        self.upload_sample = upload_sample
        self.mode = mode
        self.sandbox = sandbox
        self.existing_languages = existing_languages
        self.setObjectName("TemplateEditor")
        self.setWindowTitle({"new": "New template", "language": "Add a language",
                             "duplicate": "Duplicate template"}[mode])
        self.resize(1120, 780)
        screen = (parent.screen() if parent is not None else None) or self.screen()
        if screen is not None:  # never larger than a laptop's screen
            area = screen.availableGeometry()
            self.resize(min(1120, area.width() - 40), min(780, area.height() - 60))
        self._example_values: dict[tuple[str, str], str] = {}
        self._example_edits: dict[tuple[str, str], QLineEdit] = {}
        self.rows: list[ButtonRow] = []
        self.problems: list[Any] = []
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(120)
        self._validate_timer.timeout.connect(self.validate_now)
        self._ready = False  # widgets fire change signals while the form is still being built
        self._closing = False
        self._build()
        self._ready = True
        self._load(initial)
        if initial is None:
            self.errors.track_touches()  # a blank form shows no errors until typed in
        self.validate_now()
        self._pristine = self._snapshot()

    # -- closing ---------------------------------------------------------------------
    def _snapshot(self) -> Any:
        try:
            return self.definition()
        except Exception:
            return None

    def has_changes(self) -> bool:
        return self._snapshot() != self._pristine

    def ask_discard(self) -> bool:
        """True when the user agrees to lose the edits (a question box; tests replace it)."""
        answer = QMessageBox.question(
            self, "Discard changes?",
            "This template has changes that were not submitted. Discard them?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    def reject(self) -> None:
        """Esc and Cancel: never throw edits away unasked."""
        if not self._closing and self.has_changes() and not self.ask_discard():
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The title bar's close button asks too; a close by the program (the window
        # shutting down) does not.
        if event.spontaneous() and self.has_changes() and not self.ask_discard():
            event.ignore()
            return
        self._closing = True
        try:
            super().closeEvent(event)
        finally:
            self._closing = False

    # -- layout ----------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.banner = Banner("error", "", closable=True)
        self.banner.hide()
        outer.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        outer.addWidget(split, 1)

        scroll = QScrollArea()
        scroll.setObjectName("PageScroll")
        scroll.setWidgetResizable(True)
        form_host = QWidget()
        form_host.setObjectName("PageBody")
        self.form = QVBoxLayout(form_host)
        self.form.setContentsMargins(22, 18, 16, 18)
        self.form.setSpacing(12)
        scroll.setWidget(form_host)
        split.addWidget(scroll)
        self.errors = FieldErrors(_error_label())

        self._build_basics()
        self._build_header()
        self._build_body()
        self._build_examples()
        self._build_footer()
        self._build_buttons()
        self.form.addWidget(self.errors.general)  # type: ignore[arg-type]
        self.form.addStretch(1)

        side = QWidget()
        side.setObjectName("PageBody")
        side_box = QVBoxLayout(side)
        side_box.setContentsMargins(12, 18, 22, 18)
        side_box.setSpacing(10)
        title = QLabel("Preview")
        title.setObjectName("SectionTitle")
        side_box.addWidget(title)
        hint = QLabel("As the customer sees it, with your example values.")
        hint.setObjectName("Hint")
        side_box.addWidget(hint)
        self.preview = MessagePreview()
        pscroll = QScrollArea()
        pscroll.setWidgetResizable(True)
        pscroll.setWidget(self.preview)
        pscroll.setMinimumWidth(380)
        side_box.addWidget(pscroll, 1)
        self.summary = QLabel("")
        self.summary.setObjectName("Hint")
        self.summary.setWordWrap(True)
        side_box.addWidget(self.summary)
        buttons = QHBoxLayout()
        self.spinner = Spinner(self, size=16)
        buttons.addWidget(self.spinner)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.submit_button = QPushButton("Submit for review")
        self.submit_button.setProperty("primary", True)
        self.submit_button.setObjectName("SubmitTemplate")
        self.submit_button.clicked.connect(self.submit)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.submit_button)
        side_box.addLayout(buttons)
        split.addWidget(side)
        split.setSizes([640, 460])

    def _section(self, title: str, hint: str = "") -> QVBoxLayout:
        frame = card()
        box = QVBoxLayout(frame)
        box.setContentsMargins(16, 12, 16, 14)
        box.setSpacing(6)
        head = QLabel(title)
        head.setObjectName("SectionTitle")
        box.addWidget(head)
        if hint:
            h = QLabel(hint)
            h.setObjectName("Hint")
            h.setWordWrap(True)
            box.addWidget(h)
        self.form.addWidget(frame)
        return box

    def _build_basics(self) -> None:
        box = self._section("Template")
        grid = QFormLayout()
        grid.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        grid.setVerticalSpacing(4)
        self.name = QLineEdit()
        self.name.setPlaceholderText("order_update")
        self.name.setAccessibleName("Template name")
        self.name_error = _error_label()
        self.category = QComboBox()
        self.category.addItems([c.capitalize() for c in CATEGORIES])
        self.category_error = _error_label()
        self.language = QComboBox()
        self.language.setEditable(True)
        self.language.addItems([c for c in LANGUAGES if c not in self.existing_languages])
        self.language.setAccessibleName("Language")
        self.language_error = _error_label()
        self.param_format = QComboBox()
        self.param_format.addItem("Numbered: {{1}}, {{2}}…", "POSITIONAL")
        self.param_format.addItem("Named: {{first_name}}…", "NAMED")
        self.format_error = _error_label()
        for label, widget, error in (
            ("Name", self.name, self.name_error),
            ("Category", self.category, self.category_error),
            ("Language", self.language, self.language_error),
            ("Variables", self.param_format, self.format_error),
        ):
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(widget)
            column.addWidget(error)
            grid.addRow(label, column)
        box.addLayout(grid)
        self.errors.register("name", self.name_error, self.name)
        self.errors.register("category", self.category_error, self.category)
        self.errors.register("language", self.language_error, self.language)
        self.errors.register("parameter_format", self.format_error, self.param_format)
        self.name.textChanged.connect(self.changed)
        self.category.currentIndexChanged.connect(self.changed)
        self.language.currentTextChanged.connect(self.changed)
        self.param_format.currentIndexChanged.connect(self.changed)

    def _build_header(self) -> None:
        box = self._section("Header", "Optional: a line of bold text, or a media placeholder.")
        self.header_format = QComboBox()
        for value, label in HEADER_FORMATS:
            self.header_format.addItem(label, value)
        self.header_format.setAccessibleName("Header type")
        self.header_text = QLineEdit()
        self.header_text.setPlaceholderText("Your order {{1}}")
        self.header_counter = _counter(self.header_text, limits.TEMPLATE_HEADER_TEXT_MAX)
        self.header_media = QLineEdit()
        self.header_media.setPlaceholderText("Sample media handle from Meta's upload")
        self.header_media.setToolTip(
            "Meta reviews media headers with a sample uploaded through its resumable upload; "
            "paste the handle here."
        )
        self.sample_button = QPushButton("Choose sample…")
        self.sample_button.setToolTip("Pick an image, video or PDF: it is uploaded to Meta and its "
                                      "handle filled in")
        self.sample_button.clicked.connect(lambda: self.choose_sample())
        row = QHBoxLayout()
        row.addWidget(self.header_format)
        row.addWidget(self.header_text, 1)
        row.addWidget(self.header_media, 1)
        row.addWidget(self.sample_button)
        box.addLayout(row)
        self.sample_status = QLabel("")
        self.sample_status.setObjectName("Hint")
        self.sample_status.setWordWrap(True)
        self.sample_status.hide()
        box.addWidget(self.sample_status)
        # The chosen sample's file: the preview draws it in the header.
        self.sample_path: str | None = None
        box.addWidget(self.header_counter)
        self.header_error = _error_label()
        box.addWidget(self.header_error)
        self.errors.register("header", self.header_error, self.header_format)
        self.errors.mark("header.text", self.header_text)
        self.errors.mark("header.media", self.header_media)
        self.header_format.currentIndexChanged.connect(self._header_format_changed)
        self.header_text.textChanged.connect(self.changed)
        self.header_media.textChanged.connect(self.changed)
        self._header_format_changed()

    def _build_body(self) -> None:
        box = self._section("Body", "Required. WhatsApp formatting: *bold* _italic_ ~strike~ "
                            "```monospace```.")
        tools = QHBoxLayout()
        tools.setSpacing(4)
        for label, marker, tip in (("B", "*", "Bold"), ("I", "_", "Italic"),
                                   ("S", "~", "Strikethrough"), ("</>", "```", "Monospace")):
            button = QToolButton()
            button.setText(label)
            button.setObjectName("FormatButton")
            button.setFixedSize(34, 28)
            font = button.font()
            font.setBold(marker == "*")
            font.setItalic(marker == "_")
            font.setStrikeOut(marker == "~")
            button.setFont(font)
            button.setToolTip(tip)
            button.setAccessibleName(tip)
            button.clicked.connect(lambda _=False, m=marker: self._wrap_selection(m))
            tools.addWidget(button)
        add_var = QToolButton()
        add_var.setText("+ Variable")
        add_var.setObjectName("AddVariable")
        add_var.clicked.connect(self._insert_variable)
        tools.addWidget(add_var)
        tools.addStretch(1)
        self.body = QPlainTextEdit()
        self.body.setTabChangesFocus(True)  # Tab moves on; a message has no tab characters
        self.body.setPlaceholderText("Hi {{1}}, your order {{2}} ships today.")
        self.body.setMinimumHeight(96)
        self.body.setMaximumHeight(150)
        self.body.setAccessibleName("Body text")
        counter = _counter(self.body, limits.TEMPLATE_BODY_MAX)
        tools.addWidget(counter)
        box.addLayout(tools)
        box.addWidget(self.body)
        self.body_error = _error_label()
        box.addWidget(self.body_error)
        self.errors.register("body", self.body_error, self.body)
        self.body.textChanged.connect(self.changed)

    def _build_footer(self) -> None:
        box = self._section("Footer", "Optional: a short grey line, no variables.")
        self.footer = QLineEdit()
        self.footer.setPlaceholderText("Reply STOP to opt out")
        row = QHBoxLayout()
        row.addWidget(self.footer, 1)
        row.addWidget(_counter(self.footer, limits.TEMPLATE_FOOTER_MAX))
        box.addLayout(row)
        self.footer_error = _error_label()
        box.addWidget(self.footer_error)
        self.errors.register("footer", self.footer_error, self.footer)
        self.footer.textChanged.connect(self.changed)

    def _build_buttons(self) -> None:
        box = self._section(
            "Buttons",
            "Up to 10: quick replies together, and call-to-action buttons together.",
        )
        self.buttons_box = QVBoxLayout()
        self.buttons_box.setSpacing(0)
        box.addLayout(self.buttons_box)
        self.add_button = QPushButton("Add button")
        self.add_button.setObjectName("AddButton")
        menu = QMenu(self.add_button)
        for kind, label in BUTTON_TYPES.items():
            action = menu.addAction(label)
            action.triggered.connect(lambda _=False, k=kind: self.add_template_button(k))
        self.add_button.setMenu(menu)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        box.addLayout(row)
        self.buttons_error = _error_label()
        box.addWidget(self.buttons_error)
        self.errors.register("buttons", self.buttons_error)

    def _build_examples(self) -> None:
        box = self._section(
            "Example values",
            "Meta reviews the template with these; the preview uses them too.",
        )
        self.examples_form = QFormLayout()
        self.examples_form.setVerticalSpacing(4)
        box.addLayout(self.examples_form)
        self.no_variables = QLabel("No variables yet: add one with “+ Variable”.")
        self.no_variables.setObjectName("Muted")
        box.addWidget(self.no_variables)
        self.examples_error = _error_label()
        box.addWidget(self.examples_error)
        self.errors.register("body.examples", self.examples_error)
        self.header_examples_error = _error_label()
        box.addWidget(self.header_examples_error)
        self.errors.register("header.examples", self.header_examples_error)

    # -- loading ---------------------------------------------------------------------
    def _load(self, defn: TemplateDefinition | None) -> None:
        if defn is None:
            self.category.setCurrentIndex(CATEGORIES.index("UTILITY"))
            self.language.setCurrentText("en_US" if "en_US" not in self.existing_languages
                                         else self.language.itemText(0))
            return
        defn = copy.deepcopy(defn)
        self.name.setText(defn.name)
        if defn.category in CATEGORIES:
            self.category.setCurrentIndex(CATEGORIES.index(defn.category))
        if self.mode == "language":
            self.name.setReadOnly(True)
            self.category.setEnabled(False)
            free = [c for c in LANGUAGES if c not in self.existing_languages]
            self.language.setCurrentText(free[0] if free else "")
        else:
            self.language.setCurrentText(defn.language)
        index = self.param_format.findData(defn.parameter_format)
        self.param_format.setCurrentIndex(max(index, 0))
        if defn.header is not None:
            self.header_format.setCurrentIndex(max(self.header_format.findData(defn.header.format), 0))
            self.header_text.setText(defn.header.text or "")
            self.header_media.setText(defn.header.media_handle or "")
            for name, value in defn.header.examples.items():
                self._example_values[("header", name)] = value
        self.body.setPlainText(defn.body.text)
        for name, value in defn.body.examples.items():
            self._example_values[("body", name)] = value
        self.footer.setText(defn.footer.text if defn.footer else "")
        for button in defn.buttons:
            self.add_template_button(button.type, button)
        self._rebuild_examples()

    # -- editing helpers -------------------------------------------------------------
    def changed(self) -> None:
        if not self._ready:
            return
        self._rebuild_examples()
        self._validate_timer.start()

    def _header_format_changed(self) -> None:
        fmt = self.header_format.currentData()
        self.header_text.setVisible(fmt == "TEXT")
        self.header_counter.setVisible(fmt == "TEXT")
        self.header_media.setVisible(fmt in ("IMAGE", "VIDEO", "DOCUMENT"))
        media = fmt in ("IMAGE", "VIDEO", "DOCUMENT")
        self.sample_button.setVisible(media and self.upload_sample is not None)
        if media and self.sandbox and (not self.header_media.text()
                                       or self.header_media.text() in SANDBOX_MEDIA_HANDLES.values()):
            # A stand-in handle of the header's type until a sample is chosen; the sandbox
            # checks only that its type fits the header (a real profile needs Meta's upload).
            self.header_media.setText(SANDBOX_MEDIA_HANDLES[fmt])
        self.changed()

    def choose_sample(self, path: str | None = None) -> None:
        """Pick a sample for the media header, check it, and upload it in a worker."""
        fmt = str(self.header_format.currentData())
        if self.upload_sample is None or fmt not in ("IMAGE", "VIDEO", "DOCUMENT"):
            return
        if path is None:
            wanted = {"IMAGE": "Images (*.jpg *.jpeg *.png)", "VIDEO": "Videos (*.mp4)",
                      "DOCUMENT": "PDF documents (*.pdf)"}[fmt]
            path, _ = QFileDialog.getOpenFileName(self, "Choose the header sample", str(Path.home()),
                                                  wanted + ";;All files (*)")
            if not path:
                return
        try:
            check_header_sample(fmt, path)  # first bytes and size: refused before any upload
        except PayloadError as exc:
            self._sample_said(exc.message, error=True)
            return
        name = Path(path).name
        self._sample_said(f"Uploading {name}…")
        self.sample_button.setEnabled(False)
        upload = self.upload_sample

        def done(handle: Any) -> None:
            self.sample_button.setEnabled(True)
            self.sample_path = path
            self.header_media.setText(str(handle))
            self.header_media.setCursorPosition(0)
            self._sample_said(f"{name} uploaded: Meta's reviewers will see it.")

        def failed(exc: Exception) -> None:
            self.sample_button.setEnabled(True)
            hint = getattr(exc, "hint", "") or ""
            self._sample_said(f"{name} was not uploaded: {getattr(exc, 'message', exc)}"
                              + (f" ({hint})" if hint else ""), error=True)

        self.jobs.submit(upload, path, fmt, name="sample upload", owner=self,
                         on_result=done, on_error=failed)

    def _sample_said(self, text: str, *, error: bool = False) -> None:
        self.sample_status.setText(text)
        self.sample_status.setObjectName("FieldError" if error else "Hint")
        self.sample_status.style().unpolish(self.sample_status)
        self.sample_status.style().polish(self.sample_status)
        self.sample_status.show()

    def _wrap_selection(self, marker: str) -> None:
        cursor = self.body.textCursor()
        text = cursor.selectedText() or "text"
        cursor.insertText(f"{marker}{text}{marker}")
        self.body.setFocus()

    def _insert_variable(self) -> None:
        names = list(variables(self.body.toPlainText()))
        if self.param_format.currentData() == "NAMED":
            base, n = "value", 1
            while f"{base}_{n}" in names:
                n += 1
            token = f"{{{{{base}_{n}}}}}"
        else:
            numbers = [int(n) for n in names if n.isdigit()]
            token = f"{{{{{max(numbers, default=0) + 1}}}}}"
        self.body.textCursor().insertText(token)
        self.body.setFocus()

    def add_template_button(self, kind: str, button: Any = None) -> ButtonRow:
        row = ButtonRow(kind, button)
        row.changed.connect(self.changed)
        row.removed.connect(self._remove_button)
        self.rows.append(row)
        self.buttons_box.addWidget(row)
        self._register_buttons()
        self.changed()
        return row

    def _remove_button(self, row: object) -> None:
        if not isinstance(row, ButtonRow) or row not in self.rows:
            return
        self.rows.remove(row)
        row.hide()
        row.deleteLater()
        self._register_buttons()
        self.changed()

    def _register_buttons(self) -> None:
        """Button paths are positional, so they are re-registered whenever rows change."""
        self.errors.unregister_prefix("buttons[")
        for i, row in enumerate(self.rows):
            self.errors.register(f"buttons[{i}]", row.error)
            for sub, widget in row.field_widgets().items():
                self.errors.mark(f"buttons[{i}].{sub}", widget)

    def _variable_names(self) -> list[tuple[str, str]]:
        names: list[tuple[str, str]] = []
        if self.header_format.currentData() == "TEXT":
            names += [("header", n) for n in variables(self.header_text.text())]
        names += [("body", n) for n in variables(self.body.toPlainText())]
        return names

    def _rebuild_examples(self) -> None:
        wanted = self._variable_names()
        if wanted == list(self._example_edits):
            return
        for key, edit in self._example_edits.items():
            self._example_values[key] = edit.text()
        self.errors.unregister_prefix("body.examples.")
        self.errors.unregister_prefix("header.examples.")
        while self.examples_form.rowCount():
            self.examples_form.removeRow(0)
        self._example_edits = {}
        for component, name in wanted:
            edit = QLineEdit(self._example_values.get((component, name), ""))
            edit.setPlaceholderText("Example value")
            edit.setAccessibleName(f"Example for {component} variable {name}")
            edit.textChanged.connect(self._validate_timer.start)
            error = _error_label()
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(edit)
            column.addWidget(error)
            label = f"{{{{{name}}}}}" + (" (header)" if component == "header" else "")
            self.examples_form.addRow(label, column)
            self._example_edits[(component, name)] = edit
            self.errors.register(f"{component}.examples.{name}", error, edit)
        self.no_variables.setVisible(not wanted)

    def example_edit(self, component: str, name: str) -> QLineEdit:
        return self._example_edits[(component, name)]

    # -- the definition --------------------------------------------------------------
    def definition(self) -> TemplateDefinition:
        def examples(component: str) -> dict[str, str]:
            return {
                name: edit.text().strip()
                for (comp, name), edit in self._example_edits.items()
                if comp == component and edit.text().strip()
            }

        fmt = self.header_format.currentData()
        header = None
        if fmt == "TEXT":
            header = Header(format="TEXT", text=self.header_text.text(), examples=examples("header"))
        elif fmt in ("IMAGE", "VIDEO", "DOCUMENT"):
            header = Header(format=fmt, media_handle=self.header_media.text().strip() or None)
        elif fmt == "LOCATION":
            header = Header(format="LOCATION")
        footer_text = self.footer.text()
        return TemplateDefinition(
            name=self.name.text().strip(),
            language=self.language.currentText().strip(),
            category=CATEGORIES[self.category.currentIndex()],
            parameter_format=self.param_format.currentData(),
            header=header,
            body=Body(text=self.body.toPlainText(), examples=examples("body")),
            footer=Footer(text=footer_text) if footer_text else None,
            buttons=[row.button() for row in self.rows],
        )

    def validate_now(self) -> list[Any]:
        defn = self.definition()
        problems = validate_template(defn)
        if self.mode == "language" and defn.language in self.existing_languages:
            from easymo_core.templates.problems import Problem

            problems.insert(0, Problem("language", f"{defn.name} already has {defn.language}",
                                       "LANGUAGE_EXISTS"))
        self.problems = problems
        self.errors.show([_per_variable(p) for p in problems])
        errors = [p for p in problems if p.is_error]
        risks = [p for p in problems if not p.is_error]
        if errors:
            first = errors[0].message
            self.summary.setText(
                f"{len(errors)} problem{'s' if len(errors) != 1 else ''} to fix before "
                f"submitting" + (f" and {len(risks)} review risk(s)" if risks else "")
                + f". First: {first[0].upper()}{first[1:]}."
            )
        elif risks:
            self.summary.setText(f"Ready to submit — {len(risks)} review risk(s): Meta may "
                                 "reject it as INVALID_FORMAT.")
        else:
            self.summary.setText("Ready to submit: Meta reviews it, usually within minutes.")
        self.submit_button.setEnabled(not errors and not self.spinner.spinning)
        # A half-typed template may not render: keep the last preview then.
        with contextlib.suppress(Exception):
            shown = template_preview(defn, ticks="read")
            if self.sample_path is not None and shown.header_media in ("IMAGE", "DOCUMENT"):
                shown = replace(
                    shown, media_path=self.sample_path if shown.header_media == "IMAGE" else None,
                    media_name=Path(self.sample_path).name if shown.header_media == "DOCUMENT" else None)
            self.preview.set_message(shown)
        return problems

    # -- submit ----------------------------------------------------------------------
    def submit(self) -> None:
        self.errors.reveal_all()
        if self.validate_now() and any(p.is_error for p in self.problems):
            return
        defn = self.definition()
        self.banner.hide()
        self.spinner.start()
        self.submit_button.setEnabled(False)
        self.submit_button.setText("Submitting…")
        self.jobs.submit(self.templates.create, defn, name="submit template", owner=self,
                         on_result=self._submitted, on_error=self._failed, on_done=self._done)

    def _submitted(self, record: Any) -> None:
        self.hub.templates_changed.emit()
        self.hub.success(
            f"{record.name} ({record.language}) submitted",
            f"Status {record.status.lower()}: the table updates when Meta's review ends.",
        )
        self.submitted.emit(record)
        self.accept()

    def _failed(self, exc: object) -> None:
        from app.errors import describe

        problems = getattr(exc, "problems", None)
        if problems:
            self.errors.show([_per_variable(p) for p in problems])
        message, hint = describe(exc)  # type: ignore[arg-type]
        self.banner.set_text(f"Not submitted: {message}" + (f" — {hint}" if hint else ""))
        self.banner.show()

    def _done(self) -> None:
        self.spinner.stop()
        self.submit_button.setText("Submit for review")
        self.submit_button.setEnabled(not any(p.is_error for p in self.problems))


def _per_variable(problem: Any) -> Any:
    """Send "{{2}} has no example" to the example field of {{2}}, not the whole section."""
    if problem.field.endswith(".examples"):
        match = _VAR_IN_MESSAGE.search(problem.message)
        if match:
            return replace(problem, field=f"{problem.field}.{match.group(1).strip()}")
    return problem


