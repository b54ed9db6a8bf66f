"""The audit log: who sent, submitted, changed a profile, a secret, a login or the roles

Revision ID: 0013_audit_log
Revises: 0012_roles_rls
Create Date: 2026-12-04 13:00:00.000000

``audit_log`` is append-only: on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE
to every role but the table's owner (and superusers, who could drop the trigger anyway); on
SQLite, with no roles, triggers refuse UPDATE and DELETE to everyone. The trigger SQL is
frozen under migrations/sql/0013_audit_log.

Row-level security (PostgreSQL), as 0012 gives every account table: a login reads the entries
of its accounts and its own (a login change names no account), and appends only entries in
its own name, so nobody but the owner can write an entry that says someone else did it.
An UPDATE or DELETE of rows it sees meets the append-only trigger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easymo_core.storage import frozen_sql

revision = "0013_audit_log"
down_revision = "0012_roles_rls"
branch_labels = None
depends_on = None

# 0012's account test, or the reader's own entries.
VISIBLE = (
    "(SELECT '*' = ANY (easymo_login_accounts())) OR waba_id = ANY ((SELECT easymo_login_accounts())::text[])"
    " OR db_login = current_user"
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("db_login", sa.String(length=64), nullable=False),
        sa.Column("os_user", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("waba_id", sa.String(length=32), server_default="", nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("target", sa.String(length=256), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    frozen_sql.run_ddl(op.get_bind(), revision, "append_only")
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"CREATE POLICY easymo_audit_read ON audit_log FOR SELECT USING ({VISIBLE})")
        # Rows a login sees reach the append-only trigger, which refuses in words; without
        # these an UPDATE or DELETE would silently change nothing.
        for command in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE POLICY easymo_audit_{command.lower()} ON audit_log FOR {command} USING ({VISIBLE})"
            )
        conn.exec_driver_sql(
            "CREATE POLICY easymo_audit_append ON audit_log FOR INSERT WITH CHECK (db_login = current_user)"
        )


def downgrade() -> None:
    frozen_sql.run_ddl(op.get_bind(), revision, "drop_append_only")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
