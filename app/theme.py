"""Light and dark themes, following the system's colour scheme unless Settings says otherwise.

One style sheet (resources/style.qss) is written for the light theme; the dark one is the same
sheet with each colour swapped through ``DARK``, so a rule added to the sheet is never
forgotten in one of the two. Font sizes in the sheet are written in px against a 13 px body
and turned into points against the system font, so a user who asked for larger text gets it.
"""

from __future__ import annotations

import re
from typing import Literal

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.prefs import prefs

Theme = Literal["light", "dark"]
Choice = Literal["system", "light", "dark"]
CHOICES: tuple[Choice, ...] = ("system", "light", "dark")
_SETTING = "appearance/theme"
_BODY_PX = 13.0  # the body size the sheet's px sizes were drawn against

# Light colour in the sheet -> its dark counterpart. Colours missing here stay as they are
# (the sidebar is dark in both themes; the accent green reads on both backgrounds).
DARK: dict[str, str] = {
    "#f4f6f8": "#0f1519", "#ffffff": "#1b2329", "#111b21": "#e9edef", "#1f2a33": "#d9dee2",
    "#e1e6ea": "#2a353d", "#667781": "#95a3ad", "#3b4a54": "#c4ccd2", "#e3f5ec": "#10352c",
    "#cfd8dc": "#3a4750", "#b42318": "#ff8a80", "#f2f5f7": "#232e35", "#d92d20": "#f0524a",
    "#54656f": "#aab5bc", "#f0f2f4": "#161d22", "#d6dde2": "#34414a", "#c9d1d6": "#3d4a53",
    "#9fd9c8": "#1e4a3f", "#8c1d13": "#ffb4ab", "#0b6aa2": "#53a9e0", "#fffafa": "#2a1b1b",
    "#fff6db": "#3a3012", "#fff2e0": "#3a2a14", "#fdf0ef": "#3a1f1d", "#fde8e7": "#3d1f1d",
    "#fafbfc": "#1e272d", "#faf7f7": "#1d1f21", "#f7f9fa": "#202a31", "#f4fffb": "#7fa89b",
    "#f1d78c": "#6b5a1e", "#f0f2f5": "#26323a", "#f0b4ae": "#7a3a35", "#eedad8": "#4a3432",
    "#e7f6ef": "#10352c", "#e6f3fb": "#13303f", "#e6ebee": "#2a353d", "#d3a6a1": "#7a5a57",
    "#b8e8d6": "#1d5c4a", "#aab5bc": "#5a6870", "#a3afb7": "#5f6d75", "#8a5a00": "#f0b44c",
    "#7a3e06": "#f7b26b", "#6b4b00": "#f3d27a", "#1a7f4b": "#4cc38a", "#0b4f79": "#8cc8f0",
    "#008069": "#2fd3a8", "#006e56": "#5fe0bd", "#8696a0": "#8696a0",
}

# Colours the widgets paint themselves (charts, table text), per theme.
_PAINT: dict[Theme, dict[str, str]] = {
    "light": {"chart_bg": "#ffffff", "axis": "#667781", "error_text": "#b42318",
              "text": "#1f2a33", "muted": "#cfd8dc", "node_bg": "#f7f9fa"},
    "dark": {"chart_bg": "#1b2329", "axis": "#95a3ad", "error_text": "#ff8a80",
             "text": "#d9dee2", "muted": "#3a4750", "node_bg": "#202a31"},
}


class _Notifier(QObject):
    changed = Signal(str)  # the theme now in effect: "light" or "dark"


_state: dict[str, object] = {"theme": "light", "notifier": None}


def notifier() -> _Notifier:
    """Widgets that paint their own colours connect to ``notifier().changed``."""
    n = _state["notifier"]
    if not isinstance(n, _Notifier):
        n = _Notifier()
        _state["notifier"] = n
    return n


def current() -> Theme:
    return "dark" if _state["theme"] == "dark" else "light"


def paint(name: str) -> str:
    """A colour a widget paints itself, in the theme in effect."""
    return _PAINT[current()][name]


def system_theme() -> Theme:
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def saved_choice() -> Choice:
    value = str(prefs().value(_SETTING, "system"))
    for choice in CHOICES:
        if value == choice:
            return choice
    return "system"


def save_choice(choice: Choice) -> None:
    prefs().setValue(_SETTING, choice)


def resolve(choice: Choice | str) -> Theme:
    if choice == "dark":
        return "dark"
    if choice == "light":
        return "light"
    return system_theme()


def base_point_size(app: QApplication) -> float:
    """The system font's size in points (10 pt when the platform says nothing useful)."""
    size = QGuiApplication.font().pointSizeF()
    return size if size > 0 else 10.0


_PX = re.compile(r"font-size:\s*(\d+(?:\.\d+)?)px")
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def style_sheet(theme: Theme, base_pt: float) -> str:
    from app.resources import HERE
    from app.resources import style_sheet as light_sheet

    # Qt's style sheets take forward slashes on every platform.
    text = light_sheet().replace("@icons@", str(HERE / "icons").replace("\\", "/"))
    text = _PX.sub(lambda m: f"font-size: {float(m.group(1)) * base_pt / _BODY_PX:.1f}pt", text)
    if theme == "dark":
        text = _HEX.sub(lambda m: DARK.get(m.group(0).lower(), m.group(0)), text)
        text = text.replace("chevron-down.svg", "chevron-down-dark.svg")
    return text


def apply_theme(app: QApplication, choice: Choice | str | None = None) -> Theme:
    """Style ``app`` for ``choice`` (default: the saved one) and tell the painting widgets."""
    theme = resolve(choice if choice is not None else saved_choice())
    base_pt = base_point_size(app)
    font = QFont(app.font())
    font.setPointSizeF(base_pt)
    # Setting the font, palette or sheet again, even unchanged, re-polishes every widget alive
    # (tests apply the theme once per test, with earlier tests' widgets not yet deleted).
    if app.font() != font:
        app.setFont(font)
    palette = QPalette(app.palette())
    text, window, base = ((QColor("#e9edef"), QColor("#0f1519"), QColor("#1b2329"))
                          if theme == "dark" else
                          (QColor("#1f2a33"), QColor("#f4f6f8"), QColor("#ffffff")))
    for role, color in ((QPalette.ColorRole.WindowText, text), (QPalette.ColorRole.Text, text),
                        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.Window, window),
                        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.Button, base)):
        palette.setColor(role, color)
    if app.palette() != palette:
        app.setPalette(palette)
    sheet = style_sheet(theme, base_pt)
    if app.styleSheet() != sheet:
        app.setStyleSheet(sheet)
    changed = _state["theme"] != theme
    _state["theme"] = theme
    if changed:
        notifier().changed.emit(theme)
    return theme


def follow_system(app: QApplication) -> None:
    """Re-apply when the system switches scheme, unless Settings fixed one."""
    hints = QGuiApplication.styleHints()
    if hints is None:
        return

    def switched(_scheme: object) -> None:
        if saved_choice() == "system":
            apply_theme(app, "system")

    hints.colorSchemeChanged.connect(switched)
