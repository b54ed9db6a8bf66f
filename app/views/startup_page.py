"""Shown while a profile opens (the sandbox's servers start), or when it cannot open."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.widgets.spinner import Spinner

TEXT_WIDTH = 580  # the longest line of the explanation, in pixels


class StartupPage(QWidget):
    retry = Signal()
    open_settings = Signal()
    create_tables = Signal()  # the admin asked for the schema of an empty/old database

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        self.spinner = Spinner(self, size=34)
        layout.addWidget(self.spinner, 0, Qt.AlignmentFlag.AlignHCenter)
        self.title = QLabel("")
        self.title.setObjectName("PageTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.text = QLabel("")
        self.text.setObjectName("PageSubtitle")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        # Word-wrapped labels take the layout's whole width (an alignment flag would give them
        # their one-line size hint and squeeze them); resizeEvent's margins keep lines short.
        layout.addWidget(self.text)
        self.hint = QLabel("")
        self.hint.setObjectName("Hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.retry_button = QPushButton("Try again")
        self.retry_button.setProperty("primary", True)
        self.retry_button.clicked.connect(self.retry)
        self.settings_button = QPushButton("Open Settings")
        self.settings_button.clicked.connect(self.open_settings)
        self.tables_button = QPushButton("Create the tables…")
        self.tables_button.setObjectName("CreateTables")
        self.tables_button.setProperty("primary", True)
        self.tables_button.clicked.connect(self.create_tables)
        self.tables_button.hide()
        buttons.addWidget(self.tables_button)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.settings_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(3)
        self.column = layout

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        side = max(24, (event.size().width() - TEXT_WIDTH) // 2)
        self.column.setContentsMargins(side, 24, side, 24)

    def show_opening(self, profile: str, sandbox: bool) -> None:
        self.title.setText(f"Opening {profile}…")
        self.text.setText(
            "Starting the embedded Cloud API sandbox, the webhook receiver and the simulated "
            "users on 127.0.0.1." if sandbox else
            "Connecting to the database and the Cloud API."
        )
        self.hint.setText("")
        self.spinner.start()
        self.retry_button.hide()
        self.settings_button.hide()
        self.tables_button.hide()

    def show_failed(self, profile: str, message: str, hint: str) -> None:
        self.spinner.stop()
        self.title.setText(f"Profile {profile} could not be opened")
        self.text.setText(message)
        self.hint.setText(hint)
        self.retry_button.show()
        self.settings_button.show()
        self.tables_button.hide()

    def offer_tables(self, state: str) -> None:
        """The database is reachable but ``state`` ("empty" or "behind"): offer to fix it."""
        self.tables_button.setText("Create the tables…" if state == "empty"
                                   else "Upgrade the tables…")
        self.tables_button.show()
        self.retry_button.setProperty("primary", False)
        self.retry_button.style().unpolish(self.retry_button)
        self.retry_button.style().polish(self.retry_button)
