"""Latency histograms exact to Meta's one-second resolution

Revision ID: 0010_exact_latency_bins
Revises: 0009_bulk_exactly_once
Create Date: 2026-12-04 10:30:00.000000

The 12 latency buckets (250 ms to an hour) made p50 and p95 interpolations off by up to a
factor of two: Meta's timestamps are whole seconds, and a 1-2 s bucket full of 1 s
deliveries read as 1.3-2 s. delivery_rollups and delivery_rollups_daily now keep 94 bins a
kind: one second wide below a minute (a percentile there is exact), wider above (10 s to
two minutes, then 1 min, 10 min, 1 h, 6 h, a day) and a week and more open; each column is
named by where its bin starts (dl_from_0s ... rd_from_604800s).

Both tables are created anew and rebuilt from the messages (the source of truth), with the
triggers dropped meanwhile; the downgrade does the same back to 0007's buckets. The SQL is
frozen under migrations/sql/0010_exact_latency_bins (the downgrade runs 0004's rebuild and
0006's triggers, which built 0007's tables).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from easymo_core.storage import frozen_sql

revision = "0010_exact_latency_bins"
down_revision = "0009_bulk_exactly_once"
branch_labels = None
depends_on = None

TABLES = {
    "delivery_rollups": "hour_start",
    "delivery_rollups_daily": "day_start",
}
BIN_STARTS_S = (
    *range(0, 60),
    *range(60, 120, 10),
    *range(120, 600, 60),
    *range(600, 3_600, 600),
    *range(3_600, 21_600, 3_600),
    *range(21_600, 86_400, 21_600),
    *range(86_400, 604_800, 86_400),
    604_800,
)
# 0002 to 0007: dl_h00 ... dl_h11, rd_h00 ... rd_h11.
OLD_BUCKETS = 12


def _count(name: str, big: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger() if big else sa.Integer(), server_default="0", nullable=False)


def _recreate(bin_names: list[str]) -> None:
    for name, time_column in TABLES.items():
        op.drop_table(name)
        op.create_table(
            name,
            sa.Column(time_column, sa.BigInteger(), nullable=False),
            sa.Column("phone_number_id", sa.String(length=32), nullable=False),
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
            *[_count(c) for c in bin_names],
            sa.PrimaryKeyConstraint(
                time_column, "phone_number_id", "template_name", "template_language", name=op.f(f"pk_{name}")
            ),
        )


def upgrade() -> None:
    conn = op.get_bind()
    frozen_sql.run_ddl(conn, revision, "drop_triggers")
    _recreate([f"{kind}_from_{s}s" for kind in ("dl", "rd") for s in BIN_STARTS_S])
    # Before the triggers: nothing mirrors the bulk inserts only to be replaced.
    frozen_sql.run(conn, revision, "rebuild_delivery")
    frozen_sql.run(conn, revision, "rebuild_daily")
    frozen_sql.run_ddl(conn, revision, "create_triggers")


def downgrade() -> None:
    conn = op.get_bind()
    frozen_sql.run_ddl(conn, revision, "drop_triggers")
    _recreate([f"{kind}_h{i:02d}" for kind in ("dl", "rd") for i in range(OLD_BUCKETS)])
    frozen_sql.run(conn, "0004_rollups_by_phone_number", "rebuild_delivery")
    frozen_sql.run(conn, "0004_rollups_by_phone_number", "rebuild_daily")
    frozen_sql.run_ddl(conn, "0006_tuned_pg_triggers", "create_triggers")
