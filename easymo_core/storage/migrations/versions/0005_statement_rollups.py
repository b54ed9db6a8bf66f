"""delivery_rollups summed per statement on PostgreSQL

Revision ID: 0005_statement_rollups
Revises: 0004_rollups_by_phone_number
Create Date: 2026-12-01 22:00:00.000000

On PostgreSQL the triggers that keep delivery_rollups from inserts and status updates of
outbound messages run once per statement (with transition tables) instead of once per row,
so a receiver's group commit changes each hour's rollup row once per statement rather than
once per status (the SQL under migrations/sql/0005_statement_rollups). SQLite has no statement
triggers; its triggers are recreated unchanged. No table changes: the figures stay as they
are, and the downgrade puts the row triggers back.
"""

from __future__ import annotations

from alembic import op

from easymo_core.storage import frozen_sql

revision = "0005_statement_rollups"
down_revision = "0004_rollups_by_phone_number"
branch_labels = None
depends_on = None


def _recreate(at: str) -> None:
    conn = op.get_bind()
    frozen_sql.run_ddl(conn, revision, "drop_triggers")
    frozen_sql.run_ddl(conn, at, "create_triggers")


def upgrade() -> None:
    _recreate(revision)


def downgrade() -> None:
    _recreate(down_revision)
