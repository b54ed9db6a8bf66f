"""Append one row to the audit log, in the caller's transaction."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, literal_column
from sqlalchemy.engine import Connection

from easymo_core.os_user import os_user
from easymo_core.storage.models import AuditLog
from easymo_core.storage.types import utcnow

audit_t = cast(Table, AuditLog.__table__)

# The dotted names an entry may carry (docs/audit.md says what each records).
ACTIONS = frozenset({
    "message.send", "bulk.start", "bulk.finish", "template.submit", "template.delete",
    "profile.add", "profile.edit", "profile.remove", "secret.set", "secret.delete",
    "login.add", "login.remove", "roles.apply",
})


def record(
    conn: Connection,
    *,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    profile: str,
    waba_id: str,
) -> None:
    """Append ``action`` on ``target`` by whoever runs this. Names only in ``detail``,
    never a secret value. Part of ``conn``'s transaction: the entry stands or falls with
    the change it records."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    # PostgreSQL says who the server let in (a person's login, or the owner's); the value
    # is taken in the INSERT itself, so recording costs no round trip of its own.
    login = literal_column("current_user") if conn.dialect.name == "postgresql" else ""
    conn.execute(audit_t.insert().values(
        at=utcnow(),
        db_login=login,
        os_user=os_user() or "",
        profile=profile[:64],
        waba_id=waba_id[:32],
        action=action,
        target=target[:256],
        detail=detail,
    ))
