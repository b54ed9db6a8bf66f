"""Desktop notifications for alerts: the system tray's balloon where the desktop has a tray.

The console's own toast and banner are always shown; this adds the operating system's
notification, so an admin with the window behind others still hears of a failing template.
Where there is no tray (headless servers, the offscreen test platform, some Wayland
desktops) it says so by returning False and the in-window alert stands alone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QSystemTrayIcon

_tray: Any = None


def available() -> bool:
    return bool(QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages())


def notify(title: str, text: str, *, tray: Any = None) -> bool:
    """Show ``title``/``text`` as a desktop notification; False when the desktop has none."""
    global _tray
    if tray is None:
        if not available():
            return False
        if _tray is None:
            from app.resources import icon

            _tray = QSystemTrayIcon(icon("logo", "#25d366", 32), QApplication.instance())
            _tray.setToolTip("easyMO Console")
            _tray.show()
        tray = _tray
    tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 10_000)
    return True
