"""Recent test numbers per profile, kept in the data directory (not in QSettings, so tests
and portable installs that move EASYMO_DATA_DIR take them along)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from easymo_core.config.paths import data_dir

MAX_RECENT = 12
log = logging.getLogger("easymo.console.recent")


def _file() -> Path:
    return data_dir() / "console" / "recent_numbers.json"


def load(profile: str) -> list[str]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    numbers = data.get(profile, []) if isinstance(data, dict) else []
    return [n for n in numbers if isinstance(n, str)][:MAX_RECENT]


def remember(profile: str, number: str) -> list[str]:
    """Put ``number`` first in ``profile``'s list and save; returns the new list."""
    path = _file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    numbers = [number, *[n for n in data.get(profile, []) if n != number]][:MAX_RECENT]
    data[profile] = numbers
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".recent.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only data dir only loses the convenience
        log.warning("cannot save recent numbers: %s", exc)
    return numbers
