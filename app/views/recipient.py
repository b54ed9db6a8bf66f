"""The composer's recipient: E.164 checked as you type, recent test numbers offered."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QLabel, QVBoxLayout, QWidget

from app import recent
from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.phone import normalize_phone


class RecipientField(QWidget):
    changed = Signal()

    def __init__(self, profile: str, *, suggestions: tuple[str, ...] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(3)
        title = QLabel("To")
        title.setObjectName("FieldLabel")
        box.addWidget(title)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setAccessibleName("Recipient phone number")
        line = self.combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("+15551234567 (with the country code)")
        numbers = recent.load(profile)
        for n in suggestions:
            if n not in numbers:
                numbers.append(n)
        self.combo.addItems(numbers)
        self.combo.setCurrentIndex(-1)
        self.combo.setEditText(numbers[0] if numbers else "")
        completer = QCompleter(numbers, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.combo.setCompleter(completer)
        box.addWidget(self.combo)
        self.status = QLabel("")
        self.status.setObjectName("Hint")
        box.addWidget(self.status)
        self.combo.editTextChanged.connect(self._edited)
        self._edited(self.combo.currentText())

    def text(self) -> str:
        return self.combo.currentText().strip()

    def set_text(self, text: str) -> None:
        self.combo.setEditText(text)

    def normalized(self) -> str | None:
        """The number as E.164 digits, or None while it is not valid."""
        try:
            return normalize_phone(self.text())
        except PayloadError:
            return None

    def error(self) -> str | None:
        if not self.text():
            return "Enter the test phone's number with its country code"
        try:
            normalize_phone(self.text())
        except PayloadError as exc:
            return exc.message.replace("to ", "The number ", 1)
        return None

    def remember(self) -> None:
        number = self.text()
        numbers = recent.remember(self.profile, number)
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(numbers)
        self.combo.setEditText(number)
        self.combo.blockSignals(False)
        completer = self.combo.completer()
        if completer is not None:
            completer.model().setStringList(numbers)  # type: ignore[attr-defined]

    def _edited(self, _text: str) -> None:
        problem = self.error()
        wa_id = self.normalized()
        if problem is None and wa_id is not None:
            self.status.setObjectName("Hint")
            self.status.setText(f"✓ +{wa_id}")
        else:
            self.status.setObjectName("FieldError")
            self.status.setText(problem or "")
        self.combo.setProperty("error", problem is not None and bool(self.text()))
        for w in (self.status, self.combo):
            w.style().unpolish(w)
            w.style().polish(w)
        self.changed.emit()
