"""Files and folders only the user may read: profiles, logs, the SQLite database, exports.

They hold phone numbers, customer texts and settings of a business, so another account on the
same machine must not read them. POSIX permission bits do the job on Linux and macOS; on
Windows the user's profile folders are already private, and ``os.chmod`` only toggles the
read-only flag there, so these calls are harmless.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by the user only; an existing folder
    the user chose is left as it is."""
    if not path.exists():
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    return path


def private_opener(path: str, flags: int) -> int:
    """An ``opener`` for ``open()``: a file it creates is readable by the user only."""
    return os.open(path, flags, PRIVATE_FILE_MODE)


def ensure_private_file(path: Path) -> None:
    """Create ``path`` empty with user-only permissions if it does not exist yet, so a
    program that creates it later (SQLite, a log handler) does not make it world-readable."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))


def restrict(path: Path) -> None:
    """Make an existing file user-only; a file we cannot change is left as it is."""
    with contextlib.suppress(OSError):
        os.chmod(path, PRIVATE_FILE_MODE)
