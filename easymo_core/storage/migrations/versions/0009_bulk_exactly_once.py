"""Bulk sends exactly once: the hand-off mark, jobs keyed by content, re-send attempts

Revision ID: 0009_bulk_exactly_once
Revises: 0008_webhook_dead_letters
Create Date: 2026-12-04 10:30:00.000000

``messages.handed_at``: when a send's request was about to be written to the transport. A
queued row without it never left and may be sent again under its key; one with it may have
reached Meta and waits for evidence. Rows queued before this revision are marked handed (we
cannot know), so nothing they name is sent twice.

``bulk_jobs.content_sha256``: a job is its normalised rows, not the file's bytes (CRLF, a
BOM, quoting or column order made a new job that sent everyone again). Older jobs keep
being found by ``csv_sha256``.

``bulk_recipients.attempt``: an admin's re-send of an unresolved recipient uses a new key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_bulk_exactly_once"
down_revision = "0008_webhook_dead_letters"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both dialects, as 0007: a batch copy of bulk_jobs on SQLite would
# cascade to the recipients, and a copy of messages would rebuild its triggers.
def upgrade() -> None:
    op.add_column("messages", sa.Column("handed_at", sa.BigInteger(), nullable=True))
    op.execute("UPDATE messages SET handed_at = COALESCE(queued_at, created_at) "
               "WHERE direction = 'out' AND status = 'queued' AND wamid IS NULL")
    op.add_column("bulk_jobs", sa.Column("content_sha256", sa.String(length=64), nullable=True))
    op.create_index("ix_bulk_jobs_content", "bulk_jobs", ["content_sha256"])
    op.add_column("bulk_recipients",
                  sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("bulk_recipients", "attempt")
    op.drop_index("ix_bulk_jobs_content", table_name="bulk_jobs")
    op.drop_column("bulk_jobs", "content_sha256")
    op.drop_column("messages", "handed_at")
