"""The composer's template form: pick a template and language, one field per variable,
prefilled with the template's examples, checked with the core's parameter rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.models.preview import template_preview
from app.models.preview_data import PreviewMessage
from app.views.composer_forms import Issue, MessageForm, Sender, _error, _label
from app.widgets.badge import StatusBadge
from easymo_core.templates.params import Location, Media, TemplateParams
from easymo_core.templates.variables import (
    check_parameters,
    example_parameters,
    required_parameters,
    url_example_suffix,
)

SAMPLE_MEDIA = {
    "IMAGE": "https://example.com/sample.jpg",
    "VIDEO": "https://example.com/sample.mp4",
    "DOCUMENT": "https://example.com/sample.pdf",
}
_FALLBACK_NOTE = (
    "Only approved templates are sent as they are. For this one the processor falls back "
    "as the profile allows: another approved language, or the text inside the 24-hour window."
)


class TemplateForm(MessageForm):
    kind = "template"

    def __init__(self, *, sandbox: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sandbox = sandbox
        self.records: list[Any] = []
        row = QHBoxLayout()
        self.template = QComboBox()
        self.template.setAccessibleName("Template")
        self.template.setMinimumWidth(220)
        self.language = QComboBox()
        self.language.setAccessibleName("Template language")
        row.addWidget(self.template, 2)
        row.addWidget(self.language, 1)
        self.box.addWidget(_label("Template and language"))
        self.box.addLayout(row)
        status_row = QHBoxLayout()
        self.badge = StatusBadge("")
        self.status_note = QLabel("")
        self.status_note.setObjectName("Hint")
        self.status_note.setWordWrap(True)
        status_row.addWidget(self.badge)
        status_row.addWidget(self.status_note, 1)
        self.box.addLayout(status_row)
        self.box.addWidget(_label("Values"))
        self.values_form = QFormLayout()
        self.values_form.setVerticalSpacing(4)
        self.box.addLayout(self.values_form)
        self.no_values = QLabel("This template has no variables.")
        self.no_values.setObjectName("Muted")
        self.box.addWidget(self.no_values)
        self.counts_error = _error()
        self.box.addWidget(self.counts_error)
        self.errors.register("body.parameters", self.counts_error)
        self.errors.register("header.parameters", self.counts_error)
        self.finish()
        self.edits: dict[str, QLineEdit] = {}
        self.template.currentIndexChanged.connect(self._template_chosen)
        self.language.currentIndexChanged.connect(self._language_chosen)

    # -- templates -------------------------------------------------------------------
    def set_records(self, records: Sequence[Any]) -> None:
        """The synced templates; keeps the current choice when it still exists.

        Background syncs call this every few seconds: when the chosen template did not
        change, the admin's typed values and the preview stay as they are.
        """
        current = (self.template.currentText(), self.language.currentData())
        before = self.record()
        names_before = sorted({(r.name, r.language) for r in self.records})
        self.records = list(records)
        after = self.record()
        same_list = names_before == sorted({(r.name, r.language) for r in self.records})
        if same_list and before is not None and after is not None \
                and before.definition == after.definition:
            if before.status != after.status:
                self._show_status(after)
            return
        names = sorted({r.name for r in records},
                       key=lambda n: (not any(r.status == "APPROVED" for r in records
                                              if r.name == n), n))
        self.template.blockSignals(True)
        self.template.clear()
        self.template.addItems(names)
        if current[0] in names:
            self.template.setCurrentText(current[0])
        self.template.blockSignals(False)
        self._template_chosen(keep_language=current[1])

    def choose(self, name: str, language: str | None = None) -> None:
        self.template.setCurrentText(name)
        if language is not None:
            index = self.language.findData(language)
            if index >= 0:
                self.language.setCurrentIndex(index)

    def record(self) -> Any | None:
        name, language = self.template.currentText(), self.language.currentData()
        return next((r for r in self.records if r.name == name and r.language == language), None)

    def _template_chosen(self, _index: int = 0, keep_language: str | None = None) -> None:
        name = self.template.currentText()
        languages = sorted((r for r in self.records if r.name == name),
                           key=lambda r: (r.status != "APPROVED", r.language))
        self.language.blockSignals(True)
        self.language.clear()
        for r in languages:
            self.language.addItem(f"{r.language} · {r.status.capitalize()}", r.language)
        index = self.language.findData(keep_language) if keep_language else -1
        self.language.setCurrentIndex(max(index, 0))
        self.language.blockSignals(False)
        self._language_chosen()

    def _language_chosen(self, _index: int = 0) -> None:
        record = self.record()
        self._build_values(record)
        self._show_status(record)
        self.changed.emit()

    def _show_status(self, record: Any | None) -> None:
        if record is None:
            self.badge.set_status("")
            self.status_note.setText("Sync templates to send one." if not self.records else "")
        else:
            self.badge.set_status(record.status)
            self.status_note.setText("" if record.status == "APPROVED" else _FALLBACK_NOTE)

    # -- values ----------------------------------------------------------------------
    def _build_values(self, record: Any | None) -> None:
        while self.values_form.rowCount():
            self.values_form.removeRow(0)
        self.errors.unregister_prefix("header.parameters.")
        self.errors.unregister_prefix("body.parameters.")
        self.errors.unregister_prefix("header.object")
        self.errors.unregister_prefix("buttons[")
        self.edits = {}
        if record is None:
            self.no_values.hide()
            return
        defn = record.definition
        req = required_parameters(defn)
        examples = example_parameters(defn)

        def add(key: str, path: str, label: str, value: str) -> None:
            edit = QLineEdit(value)
            edit.setAccessibleName(label)
            edit.textChanged.connect(self.changed)
            error = _error()
            holder = QWidget()
            column = _column(edit, error)
            holder.setLayout(column)
            self.values_form.addRow(label, holder)
            self.edits[key] = edit
            self.errors.register(path, error, edit)

        for name in req.header:
            add(f"header:{name}", f"header.parameters.{name}", f"Header {{{{{name}}}}}",
                str(getattr(examples.header.get(name), "fallback_value", examples.header.get(name))
                    or ""))
        if req.header_object:
            kind = req.header_object
            if kind == "LOCATION":
                add("object", "header.object", "Location (lat, long)",
                    "-1.9441, 30.0619" if self.sandbox else "")
            else:
                add("object", "header.object", f"{kind.capitalize()} link",
                    SAMPLE_MEDIA.get(kind, "") if self.sandbox else "")
        for name in req.body:
            value = examples.body.get(name)
            add(f"body:{name}", f"body.parameters.{name}", f"{{{{{name}}}}}",
                str(getattr(value, "fallback_value", value) or ""))
        for index, kind in req.buttons.items():
            button = defn.buttons[index]
            if kind == "URL":
                label = f"“{button.text}” URL suffix"
                value = url_example_suffix(button) or ""
            else:
                label = "Coupon code"
                value = button.example or ""
            add(f"button:{index}", f"buttons[{index}]", label, value)
        self.no_values.setVisible(not self.edits)

    def params(self) -> TemplateParams:
        header: dict[str, str] = {}
        body: dict[str, str] = {}
        buttons: dict[int, str] = {}
        header_object: Any = None
        record = self.record()
        for key, edit in self.edits.items():
            value = edit.text()
            kind, _, name = key.partition(":")
            if kind == "header":
                header[name] = value
            elif kind == "body":
                body[name] = value
            elif kind == "button":
                buttons[int(name)] = value
            elif kind == "object" and value.strip():
                header_object = _header_object(
                    record.definition.header.format if record else "", value
                )
        return TemplateParams(header=header, body=body, buttons=buttons,
                              header_object=header_object)

    def validate(self) -> list[Issue]:
        record = self.record()
        if record is None:
            return [Issue("template", "pick a template (sync first if the list is empty)")]
        return [Issue(p.field, p.message, p.is_error)
                for p in check_parameters(record.definition, self.params())]

    def preview(self) -> PreviewMessage:
        record = self.record()
        if record is None:
            return PreviewMessage(placeholder="Pick a template to preview it")
        try:
            return template_preview(record.definition, self.params())
        except Exception:
            return PreviewMessage(placeholder="This template cannot be previewed")

    def send_call(self) -> Sender:
        record = self.record()
        name = record.name if record else ""
        language = record.language if record else ""
        params = self.params()
        return lambda processor, to: processor.send_template(
            to, name, language, params, source="composer"
        )


def _column(edit: QLineEdit, error: QLabel) -> Any:
    from PySide6.QtWidgets import QVBoxLayout

    column = QVBoxLayout()
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(edit)
    column.addWidget(error)
    return column


def _header_object(fmt: str, value: str) -> Any:
    if fmt == "LOCATION":
        try:
            lat, lon = (float(x) for x in value.split(","))
        except ValueError:
            return None
        return Location(lat, lon)
    return Media(link=value.strip())
