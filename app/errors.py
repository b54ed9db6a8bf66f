"""How a failure reads in a widget: one message and one hint, never a traceback."""

from __future__ import annotations

import logging
import re

from easymo_core.errors import EasymoError
from easymo_core.logs.redact import redact
from easymo_core.storage.engine import file_problem

log = logging.getLogger("easymo.console")


# The operating system's words for a failed connection or file, as admins would say them.
_PLAIN = (
    (re.compile(r"\[(?:Errno 111|Errno 61|WinError 10061)\][^\n;]*", re.I),
     "the connection was refused (nothing is listening at that address)"),
    (re.compile(r"\[(?:Errno -[235]|Errno 8|Errno 11001)\][^\n;]*", re.I),
     "the host name could not be found"),
    (re.compile(r"\[(?:Errno 110|Errno 60|WinError 10060)\][^\n;]*", re.I), "the connection timed out"),
    (re.compile(r"\[(?:Errno 113|Errno 101|Errno 65|Errno 51)\][^\n;]*", re.I),
     "the network cannot reach that address"),
    (re.compile(r"\[Errno 13\][^\n;]*", re.I), "permission denied"),
    (re.compile(r"\[Errno 28\][^\n;]*", re.I), "the disk is full"),
    (re.compile(r"\[Errno 2\][^\n;]*", re.I), "no such file or folder"),
    (re.compile(r"\[Errno 30\][^\n;]*", re.I), "the disk is read-only"),
    (re.compile(r"\[(?:Errno|WinError) -?\d+\]\s*", re.I), ""),
)


def plain(text: str) -> str:
    """``text`` without the operating system's "[Errno 111] Connection refused" codes."""
    for pattern, words in _PLAIN:
        text = pattern.sub(words, text)
    return text


def describe(exc: BaseException | str) -> tuple[str, str]:
    """(message, hint) for ``exc``; unexpected exceptions are logged with their trace."""
    message, hint = _describe(exc)
    return plain(message), plain(hint)


def _describe(exc: BaseException | str) -> tuple[str, str]:
    if isinstance(exc, str):
        return redact(exc), ""
    if isinstance(exc, EasymoError):
        return redact(exc.message), redact(exc.hint or "")
    from easymo_core.permissions import ADMIN_HINT, is_refusal

    if is_refusal(exc):  # a write no caller named an action for (see Page.acting): a grant is missing
        log.info("database refusal", exc_info=exc)
        return "the database refused this to your login", ADMIN_HINT
    problem = file_problem(exc)  # a corrupt or read-only database file: what to do, not a trace
    if problem is not None:
        log.warning("database file problem: %s", problem.message)
        return redact(problem.message), redact(problem.hint or "")
    if isinstance(exc, OSError):
        # A file that cannot be written, a server that does not answer: the user's to fix.
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return redact(f"{exc.strerror or exc}{where}"), "check the path or the address, then try again"
    log.error("unexpected error in the console", exc_info=exc)
    text = str(exc).strip() or type(exc).__name__
    return (
        redact(f"unexpected {type(exc).__name__}: {text[:200]}"),
        "details are in the easymo log file",
    )


def one_line(exc: BaseException | str) -> str:
    message, hint = describe(exc)
    return f"{message} — {hint}" if hint else message
