"""analytics triggers

Revision ID: 0002_analytics_triggers
Revises: 0001_initial
Create Date: 2026-11-25 11:00:00.000000

Adds messages.response_ms, the activity_rollups table, the configurable session gap in
app_state, and the triggers that keep every analytics figure current on both dialects
(the SQL this revision runs is frozen under migrations/sql/0002_analytics_triggers;
storage/analytics_triggers.py describes what the current triggers keep). Figures of messages
already in the database are rebuilt once, set-based, so an upgraded database reads right.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easymo_core.errors import EasymoError
from easymo_core.storage import frozen_sql

revision = "0002_analytics_triggers"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

GAP_KEY = "analytics.session_gap"
DEFAULT_GAP_MS = 30 * 60 * 1000


def _session_gap_ms(conn: sa.Connection) -> int:
    value = conn.execute(
        sa.text("SELECT value FROM app_state WHERE key = :k").columns(sa.column("value", sa.JSON())),
        {"k": GAP_KEY},
    ).scalar()
    if isinstance(value, dict) and isinstance(value.get("ms"), int):
        return int(value["ms"])
    return DEFAULT_GAP_MS


def upgrade() -> None:
    op.add_column("messages", sa.Column("response_ms", sa.BigInteger(), nullable=True))
    op.create_table(
        "activity_rollups",
        sa.Column("hour_start", sa.BigInteger(), nullable=False),
        sa.Column("messages_in", sa.Integer(), server_default="0", nullable=False),
        sa.Column("messages_out", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sessions_started", sa.Integer(), server_default="0", nullable=False),
        sa.Column("user_responses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("user_response_ms_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("business_responses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("business_response_ms_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("satisfaction_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("satisfaction_sum", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sat_1", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sat_2", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sat_3", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sat_4", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sat_5", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("hour_start", name=op.f("pk_activity_rollups")),
    )
    conn = op.get_bind()
    # The gap is data, not code: an admin changes it without a migration (`easymo stats`
    # shows it); the triggers fall back on the same default if the row is removed.
    conn.execute(
        sa.text(
            "INSERT INTO app_state (key, value, updated_at) VALUES (:k, :v, :t) "
            "ON CONFLICT (key) DO NOTHING"
        ).bindparams(sa.bindparam("v", type_=sa.JSON())),
        {"k": GAP_KEY, "v": {"ms": DEFAULT_GAP_MS}, "t": 0},
    )
    frozen_sql.run_ddl(conn, revision, "create_triggers")
    frozen_sql.run(conn, revision, "rebuild_delivery")
    # Sessions carry flow and survey data that messages cannot give back.
    if conn.execute(sa.text("SELECT COUNT(*) FROM conversation_sessions")).scalar():
        raise EasymoError(
            "conversation sessions exist already; rebuilding them would lose flow and survey data",
            hint="the triggers keep them current; rebuild only an empty database",
        )
    frozen_sql.run(conn, revision, "rebuild_conversations", {"gap_ms": _session_gap_ms(conn)})


def downgrade() -> None:
    conn = op.get_bind()
    frozen_sql.run_ddl(conn, revision, "drop_triggers")
    conn.execute(sa.text("DELETE FROM app_state WHERE key = :k"), {"k": GAP_KEY})
    op.drop_table("activity_rollups")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("response_ms")
