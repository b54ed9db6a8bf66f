"""Who sent a message by hand: ``messages.admin`` holds the OS user of a composer, CLI or bulk
send, so a shared database tells which person of the team wrote to a customer."""

from __future__ import annotations

from easymo_core.os_user import MAX_LENGTH as ADMIN_MAX
from easymo_core.os_user import os_user

# Sends a person asks for; flows and the demo send on their own and name nobody.
HUMAN_SOURCES = frozenset({"cli", "composer", "bulk"})


def admin_for(source: str, admin: str | None) -> str | None:
    """The ``admin`` to record: the caller's, else the OS user for a send a person asked for."""
    if admin:
        return admin[:ADMIN_MAX]
    return os_user() if source in HUMAN_SOURCES else None
