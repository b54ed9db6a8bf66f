"""Handlers and the redacting formatter."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Any

from easymo_core.logs.redact import mask_phones, redact
from easymo_core.private_files import private_dir, private_opener

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats, then removes secrets and (unless debugging) masks phone numbers."""

    def __init__(self, fmt: str = FORMAT, *, show_phones: bool = False) -> None:
        super().__init__(fmt)
        self.show_phones = show_phones

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record))
        return text if self.show_phones else mask_phones(text)


class ConsoleFormatter(RedactingFormatter):
    """For stderr: one line per record. Stack traces belong in the log file, not a user's face."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            record = logging.makeLogRecord(record.__dict__)
            record.exc_info = record.exc_text = record.stack_info = None
        return super().format(record)


def setup_logging(
    *, debug: bool = False, log_file: Path | None = None, console_level: int | None = None
) -> None:
    """Configure the root logger once per process; calling again replaces the handlers."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_easymo", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    formatter = RedactingFormatter(show_phones=debug)
    stream = logging.StreamHandler()
    stream.setLevel(
        console_level
        if console_level is not None
        else (logging.DEBUG if debug else logging.WARNING)
    )
    stream.setFormatter(formatter if debug else ConsoleFormatter(show_phones=False))
    stream._easymo = True  # type: ignore[attr-defined]
    root.addHandler(stream)
    if log_file is not None:
        try:
            private_dir(log_file.parent)
            fh = PrivateRotatingFileHandler(
                log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
            )
        except OSError:
            return  # a read-only home must not stop the CLI; stderr still gets warnings
        fh.setLevel(logging.DEBUG if debug else logging.INFO)
        fh.setFormatter(formatter)
        fh._easymo = True  # type: ignore[attr-defined]
        root.addHandler(fh)
    # httpx logs every request URL at INFO; keep it for debugging only.
    logging.getLogger("httpx").setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files, the first and each one after a rollover, only the user may
    read: log lines carry masked phone numbers, template names and error details."""

    def _open(self) -> Any:  # the base class types it TextIOWrapper; open() with a str mode is IO[Any]
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
                    opener=private_opener)
