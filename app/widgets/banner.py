"""A full-width strip above a page: the sandbox notice, or an error with its hint."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

Kind = Literal["sandbox", "info", "warning", "error"]
_ICON = {"sandbox": "⚑", "info": "ℹ", "warning": "⚠", "error": "⚠"}


class Banner(QFrame):
    action_clicked = Signal()
    closed = Signal()

    def __init__(
        self,
        kind: Kind = "info",
        text: str = "",
        *,
        action: str | None = None,
        closable: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.setProperty("kind", kind)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 7, 10, 7)
        layout.setSpacing(10)
        self.icon = QLabel(_ICON[kind])
        self.icon.setObjectName("BannerIcon")
        self.label = QLabel(text)
        self.label.setObjectName("BannerText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(self.label.textFormat().PlainText)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        self.action = QPushButton(action or "")
        self.action.setObjectName("BannerAction")
        self.action.setVisible(bool(action))
        self.action.clicked.connect(self.action_clicked)
        layout.addWidget(self.action)
        self.close_button = QPushButton("✕")
        self.close_button.setObjectName("BannerClose")
        self.close_button.setFlat(True)
        self.close_button.setVisible(closable)
        self.close_button.setAccessibleName("Dismiss")
        self.close_button.clicked.connect(self._close)
        layout.addWidget(self.close_button)

    def set_kind(self, kind: Kind) -> None:
        self.setProperty("kind", kind)
        self.icon.setText(_ICON[kind])
        # Dynamic properties only restyle after an unpolish/polish.
        self.style().unpolish(self)
        self.style().polish(self)

    def set_text(self, text: str) -> None:
        self.label.setText(text)

    def text(self) -> str:
        return self.label.text()

    def _close(self) -> None:
        self.hide()
        self.closed.emit()
