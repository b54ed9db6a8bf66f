"""The frame every page shares: a title row with actions, then the page's own body."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from easymo_core.roles.access import Access


class Page(QWidget):
    # The database login's Access (set by the window when the session opens), or None.
    access: Access | None = None

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

    # -- what the login may do ---------------------------------------------------------
    def write_actions(self) -> list[tuple[QWidget, str]]:
        """The page's widgets that change data, each with its action in plain words ("send
        messages"); pages with such widgets override this."""
        return []

    def set_access(self, access: Access | None) -> None:
        """A login that may not write gets every write action disabled, saying why."""
        from app.widgets.write_lock import lock_writes

        self.access = access
        if access is not None and not access.may_write:
            self.write_locks = lock_writes(self.write_actions(), access.role)

    def acting(self, action: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` for a worker: a database refusal while it runs reads "your role viewer
        cannot ACTION", with who can grant it."""
        from easymo_core.permissions import refusing

        access = self.access

        def run(*args: Any, **kwargs: Any) -> Any:
            with refusing(action, None, access=access):
                return fn(*args, **kwargs)

        return run

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
