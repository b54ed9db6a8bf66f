"""A person's (or the receiver's) PostgreSQL login: add, list, remove.

A login is a LOGIN role, a member of exactly one group role (easymo_admin, easymo_viewer,
easymo_webhook), with its accounts in account_grants ('*' = every account). Roles are
cluster-wide, account_grants belongs to this database: a login made for another database
of the same server is listed here with the accounts this database grants it (maybe none).

The password reaches the server only as a SCRAM-SHA-256 verifier computed here by libpq
(PQencryptPasswordConn): never in clear in a statement, so never in the server's log. Names
are quoted as identifiers (psycopg.sql.Identifier), never formatted into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import Connection

from easymo_core.roles.access import ALL_ACCOUNTS, GROUP_ROLES
from easymo_core.roles.errors import SQLITE, RolesError
from easymo_core.roles.grants import group_roles_exist, require_manager

ROLE_NAMES = {role: group for group, role in GROUP_ROLES.items()}  # "admin" -> "easymo_admin"
LOGIN_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,62}")
WABA_ID = re.compile(r"[0-9A-Za-z_-]{1,32}")


@dataclass(frozen=True)
class LoginInfo:
    login: str
    role: str  # admin, viewer or webhook
    accounts: tuple[str, ...] | None  # None = every account
    can_log_in: bool

    def accounts_text(self) -> str:
        if self.accounts is None:
            return "every account (*)"
        return ", ".join(self.accounts) if self.accounts else "none in this database"

    def as_json(self) -> dict[str, Any]:
        return {"login": self.login, "role": self.role, "can_log_in": self.can_log_in,
                "accounts": ALL_ACCOUNTS if self.accounts is None else list(self.accounts)}


def check_login_name(login: str) -> None:
    if (not LOGIN_NAME.fullmatch(login) or login.startswith("pg_") or login in GROUP_ROLES
            or login == "public"):
        raise RolesError(
            f"login name {login!r} is not allowed",
            hint="use 1-63 lowercase letters, digits, '_', '.' or '-', starting with a letter or '_' "
                 "(not pg_…, public or an easymo_ group role)",
        )


def _role(role: str) -> str:
    if role not in ROLE_NAMES:
        raise RolesError(f"role {role!r} is unknown", hint=f"use one of {', '.join(ROLE_NAMES)}")
    return ROLE_NAMES[role]


def _execute(conn: Connection, stmt: sql.Composable) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None, "a live psycopg connection"
    with raw.cursor() as cur:
        cur.execute(stmt)


def add(conn: Connection, login: str, role: str, password: str, wabas: Sequence[str] = ()) -> LoginInfo:
    """Create ``login`` as a member of ``role``'s group, seeing ``wabas`` (none: every account)."""
    group = _role(role)
    check_login_name(login)
    for waba in wabas:
        if waba != ALL_ACCOUNTS and not WABA_ID.fullmatch(waba):
            raise RolesError(f"{waba!r} is no WhatsApp Business Account id",
                             hint="pass the WABA's id (digits) to --waba")
    if not password:
        raise RolesError("no password on standard input",
                         hint="pipe the login's password into --password-stdin")
    require_manager(conn, "create logins")
    if not group_roles_exist(conn):
        raise RolesError("the easymo group roles do not exist yet", hint="run `easymo db roles` first")
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": login}).first():
        raise RolesError(
            f"login {login} exists already",
            hint=f"choose another name, or remove it first with `easymo db user remove {login}`",
        )
    raw = conn.connection.driver_connection
    assert raw is not None, "a live psycopg connection"
    verifier = raw.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256")
    _execute(conn, sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
        sql.Identifier(login), sql.Literal(verifier.decode()), sql.Identifier(group)))
    accounts = sorted(set(wabas)) if wabas and ALL_ACCOUNTS not in wabas else [ALL_ACCOUNTS]
    conn.execute(text("DELETE FROM account_grants WHERE login = :l"), {"l": login})
    conn.execute(text("INSERT INTO account_grants (login, waba_id) VALUES (:l, :w)"),
                 [{"l": login, "w": w} for w in accounts])
    return LoginInfo(login, role, None if accounts == [ALL_ACCOUNTS] else tuple(accounts), True)


def list_all(conn: Connection) -> list[LoginInfo]:
    """Every login member of an easymo group role, with its accounts in this database."""
    if conn.dialect.name != "postgresql":
        raise SQLITE
    rows = conn.execute(text(
        "SELECT r.rolname, g.rolname, r.rolcanlogin"
        " AND (r.rolvaliduntil IS NULL OR r.rolvaliduntil > now())"
        " FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid"
        " JOIN pg_roles g ON g.oid = m.roleid"
        " WHERE g.rolname = ANY(:groups) ORDER BY r.rolname, g.rolname"
    ), {"groups": list(GROUP_ROLES)}).all()
    grants: dict[str, list[str]] = {}
    if conn.execute(text("SELECT to_regclass('account_grants')")).scalar() is not None:
        for login, waba in conn.execute(text("SELECT login, waba_id FROM account_grants ORDER BY 1, 2")):
            grants.setdefault(login, []).append(waba)
    found: dict[str, LoginInfo] = {}
    for login, group, can in rows:
        if login in found:
            continue  # a member of two groups: the first (widest) one, as current_access does
        wabas = grants.get(login, [])
        accounts = None if ALL_ACCOUNTS in wabas else tuple(wabas)
        found[login] = LoginInfo(login, GROUP_ROLES[group], accounts, bool(can))
    return sorted(found.values(), key=lambda i: i.login)


def remove(conn: Connection, login: str) -> LoginInfo:
    """Drop ``login`` and its account grants; only a member of an easymo group role."""
    check_login_name(login)
    require_manager(conn, "remove logins")
    info = next((i for i in list_all(conn) if i.login == login), None)
    if info is None:
        raise RolesError(f"{login} is no easymo login", hint="see `easymo db user list`")
    if login == conn.execute(text("SELECT current_user")).scalar_one():
        raise RolesError(f"{login} is the login doing this", hint="remove it while signed in as another")
    conn.execute(text("DELETE FROM account_grants WHERE login = :l"), {"l": login})
    _execute(conn, sql.SQL("DROP ROLE {}").format(sql.Identifier(login)))
    return info
