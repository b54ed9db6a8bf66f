"""A crash log: where a crash that is not a Python exception leaves its trace.

A fault in Qt or another C extension kills the process with a signal (SIGSEGV, SIGABRT,
SIGBUS, SIGFPE, SIGILL), past every ``except``: nothing reaches the log, and the person
sees the window vanish. With the crash log on, ``faulthandler`` writes every thread's
Python stack to a file the next start does not overwrite, so the crash can be reported
and found. It holds function and file names only, never a value, so no secret or phone
number goes into it.
"""

from __future__ import annotations

import faulthandler
import os
import time
from pathlib import Path
from typing import IO, Any

from easymo_core.private_files import private_dir, private_opener

# Kept open for the life of the process: faulthandler writes to its descriptor at crash time.
_open: list[IO[Any]] = []
MAX_BYTES = 1_000_000  # past this, the next start begins the file again


def enable_crash_log(path: Path, program: str) -> Path | None:
    """Send crash traces to ``path`` (appended, with a line per start); returns the path, or
    None when it cannot be written or the stacks already go somewhere (``python -X
    faulthandler`` or PYTHONFAULTHANDLER: a developer asked for them on stderr)."""
    if faulthandler.is_enabled():
        return None
    try:
        private_dir(path.parent)
        mode = "w" if path.exists() and path.stat().st_size > MAX_BYTES else "a"
        file = open(path, mode, encoding="utf-8", opener=private_opener)  # noqa: SIM115 (kept open)
    except OSError:
        return None  # a read-only home must not stop the program
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    file.write(f"--- {program} started {stamp} UTC, pid {os.getpid()}\n")
    file.flush()
    faulthandler.enable(file=file, all_threads=True)
    _open.append(file)
    return path
