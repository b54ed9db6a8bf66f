"""The group roles and their grants: deployment state, applied by code, not migration history.

`easymo db roles` creates the group roles easymo_admin, easymo_viewer and easymo_webhook
(NOLOGIN; a person's login is a member of one) and grants them exactly what this module
plans for the tables the database has now; `easymo db upgrade` applies the plan again when
the roles exist, so the table a later migration adds is covered. Each apply first revokes
everything from the three roles, so the grants are exactly the plan, whatever was before.
Which rows a login sees is row-level security's business (migration 0012); this decides
which tables and columns.

- admin: reads and writes every table of the console (messages, contacts, templates, bulk
  runs, flows, app_state, phone_numbers, the rollups, ...); audit_log only SELECT and INSERT
  (it is append-only); of the raw webhook tables every column but ``body``: a stored POST
  holds every account's messages, which no row policy can split, so only the owner and the
  webhook login read bodies (the embedded receiver and `easymo webhook replay` are theirs).
- viewer: SELECT on the same, never a write.
- webhook: what the receiver and the status ingest (easymo_core.webhook.intake,
  easymo_core.messaging.ingest) do. It stores POSTs (INSERT webhook_events) and must read
  its stored bodies again: intake.recover() re-ingests every unprocessed POST after a crash
  between the durable store and the ingest, and splits a failed group; that is what makes
  answering 200 before ingesting safe. Restricting it to unprocessed rows by a policy would
  also refuse the INSERT ... RETURNING of POSTs stored already processed, so it reads
  webhook_events whole (the body retention bounds what is there). It moves failures to
  webhook_dead_letters (INSERT only). It inserts and updates messages, status_events,
  contacts and phone_numbers, and updates templates' review status; of messages it may
  SELECT every column but body, payload and parameters (what people wrote). The triggers
  that keep contacts, sessions and rollups run as their owner (SECURITY DEFINER, 0012).
- none of them: DDL (CREATE on the schema is revoked from PUBLIC), account_grants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from easymo_core.roles.access import GROUP_ROLES, current_access
from easymo_core.roles.errors import SQLITE, RolesError

ADMIN, VIEWER, WEBHOOK = "easymo_admin", "easymo_viewer", "easymo_webhook"
# The tables whose rows name an account (row-level security since migration 0012).
ACCOUNT_TABLES = (
    "messages", "status_events", "contacts", "conversation_sessions", "flow_states", "templates",
    "bulk_jobs", "bulk_recipients", "meta_analytics", "phone_numbers",
    "delivery_rollups", "error_rollups", "delivery_rollups_daily", "error_rollups_daily",
    "activity_rollups", "score_rollups",
)
READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Columns holding what people wrote: the webhook login stores them, never reads them.
CONTENT = {"messages": ("body", "payload", "parameters")}
# Raw POSTs: every account's traffic in one body.
RAW_BODIES = {"webhook_events": ("body",), "webhook_dead_letters": ("body",)}
OWNER_ONLY = ("account_grants",)
APPEND_ONLY = ("audit_log",)
VERSION = "alembic_version"
WEBHOOK_TABLES: dict[str, tuple[str, ...]] = {
    "webhook_events": ("SELECT", "INSERT", "UPDATE"),
    "webhook_dead_letters": ("INSERT",),
    "messages": ("SELECT", "INSERT", "UPDATE"),
    "status_events": ("SELECT", "INSERT", "UPDATE"),
    "contacts": ("SELECT", "INSERT", "UPDATE"),
    "phone_numbers": ("SELECT", "INSERT", "UPDATE"),
    "templates": ("SELECT", "UPDATE"),
    VERSION: ("SELECT",),
}
# SQLSTATEs of a role another session created first: duplicate_object, unique_violation.
ALREADY_THERE = ("42710", "23505")


@dataclass(frozen=True)
class Grant:
    role: str
    table: str
    privileges: tuple[str, ...]
    # SELECT limited to these columns (None: the whole row).
    columns: tuple[str, ...] | None = None

    def describe(self) -> str:
        parts = list(self.privileges)
        if self.columns is not None:
            parts.append(f"SELECT ({', '.join(self.columns)})")
        return ", ".join(parts)


def plan(tables: dict[str, list[str]]) -> list[Grant]:
    """The grants of the three roles on ``tables`` ({name: columns}), in a stable order."""
    grants: list[Grant] = []
    for name in sorted(tables):
        if name in OWNER_ONLY:
            continue
        columns = tables[name]
        hidden = RAW_BODIES.get(name, ())
        readable = tuple(c for c in columns if c not in hidden) if hidden else None
        if name == VERSION:
            grants += [Grant(ADMIN, name, ("SELECT",)), Grant(VIEWER, name, ("SELECT",))]
        elif name in APPEND_ONLY:
            grants += [Grant(ADMIN, name, ("SELECT", "INSERT")), Grant(VIEWER, name, ("SELECT",))]
        elif readable is not None:
            grants += [Grant(ADMIN, name, READ_WRITE[1:], readable), Grant(VIEWER, name, (), readable)]
        else:
            grants += [Grant(ADMIN, name, READ_WRITE), Grant(VIEWER, name, ("SELECT",))]
        if name in WEBHOOK_TABLES:
            privileges = WEBHOOK_TABLES[name]
            secret = CONTENT.get(name, ())
            if secret and "SELECT" in privileges:
                grants.append(Grant(
                    WEBHOOK, name, tuple(p for p in privileges if p != "SELECT"),
                    tuple(c for c in columns if c not in secret),
                ))
            else:
                grants.append(Grant(WEBHOOK, name, privileges))
    return sorted(grants, key=lambda g: (list(GROUP_ROLES).index(g.role), g.table))


def _tables(conn: Connection) -> dict[str, list[str]]:
    rows = conn.execute(text(
        "SELECT c.relname, a.attname FROM pg_class c"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
        " ORDER BY c.relname, a.attnum"
    )).all()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _require_postgresql(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise SQLITE


def may_manage_roles(conn: Connection) -> bool:
    return bool(conn.execute(text(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar())


def require_manager(conn: Connection, what: str) -> None:
    """Refuse unless this login may create roles and owns the tables."""
    _require_postgresql(conn)
    login = conn.execute(text("SELECT current_user")).scalar_one()
    if not may_manage_roles(conn):
        raise RolesError(
            f"login {login} may not {what}: it lacks CREATEROLE",
            hint="run it as the database owner with CREATEROLE (or a superuser), "
                 "e.g. `ALTER ROLE owner CREATEROLE` by a superuser",
        )
    if current_access(conn).role != "owner":
        raise RolesError(
            f"login {login} may not {what}: it does not own the easymo tables",
            hint="run it as the login that ran `easymo db upgrade` (the owner of the tables)",
        )


def group_roles_exist(conn: Connection) -> bool:
    found = conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:n)"),
                         {"n": list(GROUP_ROLES)}).scalar_one()
    return int(found) == len(GROUP_ROLES)


def create_group_roles(engine: Engine) -> list[str]:
    """Create the missing group roles, each in its own transaction; the ones created.

    Roles are cluster-wide: another database's `easymo db roles` (or a parallel test) may
    create the same one meanwhile, which is as good as creating it here.
    """
    created: list[str] = []
    for name in GROUP_ROLES:
        # No look first: between a look and the CREATE another session could create it.
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"CREATE ROLE {name} NOLOGIN")
            created.append(name)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in ALREADY_THERE:
                raise
    return created


def apply(conn: Connection) -> list[Grant]:
    """Grant the three roles exactly the plan for the tables there are now; the plan."""
    _require_postgresql(conn)
    raw = conn.connection.driver_connection
    assert raw is not None, "a live psycopg connection"
    schema = sql.Identifier(str(conn.execute(text("SELECT current_schema()")).scalar_one()))
    database = sql.Identifier(str(conn.execute(text("SELECT current_database()")).scalar_one()))
    roles = sql.SQL(", ").join(sql.Identifier(r) for r in GROUP_ROLES)
    grants = plan(_tables(conn))
    statements: list[sql.Composable] = [
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, roles),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, roles),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC, {}").format(schema, roles),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, roles),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, roles),
        sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}, {}").format(
            schema, sql.Identifier(ADMIN), sql.Identifier(WEBHOOK)),
    ]
    for g in grants:
        if g.privileges:
            statements.append(sql.SQL("GRANT {} ON TABLE {} TO {}").format(
                sql.SQL(", ").join(sql.SQL(p) for p in g.privileges), sql.Identifier(g.table),
                sql.Identifier(g.role)))
        if g.columns is not None:
            statements.append(sql.SQL("GRANT SELECT ({}) ON TABLE {} TO {}").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in g.columns), sql.Identifier(g.table),
                sql.Identifier(g.role)))
    statements += [
        sql.SQL("ALTER FUNCTION {} SECURITY DEFINER SET search_path = {}, pg_temp").format(
            sql.SQL(fn), schema)
        for fn in _trigger_functions(conn)
    ]
    with raw.cursor() as cur:
        for stmt in statements:
            cur.execute(stmt)
    return grants


def _trigger_functions(conn: Connection) -> Iterable[str]:
    """The analytics trigger functions, once migration 0012 made them SECURITY DEFINER: a
    later migration that re-creates one (CREATE OR REPLACE) would make it the invoker's again.
    Only those of the easymo_* triggers on the account tables: a guard elsewhere (audit_log's
    append-only trigger) must see who really writes."""
    if conn.execute(text("SELECT to_regclass('account_grants')")).scalar() is None:
        return []
    return list(conn.execute(text(
        "SELECT DISTINCT t.tgfoid::regprocedure::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND t.tgname ~ '^easymo_'"
        " AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(:tables) ORDER BY 1"
    ), {"tables": list(ACCOUNT_TABLES)}).scalars())


def setup(engine: Engine) -> list[Grant]:
    """`easymo db roles`: refuse unless allowed, create the group roles, apply the grants."""
    with engine.connect() as conn:
        require_manager(conn, "create roles")
    create_group_roles(engine)
    with engine.begin() as conn:
        return apply(conn)


def reapply_if_set_up(engine: Engine) -> list[Grant] | None:
    """After `easymo db upgrade`: the grants again when the group roles exist and this login
    may grant (the new tables of the migration covered); None when there is nothing to do."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.begin() as conn:
        if not group_roles_exist(conn):
            return None
        if current_access(conn).role != "owner":
            return None
        return apply(conn)
