"""Routes validation problems to the field they name.

Core validators name fields with stable paths ("header.text", "buttons[1].url",
"body.examples"). Each editor registers its widgets under those paths; a problem for a
path with no widget of its own goes to the nearest registered parent ("buttons[1].url"
→ "buttons[1]" → "buttons"), and anything left over to the form's general list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QWidget

_PARENT_RE = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def parent_path(path: str) -> str | None:
    parent = _PARENT_RE.sub("", path)
    return parent if parent != path and parent else None


@dataclass
class _Slot:
    label: QLabel
    widgets: list[QWidget] = field(default_factory=list)


def _restyle(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class _Toucher(QObject):
    """Tells FieldErrors that the user typed in, or left, one field's widget."""

    def __init__(self, path: str, touch: Callable[[str], None], widget: QWidget) -> None:
        super().__init__(widget)
        self.path, self.touch = path, touch

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FocusOut, QEvent.Type.KeyPress):
            self.touch(self.path)
        return False


class FieldErrors:
    def __init__(self, general: QLabel | None = None) -> None:
        self.general = general
        self._slots: dict[str, _Slot] = {}
        self._widgets: dict[str, QWidget] = {}
        self.shown: dict[str, list[str]] = {}
        # None: every problem shows. A set: only problems of fields the user touched (a blank
        # form is not a list of mistakes); reveal_all() when they try to submit.
        self.touched: set[str] | None = None
        self._last: list[Any] = []

    def track_touches(self) -> None:
        self.touched = set()
        self.show(self._last)

    def reveal_all(self) -> None:
        self.touched = None
        self.show(self._last)

    def touch(self, path: str) -> None:
        if self.touched is not None and path not in self.touched:
            self.touched.add(path)
            self.show(self._last)

    def _watch(self, path: str, widget: QWidget) -> None:
        widget.installEventFilter(_Toucher(path, self.touch, widget))

    def _visible(self, problem: Any) -> bool:
        if self.touched is None:
            return True
        probe: str | None = str(problem.field)
        while probe is not None:
            if probe in self.touched:
                return True
            probe = parent_path(probe)
        return False

    def register(self, path: str, label: QLabel, *widgets: QWidget) -> None:
        """Problems for ``path`` (and its children without a slot) appear in ``label``."""
        label.setObjectName("FieldError")
        label.setWordWrap(True)
        label.hide()
        self._slots[path] = _Slot(label, list(widgets))
        for w in widgets:
            self._widgets.setdefault(path, w)
            self._watch(path, w)

    def mark(self, path: str, widget: QWidget) -> None:
        """``widget`` gets the red border for problems on exactly ``path``."""
        self._widgets[path] = widget
        self._watch(path, widget)

    def unregister_prefix(self, prefix: str) -> None:
        for path in [p for p in self._slots if p.startswith(prefix)]:
            del self._slots[path]
        for path in [p for p in self._widgets if p.startswith(prefix)]:
            del self._widgets[path]

    def slot_for(self, path: str) -> str | None:
        probe: str | None = path
        while probe is not None:
            if probe in self._slots:
                return probe
            probe = parent_path(probe)
        return None

    def show(self, problems: Iterable[Any]) -> None:
        """Replace what is shown with ``problems`` (objects with field/message/is_error)."""
        self._last = list(problems)
        visible = [p for p in self._last if self._visible(p)]
        by_slot: dict[str, list[Any]] = {}
        leftovers: list[Any] = []
        flagged: set[str] = set()
        for problem in visible:
            slot = self.slot_for(problem.field)
            if slot is None:
                leftovers.append(problem)
            else:
                by_slot.setdefault(slot, []).append(problem)
            if getattr(problem, "is_error", True):
                probe: str | None = problem.field
                while probe is not None and probe not in self._widgets:
                    probe = parent_path(probe)
                if probe is not None:
                    flagged.add(probe)
        self.shown = {}
        for path, entry in self._slots.items():
            items = by_slot.get(path, [])
            self.shown[path] = [p.message for p in items]
            entry.label.setVisible(bool(items))
            entry.label.setText("\n".join(_line(p) for p in items))
            risk_only = bool(items) and all(not getattr(p, "is_error", True) for p in items)
            name = "FieldRisk" if risk_only else "FieldError"
            if entry.label.objectName() != name:
                entry.label.setObjectName(name)
                _restyle(entry.label)
        for path, widget in self._widgets.items():
            bad = path in flagged
            if bool(widget.property("error")) != bad:
                widget.setProperty("error", bad)
                _restyle(widget)
        if self.general is not None:
            self.general.setVisible(bool(leftovers))
            self.general.setText("\n".join(f"{p.field}: {_line(p)}" for p in leftovers))
            self.shown["*"] = [p.message for p in leftovers]

    def messages(self, path: str) -> list[str]:
        return self.shown.get(path, [])


def _line(problem: Any) -> str:
    text = str(problem.message)
    text = text[0].upper() + text[1:] if text else text
    if not getattr(problem, "is_error", True):
        return f"Review risk: {text}"
    return text
