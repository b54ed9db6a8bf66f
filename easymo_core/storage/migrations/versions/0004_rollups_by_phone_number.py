"""message rollups keyed by phone number

Revision ID: 0004_rollups_by_phone_number
Revises: 0003_daily_rollups
Create Date: 2026-12-01 16:00:00.000000

Several profiles (one WhatsApp phone number each) may share a database; their delivery
figures were summed. This adds phone_number_id to the keys of delivery_rollups,
error_rollups and their daily copies, so the analytics can show one number.

A primary key cannot be altered on SQLite, and the rollups are derived from messages (the
source of truth): the four tables are created anew and rebuilt from the messages, with
the triggers dropped meanwhile. The downgrade does the same back to 0003's keys.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from easymo_core.storage import frozen_sql

revision = "0004_rollups_by_phone_number"
down_revision = "0003_daily_rollups"
branch_labels = None
depends_on = None

# The latency histogram of this revision: 12 buckets a kind (bounds in its frozen triggers).
N_BUCKETS = 12
TABLES = ("delivery_rollups", "error_rollups", "delivery_rollups_daily", "error_rollups_daily")
_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "hour_start": sa.BigInteger(),
    "day_start": sa.BigInteger(),
    "phone_number_id": sa.String(length=32),
    "template_name": sa.String(length=512),
    "template_language": sa.String(length=16),
    "error_code": sa.Integer(),
}


def _count(name: str, big: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger() if big else sa.Integer(), server_default="0", nullable=False)


def _delivery_figures() -> list[sa.Column[int]]:
    return [
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
    ]


def _create(name: str, key: tuple[str, ...], figures: list[sa.Column[int]]) -> None:
    op.create_table(
        name,
        *[sa.Column(k, _TYPES[k], nullable=False) for k in key],
        *figures,
        sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}")),
    )


def _keys(by_number: bool) -> dict[str, tuple[str, ...]]:
    number = ("phone_number_id",) if by_number else ()
    return {
        "delivery_rollups": ("hour_start", *number, "template_name", "template_language"),
        "error_rollups": ("hour_start", *number, "template_name", "template_language", "error_code"),
        "delivery_rollups_daily": ("day_start", *number, "template_name", "template_language"),
        "error_rollups_daily": ("day_start", *number, "error_code"),
    }


def _recreate(by_number: bool) -> None:
    """The four tables with the keys of 0004 (``by_number``) or 0003, rebuilt from messages."""
    conn = op.get_bind()
    frozen_sql.run_ddl(conn, revision, "drop_triggers")
    for name in TABLES:
        op.drop_table(name)
    for name, key in _keys(by_number).items():
        _create(name, key, _delivery_figures() if name.startswith("delivery") else [_count("failures")])
    # Before the triggers: nothing mirrors the bulk inserts only to be replaced. 0003 built
    # delivery_rollups as 0002 left them.
    delivery, daily = (revision, revision) if by_number else ("0002_analytics_triggers", down_revision)
    frozen_sql.run(conn, delivery, "rebuild_delivery")
    frozen_sql.run(conn, daily, "rebuild_daily")
    frozen_sql.run_ddl(conn, revision if by_number else down_revision, "create_triggers")


def upgrade() -> None:
    _recreate(by_number=True)


def downgrade() -> None:
    _recreate(by_number=False)
