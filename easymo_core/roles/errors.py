"""What `easymo db roles` and `easymo db user` refuse, with what to do instead."""

from __future__ import annotations

from easymo_core.errors import EasymoError


class RolesError(EasymoError):
    """Roles or logins cannot be managed here: SQLite, a login without the right, a bad name."""


SQLITE = RolesError(
    "SQLite is single-user: it has no roles",
    hint="roles and logins need a shared PostgreSQL database (--db-url postgresql://...)",
)
