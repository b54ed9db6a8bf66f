"""The frame every page shares: a title row with actions, then the page's own body."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class Page(QWidget):
    def __init__(self, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 18)
        outer.setSpacing(14)
        head = QHBoxLayout()
        head.setSpacing(10)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = QLabel(title)
        self.title.setObjectName("PageTitle")
        titles.addWidget(self.title)
        self.subtitle = QLabel(subtitle)
        self.subtitle.setObjectName("PageSubtitle")
        self.subtitle.setVisible(bool(subtitle))
        self.subtitle.setWordWrap(True)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        self.header_actions = QHBoxLayout()
        self.header_actions.setSpacing(8)
        head.addLayout(self.header_actions)
        outer.addLayout(head)
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body, 1)

    def add_action(
        self, text: str, *, primary: bool = False, danger: bool = False, name: str = ""
    ) -> QPushButton:
        button = QPushButton(text)
        button.setProperty("primary", primary)
        button.setProperty("danger", danger)
        if name:
            button.setObjectName(name)
        self.header_actions.addWidget(button)
        return button

    # Pages that poll override these; the window calls them on navigation and close.
    def activated(self) -> None:
        """The page became visible."""

    def deactivated(self) -> None:
        """Another page was chosen."""

    def shutdown(self) -> None:
        """The window or the profile is closing: stop timers."""


def card(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("Card")
    return frame


def primary(button: QPushButton) -> QPushButton:
    button.setProperty("primary", True)
    return button
