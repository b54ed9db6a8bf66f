"""daily rollups, score histogram, cheaper analytics triggers

Revision ID: 0003_daily_rollups
Revises: 0002_analytics_triggers
Create Date: 2026-11-27 10:00:00.000000

The 30-day dashboard summed ~12,000 hourly delivery rows and scanned every contact for
the score deciles. This adds delivery_rollups_daily and error_rollups_daily (kept by
triggers on the hourly tables) and score_rollups (contacts per score decile by the hour of
their latest message, kept by triggers on contacts), backfilled from the existing rows.

It also replaces 0002's triggers with cheaper ones computing the same figures (frozen under
migrations/sql/0003_daily_rollups): WHEN clauses so a status that changes no figure runs no
trigger, plain upserts instead of nested derived tables, latency columns set BEFORE the
write on PostgreSQL, one contacts UPDATE per message.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easymo_core.storage import frozen_sql

revision = "0003_daily_rollups"
down_revision = "0002_analytics_triggers"
branch_labels = None
depends_on = None

# The latency histogram of this revision: 12 buckets a kind (bounds in its frozen triggers).
N_BUCKETS = 12


def _count(name: str, big: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger() if big else sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    conn = op.get_bind()
    frozen_sql.run_ddl(conn, revision, "drop_triggers")
    op.create_table(
        "delivery_rollups_daily",
        sa.Column("day_start", sa.BigInteger(), nullable=False),
        sa.Column("template_name", sa.String(length=512), nullable=False),
        sa.Column("template_language", sa.String(length=16), nullable=False),
        _count("sent"),
        _count("delivered"),
        _count("read"),
        _count("failed"),
        _count("replied"),
        _count("clicks"),
        _count("delivery_latency_sum_ms", big=True),
        _count("delivery_latency_count"),
        _count("read_latency_sum_ms", big=True),
        _count("read_latency_count"),
        *[_count(f"dl_h{i:02d}") for i in range(N_BUCKETS)],
        *[_count(f"rd_h{i:02d}") for i in range(N_BUCKETS)],
        sa.PrimaryKeyConstraint(
            "day_start", "template_name", "template_language", name=op.f("pk_delivery_rollups_daily")
        ),
    )
    op.create_table(
        "error_rollups_daily",
        sa.Column("day_start", sa.BigInteger(), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=False),
        _count("failures"),
        sa.PrimaryKeyConstraint("day_start", "error_code", name=op.f("pk_error_rollups_daily")),
    )
    op.create_table(
        "score_rollups",
        sa.Column("hour_start", sa.BigInteger(), nullable=False),
        sa.Column("decile", sa.Integer(), nullable=False),
        _count("contacts"),
        sa.Column("score_sum", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("hour_start", "decile", name=op.f("pk_score_rollups")),
    )
    frozen_sql.run_ddl(conn, revision, "create_triggers")
    frozen_sql.run(conn, revision, "rebuild_daily")


def downgrade() -> None:
    conn = op.get_bind()
    frozen_sql.run_ddl(conn, revision, "drop_triggers")
    op.drop_table("score_rollups")
    op.drop_table("error_rollups_daily")
    op.drop_table("delivery_rollups_daily")
    frozen_sql.run_ddl(conn, down_revision, "create_triggers")
