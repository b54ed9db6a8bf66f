"""The audit log: who sent, submitted, changed a profile, a secret, a login or the roles

Revision ID: 0013_audit_log
Revises: 0011_accounts
Create Date: 2026-12-04 13:00:00.000000

``audit_log`` is append-only: on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE
to every role but the table's owner (and superusers, who could drop the trigger anyway); on
SQLite, with no roles, triggers refuse UPDATE and DELETE to everyone. The trigger SQL is
frozen under migrations/sql/0013_audit_log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easymo_core.storage import frozen_sql

revision = "0013_audit_log"
down_revision = "0012_roles_rls"
branch_labels = None
depends_on = None


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


def downgrade() -> None:
    frozen_sql.run_ddl(op.get_bind(), revision, "drop_append_only")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
