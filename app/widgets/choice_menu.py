"""Filter menus whose choices come from the data: an "All …" item, then the values seen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox


def refill(combo: QComboBox, values: Sequence[Any], label: Callable[[Any], str]) -> None:
    """Make the choices after the first item ``values``, keeping the current choice (added
    at the end when the data no longer has it). Nothing changes, and no signal fires, when
    the choices are already those: a live page refills on every refresh."""
    current = combo.currentData()
    wanted = list(values)
    if current is not None and current not in wanted:
        wanted.append(current)
    if [combo.itemData(i) for i in range(1, combo.count())] == wanted:
        return
    combo.blockSignals(True)
    while combo.count() > 1:
        combo.removeItem(1)
    for value in wanted:
        combo.addItem(label(value), value)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.blockSignals(False)
