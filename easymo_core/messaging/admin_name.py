"""Who sent a message by hand: ``messages.admin`` holds the OS user of a composer, CLI or bulk
send, so a shared database tells which person of the team wrote to a customer."""

from __future__ import annotations

import functools
import getpass

# Sends a person asks for; flows and the demo send on their own and name nobody.
HUMAN_SOURCES = frozenset({"cli", "composer", "bulk"})
ADMIN_MAX = 64  # messages.admin is String(64)


@functools.cache  # asked once per process: a send at 1,000 msg/s should not ask each time
def os_user() -> str | None:
    """The OS user name, or None where the system cannot tell (no USER/LOGNAME and no
    password-database entry, as in some containers): a send never fails for want of it."""
    try:
        name = getpass.getuser()
    except Exception:  # getpass raises OSError, KeyError or ImportError depending on the platform
        return None
    return name[:ADMIN_MAX] or None


def admin_for(source: str, admin: str | None) -> str | None:
    """The ``admin`` to record: the caller's, else the OS user for a send a person asked for."""
    if admin:
        return admin[:ADMIN_MAX]
    return os_user() if source in HUMAN_SOURCES else None
