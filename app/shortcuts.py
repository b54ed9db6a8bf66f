"""The console's keyboard shortcuts: one list for the key bindings, tooltips and Help.

Each page binds its own through ``bind`` (context: the page and its children, so Ctrl+F on
Messages never reaches the hidden Templates page); Help ▸ Keyboard shortcuts shows ``ALL``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

SEND = ("Ctrl+Return", "Ctrl+Enter")
FIND = ("Ctrl+F",)

# (keys as shown, what they do), in the order Help lists them
ALL: tuple[tuple[str, str], ...] = (
    ("Ctrl+1 … Ctrl+6", "Go to Dashboard, Templates, Compose, Messages, Flows, Settings"),
    ("Ctrl+Enter", "Compose: send the message"),
    ("Ctrl+F", "Templates, Messages: search"),
    ("Tab / Shift+Tab", "Next / previous control (also out of a table or a message body)"),
    ("Arrow keys", "Move in a table or list"),
    ("Esc", "Template editor: close (asks before discarding changes)"),
    ("F1", "This list"),
)


def native(keys: str) -> str:
    """How this platform writes ``keys`` (⌘ on macOS)."""
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def with_key(text: str, keys: tuple[str, ...]) -> str:
    """A tooltip that names its shortcut: "Send (Ctrl+Enter)"."""
    return f"{text} ({native(keys[-1])})"


def bind(page: QWidget, keys: tuple[str, ...], action: Callable[[], object]) -> list[QShortcut]:
    shortcuts = []
    for key in keys:
        shortcut = QShortcut(QKeySequence(key), page)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(action)
        shortcuts.append(shortcut)
    return shortcuts


def focus_search(field: QWidget) -> None:
    field.setFocus(Qt.FocusReason.ShortcutFocusReason)
    select_all = getattr(field, "selectAll", None)
    if callable(select_all):
        select_all()
