"""Reading the audit log back, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from easymo_core.audit.record import audit_t
from easymo_core.storage.engine import Database

# The console shows at most this many entries of a period, newest first.
CONSOLE_LIMIT = 2000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    db_login: str
    os_user: str
    profile: str
    waba_id: str
    action: str
    target: str
    detail: dict[str, Any] | None

    @property
    def who(self) -> str:
        """login/os user/profile, with what is unknown left out (SQLite has no login)."""
        return "/".join(p for p in (self.db_login, self.os_user, self.profile) if p)

    def brief(self, width: int = 60) -> str:
        """The detail as key=value pairs on one line, cut to ``width`` characters."""
        if not self.detail:
            return ""
        text = ", ".join(f"{k}={v}" for k, v in self.detail.items())
        return text if len(text) <= width else text[: width - 1] + "…"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "db_login": self.db_login, "os_user": self.os_user,
            "profile": self.profile, "waba_id": self.waba_id, "action": self.action, "target": self.target,
            "detail": self.detail,
        }


def since(conn: Connection, t: datetime | None, *, limit: int | None = None) -> list[AuditEntry]:
    """Entries at or after ``t`` (every one when None), newest first."""
    query = select(audit_t).order_by(audit_t.c.at.desc(), audit_t.c.id.desc())
    if t is not None:
        query = query.where(audit_t.c.at >= t)
    if limit is not None:
        query = query.limit(limit)
    return [AuditEntry(**row._mapping) for row in conn.execute(query)]


def load(db: Database, t: datetime | None, *, limit: int = CONSOLE_LIMIT) -> list[AuditEntry]:
    """``since`` on a connection of its own (the console's worker)."""
    with db.engine.connect() as conn:
        return since(conn, t, limit=limit)
