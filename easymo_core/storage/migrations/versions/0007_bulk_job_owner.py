"""Bulk jobs name the process that sends them

Revision ID: 0007_bulk_job_owner
Revises: 0006_tuned_pg_triggers
Create Date: 2026-12-02 03:30:00.000000

``bulk_jobs.owner`` ("host:pid") tells a second run of the same job whether the first is
still sending: on the same host, by whether that process is alive; elsewhere, by the job's
heartbeat (``updated_at``, written after every chunk). Jobs written before this revision
have no owner and are free to resume, as they were.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_bulk_job_owner"
down_revision = "0006_tuned_pg_triggers"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both dialects (SQLite has DROP COLUMN since 3.35), not a batch
# copy: on SQLite that drops and recreates bulk_jobs, and with foreign keys on, dropping it
# would cascade to every job's recipients.
def upgrade() -> None:
    op.add_column("bulk_jobs", sa.Column("owner", sa.String(length=160), nullable=True))


def downgrade() -> None:
    op.drop_column("bulk_jobs", "owner")
