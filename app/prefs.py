"""The console's own preferences (window geometry, theme), in console.ini beside profiles.toml.

Not QSettings' default place: the config directory follows EASYMO_CONFIG_DIR, so tests and
the screenshot mode never read or change the admin's real preferences.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings


def prefs() -> QSettings:
    from easymo_core.config.paths import config_dir

    return QSettings(str(config_dir() / "console.ini"), QSettings.Format.IniFormat)
