"""PostgreSQL trigger functions keep generic plans; a send joins the conversation BEFORE its row is written

Revision ID: 0006_tuned_pg_triggers
Revises: 0005_statement_rollups
Create Date: 2026-12-02 00:00:00.000000

Two changes to how PostgreSQL runs the analytics triggers, no change to what they keep:

* every trigger function is created with ``SET plan_cache_mode = force_generic_plan``, so
  its statements are planned once per session instead of on most calls;
* the conversation work of an outbound message that Meta accepted (its wamid is set) runs
  in a BEFORE trigger that assigns the message's session and response time to NEW, instead
  of an AFTER trigger that wrote the row a second time.

SQLite's triggers are recreated unchanged. The downgrade puts 0005's triggers back.
"""

from __future__ import annotations

from alembic import op

from easymo_core.storage import frozen_sql

revision = "0006_tuned_pg_triggers"
down_revision = "0005_statement_rollups"
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
