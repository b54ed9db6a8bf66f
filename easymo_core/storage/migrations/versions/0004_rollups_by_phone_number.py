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

from easymo_core.storage import analytics_triggers as triggers
from easymo_core.storage.models import N_BUCKETS

revision = "0004_rollups_by_phone_number"
down_revision = "0003_daily_rollups"
branch_labels = None
depends_on = None

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


def _recreate(by_number: bool) -> None:
    """The four tables with the keys of 0004 (``by_number``) or 0003, rebuilt from messages."""
    conn = op.get_bind()
    triggers.drop_triggers(conn)
    for name in TABLES:
        op.drop_table(name)
    _create("delivery_rollups", triggers.delivery_key_columns(by_number), _delivery_figures())
    _create("error_rollups", triggers.error_key_columns(by_number), [_count("failures")])
    _create("delivery_rollups_daily", triggers.daily_delivery_key_columns(by_number), _delivery_figures())
    _create("error_rollups_daily", triggers.daily_error_key_columns(by_number), [_count("failures")])
    from easymo_core.analytics.rebuild import rebuild_daily, rebuild_delivery

    # Before the triggers: nothing mirrors the bulk inserts only to be replaced.
    rebuild_delivery(conn)
    rebuild_daily(conn)
    triggers.create_triggers(conn, daily=True, by_number=by_number)


def upgrade() -> None:
    _recreate(by_number=True)


def downgrade() -> None:
    _recreate(by_number=False)
