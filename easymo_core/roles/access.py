"""What the connected database login may do: its role and the accounts it may see.

SQLite has no logins: whoever opens the file does everything ("single-user"). On PostgreSQL
the owner of the tables (or a superuser) is "owner" and bypasses row-level security; any other
login is a member of one of the group roles easymo_admin, easymo_viewer or easymo_webhook and
sees the accounts ``account_grants`` names for it ('*' = every account).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

Role = Literal["owner", "admin", "viewer", "webhook", "single-user", "none"]

ALL_ACCOUNTS = "*"
GROUP_ROLES: dict[str, Role] = {
    "easymo_admin": "admin",
    "easymo_viewer": "viewer",
    "easymo_webhook": "webhook",
}


@dataclass(frozen=True)
class Access:
    login: str  # database login; "" on SQLite
    role: Role  # "single-user" on SQLite; "owner" = owns the tables / superuser
    accounts: tuple[str, ...] | None  # None = every account

    @property
    def may_write(self) -> bool:
        return self.role in ("owner", "admin", "single-user")

    @property
    def may_read_bodies(self) -> bool:
        return self.role not in ("webhook", "none")

    def sees(self, waba_id: str) -> bool:
        """Whether rows of account ``waba_id`` are visible to this login."""
        return self.accounts is None or waba_id in self.accounts


def current_access(conn: Connection) -> Access:
    """The role and accounts of the login ``conn`` is signed in as."""
    if conn.dialect.name != "postgresql":
        return Access(login="", role="single-user", accounts=None)
    login = str(conn.execute(text("SELECT current_user")).scalar_one())
    if _is_owner(conn):
        return Access(login=login, role="owner", accounts=None)
    return Access(login=login, role=_group_role(conn), accounts=_accounts(conn))


def _is_owner(conn: Connection) -> bool:
    # A member of the owning role counts as the owner: it may ALTER the tables and bypasses RLS.
    # Before the schema exists, whoever may create it in the current schema is its owner-to-be.
    row = conn.execute(
        text(
            "SELECT r.rolsuper,"
            " (SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c"
            "   WHERE c.oid = to_regclass('messages')),"
            " has_schema_privilege(current_schema(), 'CREATE')"
            " FROM pg_roles r WHERE r.rolname = current_user"
        )
    ).one()
    superuser, owns_messages, may_create = row
    if superuser:
        return True
    if owns_messages is None:
        return bool(may_create)
    return bool(owns_messages)


def _group_role(conn: Connection) -> Role:
    names = set(
        conn.execute(
            text(
                "SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"
                " AND pg_has_role(current_user, oid, 'MEMBER')"
            ),
            {"names": list(GROUP_ROLES)},
        ).scalars()
    )
    # A login is a member of exactly one; should it be of several, the widest wins.
    for name, role in GROUP_ROLES.items():
        if name in names:
            return role
    return "none"


def _accounts(conn: Connection) -> tuple[str, ...] | None:
    # account_grants exists from migration 0012 on; the login reads its own rows through the
    # SECURITY DEFINER function the policies use (it has no SELECT on the table itself).
    if conn.execute(text("SELECT to_regprocedure('easymo_login_accounts()')")).scalar() is not None:
        found = conn.execute(text("SELECT easymo_login_accounts()")).scalar()
        accounts = list(found or [])
    elif conn.execute(
        text(
            "SELECT to_regclass('account_grants') IS NOT NULL"
            " AND has_table_privilege(to_regclass('account_grants'), 'SELECT')"
        )
    ).scalar():
        accounts = list(
            conn.execute(
                text("SELECT waba_id FROM account_grants WHERE login = current_user")
            ).scalars()
        )
    else:
        return ()
    if ALL_ACCOUNTS in accounts:
        return None
    return tuple(sorted(set(accounts)))
