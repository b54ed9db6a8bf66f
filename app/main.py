"""``easymo-console``: the desktop console.

    easymo-console [--profile NAME] [--screenshots DIR] [--debug]

With no configuration it opens the sandbox profile. ``--screenshots DIR`` starts on the
sandbox with demo traffic, saves a PNG of each screen into DIR, and exits.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="easymo-console", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", help="profile to open (default: the active one)")
    parser.add_argument("--screenshots", metavar="DIR", type=Path,
                        help="save a PNG of each screen into DIR and exit")
    parser.add_argument("--debug", action="store_true", help="log at debug level")
    return parser.parse_args(argv)


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the console's font and style sheet (created once)."""
    from PySide6 import QtWidgets
    from PySide6.QtGui import QFont

    from app.resources import icon, style_sheet

    existing = QtWidgets.QApplication.instance()
    app = existing if isinstance(existing, QtWidgets.QApplication) else QtWidgets.QApplication(
        [sys.argv[0], *(argv or [])])
    app.setApplicationName("easyMO Console")
    app.setOrganizationName("easyMO")
    app.setApplicationDisplayName("easyMO Console")
    # The desktop entry's name (resources/easymo-console.desktop): docks group the windows
    # under its icon.
    app.setDesktopFileName("easymo-console")
    app.setWindowIcon(icon("easymo-console", size=64))
    font = QFont(app.font())
    font.setPixelSize(13)
    # Setting either again, even unchanged, re-polishes every widget alive (tests call this
    # once per test, with the widgets of earlier tests not yet deleted).
    if app.font() != font:
        app.setFont(font)
    sheet = style_sheet()
    if app.styleSheet() != sheet:
        app.setStyleSheet(sheet)
    _quiet_platform_noise()
    from app.main_thread_gc import install

    install(app)
    return app


# Said by the offscreen and minimal platforms on every window resize: harmless, and it
# buries the output of the benchmarks and the screenshot mode.
_NOISE = ("This plugin does not support propagateSizeHints()",)


def _quiet_platform_noise() -> None:
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if message in _NOISE:
            return
        sys.stderr.write(f"{message}\n")

    qInstallMessageHandler(handler)


def main(
    argv: list[str] | None = None, *, on_shown: Callable[[QApplication, MainWindow], None] | None = None
) -> int:
    """``on_shown`` runs once the window is shown, before the event loop (the start-up
    benchmark reports from there)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from easymo_core.config.paths import log_dir
    from easymo_core.logs import enable_crash_log, setup_logging

    setup_logging(debug=args.debug, log_file=log_dir() / "console.log")
    enable_crash_log(log_dir() / "crash.log", "easymo-console")
    app = make_app()
    from app.main_window import MainWindow

    if args.screenshots is not None:
        from app.screenshots import run_screenshots

        return run_screenshots(app, args.screenshots)
    window = MainWindow(profile=args.profile)
    window.show()
    window.open_profile(args.profile)
    if on_shown is not None:
        on_shown(app, window)
    code = app.exec()
    window.shutdown()
    if window.jobs.active:
        # A request to a stalled API can outlive the close by its whole timeout; Qt would
        # wait for that thread at exit. The servers are stopped and the database closed,
        # so nothing is lost by not waiting.
        import logging

        logging.shutdown()
        os._exit(int(code))
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
