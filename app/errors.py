"""How a failure reads in a widget: one message and one hint, never a traceback."""

from __future__ import annotations

import logging

from easymo_core.errors import EasymoError
from easymo_core.logs.redact import redact
from easymo_core.storage.engine import file_problem

log = logging.getLogger("easymo.console")


def describe(exc: BaseException | str) -> tuple[str, str]:
    """(message, hint) for ``exc``; unexpected exceptions are logged with their trace."""
    if isinstance(exc, str):
        return redact(exc), ""
    if isinstance(exc, EasymoError):
        return redact(exc.message), redact(exc.hint or "")
    problem = file_problem(exc)  # a corrupt or read-only database file: what to do, not a trace
    if problem is not None:
        log.warning("database file problem: %s", problem.message)
        return redact(problem.message), redact(problem.hint or "")
    log.error("unexpected error in the console", exc_info=exc)
    text = str(exc).strip() or type(exc).__name__
    return (
        redact(f"unexpected {type(exc).__name__}: {text[:200]}"),
        "details are in the easymo log file",
    )


def one_line(exc: BaseException | str) -> str:
    message, hint = describe(exc)
    return f"{message} — {hint}" if hint else message
