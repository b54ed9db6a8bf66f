"""The editor's button rows: quick reply, URL, phone number and copy code."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from easymo_core.templates.model import Button

BUTTON_TYPES = {
    "QUICK_REPLY": "Quick reply",
    "URL": "Visit website",
    "PHONE_NUMBER": "Call phone number",
    "COPY_CODE": "Copy offer code",
}


class ButtonRow(QFrame):
    """One button of the template; emits ``changed`` on every edit and ``removed`` on ✕."""

    changed = Signal()
    removed = Signal(object)

    def __init__(self, kind: str, button: Button | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName("ButtonRow")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 6, 0, 6)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        head = QHBoxLayout()
        title = QLabel(BUTTON_TYPES.get(kind, kind))
        title.setObjectName("FieldLabel")
        head.addWidget(title)
        head.addStretch(1)
        remove = QPushButton("Remove")
        remove.setFlat(True)
        remove.setProperty("danger", True)
        remove.setAccessibleName(f"Remove {BUTTON_TYPES.get(kind, kind)} button")
        remove.clicked.connect(lambda: self.removed.emit(self))
        head.addWidget(remove)
        grid.addLayout(head, 0, 0, 1, 2)
        self.text = QLineEdit()
        self.text.setPlaceholderText("Button text (up to 25 characters)")
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.com/orders/{{1}}")
        self.example = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("+15551234567")
        row = 1
        if kind != "COPY_CODE":
            grid.addWidget(self.text, row, 0, 1, 2)
            row += 1
        else:
            self.text.hide()
        if kind == "URL":
            grid.addWidget(self.url, row, 0)
            self.example.setPlaceholderText("Example URL, e.g. https://example.com/orders/42")
            grid.addWidget(self.example, row, 1)
            row += 1
        elif kind == "PHONE_NUMBER":
            grid.addWidget(self.phone, row, 0, 1, 2)
            row += 1
        elif kind == "COPY_CODE":
            self.example.setPlaceholderText("Example code (up to 15 characters), e.g. SPRING25")
            grid.addWidget(self.example, row, 0, 1, 2)
            row += 1
        else:
            self.url.hide()
            self.example.hide()
        self.error = QLabel("")
        grid.addWidget(self.error, row, 0, 1, 2)
        if button is not None:
            self.text.setText(button.text or "")
            self.url.setText(button.url or "")
            self.example.setText(button.example or "")
            self.phone.setText(button.phone_number or "")
        for edit in (self.text, self.url, self.example, self.phone):
            edit.textChanged.connect(self.changed)

    def button(self) -> Button:
        def value(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        if self.kind == "URL":
            return Button(type="URL", text=value(self.text), url=value(self.url),
                          example=value(self.example))
        if self.kind == "PHONE_NUMBER":
            return Button(type="PHONE_NUMBER", text=value(self.text),
                          phone_number=value(self.phone))
        if self.kind == "COPY_CODE":
            return Button(type="COPY_CODE", example=value(self.example))
        return Button(type=self.kind, text=value(self.text))

    def field_widgets(self) -> dict[str, QWidget]:
        """Sub-paths of ``buttons[i]`` and the widget each one outlines in red."""
        return {"text": self.text, "url": self.url, "example": self.example,
                "phone_number": self.phone}
