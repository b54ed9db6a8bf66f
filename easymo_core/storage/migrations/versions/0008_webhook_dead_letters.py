"""Webhook dead letters: POSTs that could not be ingested, kept out of everyone's way

Revision ID: 0008_webhook_dead_letters
Revises: 0007_bulk_job_owner
Create Date: 2026-12-04 10:20:00.000000

A stored POST whose ingest fails is retried alone; ``webhook_events.attempts`` counts those
failures, and after a few it moves to ``webhook_dead_letters`` with its raw body and the
error, so that it no longer holds back recovery or the held-status sweep.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_webhook_dead_letters"
down_revision = "0007_bulk_job_owner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both dialects: no table copy of a table that may be large.
    op.add_column(
        "webhook_events", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "webhook_dead_letters",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("failed_at", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("replayed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_dead_letters")),
    )
    op.create_index(
        "ix_webhook_dead_letters_replayed_at", "webhook_dead_letters", ["replayed_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_dead_letters_replayed_at", table_name="webhook_dead_letters")
    op.drop_table("webhook_dead_letters")
    op.drop_column("webhook_events", "attempts")
