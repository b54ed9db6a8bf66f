"""Row-level security per account (PostgreSQL)

Revision ID: 0012_roles_rls
Revises: 0011_accounts
Create Date: 2026-12-04 13:40:00.000000

The table account_grants(login, waba_id) says which accounts a login may see, '*' meaning
every account. On PostgreSQL every table whose rows name an account gets row-level security:
one policy for SELECT, INSERT, UPDATE and DELETE letting a login see and write only rows of
its accounts. The tables' owner bypasses it (no FORCE): migrations, the rebuild and the
owner's own console see everything.

The account lookup is the STABLE SECURITY DEFINER function easymo_login_accounts(), written
``(SELECT easymo_login_accounts())`` in the policies so that it runs once per query (an
InitPlan), not once per row. Being SECURITY DEFINER it reads account_grants, on which logins
have no privilege, and it names the caller by ``session_user`` (inside it ``current_user`` is
its owner): a login's grants follow the login it signed in with, not a role it SET ROLE to.

The analytics trigger functions become SECURITY DEFINER with a fixed search_path, so that
the contacts, sessions and rollups a message's trigger writes stay whole whatever the
writing login may see or write itself. They are found in the catalog (the functions of the
easymo_* triggers on the account tables), which at this revision are those of 0011.

SQLite has no logins: account_grants is created there too (one schema, one set of models)
and nothing reads it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_roles_rls"
down_revision = "0011_accounts"
branch_labels = None
depends_on = None

ACCOUNT_TABLES = (
    "messages", "status_events", "contacts", "conversation_sessions", "flow_states", "templates",
    "bulk_jobs", "bulk_recipients", "meta_analytics", "phone_numbers",
    "delivery_rollups", "error_rollups", "delivery_rollups_daily", "error_rollups_daily",
    "activity_rollups", "score_rollups",
)
POLICY = "easymo_accounts"
SCHEDULER_ONLY = "starts_with(key, 'scheduler.')"
VISIBLE = "((SELECT '*' = ANY (easymo_login_accounts())) OR waba_id = ANY ((SELECT easymo_login_accounts())::text[]))"
# The functions of the easymo_* triggers on those tables: the analytics triggers (not, say,
# an append-only guard elsewhere, which must see who really writes).
TRIGGER_FUNCTIONS = (
    "SELECT DISTINCT t.tgfoid::regprocedure::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE NOT t.tgisinternal AND t.tgname ~ '^easymo_' AND c.relnamespace = current_schema()::regnamespace"
    f" AND c.relname IN ({', '.join(repr(name) for name in ACCOUNT_TABLES)}) ORDER BY 1"
)


def _schema(conn: sa.Connection) -> str:
    return str(conn.exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one())


def upgrade() -> None:
    op.create_table(
        "account_grants",
        sa.Column("login", sa.String(length=63), nullable=False),
        sa.Column("waba_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("login", "waba_id", name=op.f("pk_account_grants")),
    )
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    schema = _schema(conn)
    conn.exec_driver_sql(
        "CREATE FUNCTION easymo_login_accounts() RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER"
        f" SET search_path = {schema}, pg_temp SET plan_cache_mode = force_generic_plan AS $body$"
        " SELECT coalesce(array_agg(waba_id::text), '{}') FROM account_grants WHERE login = session_user"
        " $body$"
    )
    for table in ACCOUNT_TABLES:
        conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"CREATE POLICY {POLICY} ON {table} USING {VISIBLE} WITH CHECK {VISIBLE}")
    for fn in conn.exec_driver_sql(TRIGGER_FUNCTIONS).scalars():
        conn.exec_driver_sql(f"ALTER FUNCTION {fn} SECURITY DEFINER SET search_path = {schema}, pg_temp")
    # app_state is shared by every account: logins read it all but write only the scheduler's
    # job state; a setting such as the session gap, which the owner's triggers apply to every
    # account's figures, is the owner's to change.
    conn.exec_driver_sql("ALTER TABLE app_state ENABLE ROW LEVEL SECURITY")
    conn.exec_driver_sql("CREATE POLICY easymo_state_read ON app_state FOR SELECT USING (true)")
    conn.exec_driver_sql(f"CREATE POLICY easymo_state_insert ON app_state FOR INSERT WITH CHECK ({SCHEDULER_ONLY})")
    for command in ("UPDATE", "DELETE"):
        conn.exec_driver_sql(
            f"CREATE POLICY easymo_state_{command.lower()} ON app_state FOR {command} USING ({SCHEDULER_ONLY})"
        )


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for name in ("read", "insert", "update", "delete"):
            conn.exec_driver_sql(f"DROP POLICY IF EXISTS easymo_state_{name} ON app_state")
        conn.exec_driver_sql("ALTER TABLE app_state DISABLE ROW LEVEL SECURITY")
        for fn in conn.exec_driver_sql(TRIGGER_FUNCTIONS).scalars():
            conn.exec_driver_sql(f"ALTER FUNCTION {fn} SECURITY INVOKER RESET search_path")
        for table in ACCOUNT_TABLES:
            conn.exec_driver_sql(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS easymo_login_accounts()")
    op.drop_table("account_grants")
