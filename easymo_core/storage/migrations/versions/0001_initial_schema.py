"""initial schema

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-25 09:10:00.523341
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every table of the easyMO schema; timestamps are epoch milliseconds (see storage/types.py).
    op.create_table(
        "app_state",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_state")),
    )
    op.create_table(
        "bulk_jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("template_name", sa.String(length=512), nullable=False),
        sa.Column("template_language", sa.String(length=16), nullable=False),
        sa.Column("csv_path", sa.Text(), nullable=False),
        sa.Column("csv_sha256", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )
    op.create_table(
        "contacts",
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("profile_name", sa.String(length=256), nullable=True),
        sa.Column("first_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("last_inbound_at", sa.BigInteger(), nullable=True),
        sa.Column("last_outbound_at", sa.BigInteger(), nullable=True),
        sa.Column("messages_in", sa.Integer(), server_default="0", nullable=False),
        sa.Column("messages_out", sa.Integer(), server_default="0", nullable=False),
        sa.Column("replies", sa.Integer(), server_default="0", nullable=False),
        sa.Column("engagement_score", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("wa_id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_last_inbound", ["last_inbound_at"], unique=False)

    op.create_table(
        "conversation_flows",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_flows")),
        sa.UniqueConstraint("name", name=op.f("uq_conversation_flows_name")),
    )
    op.create_table(
        "delivery_rollups",
        sa.Column("hour_start", sa.BigInteger(), nullable=False),
        sa.Column("template_name", sa.String(length=512), nullable=False),
        sa.Column("template_language", sa.String(length=16), nullable=False),
        sa.Column("sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delivered", sa.Integer(), server_default="0", nullable=False),
        sa.Column("read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("replied", sa.Integer(), server_default="0", nullable=False),
        sa.Column("clicks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delivery_latency_sum_ms", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("delivery_latency_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("read_latency_sum_ms", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("read_latency_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h00", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h01", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h02", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h03", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h04", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h05", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h06", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h07", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h08", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h09", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h10", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dl_h11", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h00", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h01", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h02", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h03", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h04", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h05", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h06", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h07", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h08", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h09", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h10", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rd_h11", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "hour_start", "template_name", "template_language", name=op.f("pk_delivery_rollups")
        ),
    )
    op.create_table(
        "error_rollups",
        sa.Column("hour_start", sa.BigInteger(), nullable=False),
        sa.Column("template_name", sa.String(length=512), nullable=False),
        sa.Column("template_language", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "hour_start",
            "template_name",
            "template_language",
            "error_code",
            name=op.f("pk_error_rollups"),
        ),
    )
    op.create_table(
        "meta_analytics",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("pulled_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", "start", name=op.f("pk_meta_analytics")),
    )
    op.create_table(
        "templates",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("waba_id", sa.String(length=32), nullable=False),
        sa.Column("meta_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("parameter_format", sa.String(length=16), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("quality_score", sa.String(length=16), nullable=True),
        sa.Column("rejected_reason", sa.String(length=64), nullable=True),
        sa.Column("is_draft", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("synced_at", sa.BigInteger(), nullable=True),
        sa.Column("status_changed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint("waba_id", "name", "language", name="uq_templates_name_language"),
    )
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.create_index("ix_templates_status", ["status"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("receiver", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_events_unprocessed", ["processed_at", "id"], unique=False)

    op.create_table(
        "conversation_sessions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("contact_wa_id", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("last_message_at", sa.BigInteger(), nullable=False),
        sa.Column("messages_in", sa.Integer(), server_default="0", nullable=False),
        sa.Column("messages_out", sa.Integer(), server_default="0", nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("user_response_ms_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("user_response_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("business_response_ms_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("business_response_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("flow_completed", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_wa_id"],
            ["contacts.wa_id"],
            name=op.f("fk_conversation_sessions_contact_wa_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_sessions")),
    )
    with op.batch_alter_table("conversation_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sessions_contact_last", ["contact_wa_id", "last_message_at"], unique=False
        )
        batch_op.create_index("ix_sessions_started", ["started_at"], unique=False)

    op.create_table(
        "status_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("wamid", sa.String(length=160), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("meta_ts", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("recipient_id", sa.String(length=20), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.String(length=256), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("pricing_category", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column(
            "webhook_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["webhook_event_id"],
            ["webhook_events.id"],
            name=op.f("fk_status_events_webhook_event_id_webhook_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
        sa.UniqueConstraint("wamid", "status", "meta_ts", name="uq_status_events_dedupe"),
    )
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index("ix_status_events_pending", ["applied", "wamid"], unique=False)
        batch_op.create_index("ix_status_events_received", ["received_at"], unique=False)

    op.create_table(
        "flow_states",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("flow_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_wa_id", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("current_step", sa.String(length=128), nullable=True),
        sa.Column("retries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.Column("step_deadline_at", sa.BigInteger(), nullable=True),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'abandoned')", name=op.f("ck_flow_states_status")
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["conversation_flows.id"],
            name=op.f("fk_flow_states_flow_id_conversation_flows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conversation_sessions.id"],
            name=op.f("fk_flow_states_session_id_conversation_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_states")),
    )
    with op.batch_alter_table("flow_states", schema=None) as batch_op:
        batch_op.create_index(
            "ix_flow_states_contact_status", ["contact_wa_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_flow_states_flow_started", ["flow_id", "started_at"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("wamid", sa.String(length=160), nullable=True),
        sa.Column("idempotency_key", sa.String(length=160), nullable=True),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("phone_number_id", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("contact_wa_id", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("template_name", sa.String(length=512), nullable=True),
        sa.Column("template_language", sa.String(length=16), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("admin", sa.String(length=64), nullable=True),
        sa.Column("fallback", sa.String(length=48), nullable=True),
        sa.Column("context_wamid", sa.String(length=160), nullable=True),
        sa.Column("reply_id", sa.String(length=256), nullable=True),
        sa.Column(
            "bulk_job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("queued_at", sa.BigInteger(), nullable=True),
        sa.Column("accepted_at", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.Column("read_at", sa.BigInteger(), nullable=True),
        sa.Column("failed_at", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.BigInteger(), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.String(length=256), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("delivery_latency_ms", sa.BigInteger(), nullable=True),
        sa.Column("read_latency_ms", sa.BigInteger(), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("pricing_category", sa.String(length=32), nullable=True),
        sa.CheckConstraint("direction IN ('out', 'in')", name=op.f("ck_messages_direction")),
        sa.CheckConstraint(
            "status IN ('queued', 'accepted', 'sent', 'delivered', 'read', 'failed', 'received')",
            name=op.f("ck_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["bulk_job_id"],
            ["bulk_jobs.id"],
            name=op.f("fk_messages_bulk_job_id_bulk_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["conversation_sessions.id"],
            name=op.f("fk_messages_session_id_conversation_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_messages_idempotency_key")),
        sa.UniqueConstraint("wamid", name=op.f("uq_messages_wamid")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_contact_created", ["contact_wa_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_messages_context", ["context_wamid"], unique=False)
        batch_op.create_index("ix_messages_created", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_messages_error_created", ["error_code", "created_at"], unique=False
        )
        batch_op.create_index("ix_messages_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(
            "ix_messages_template_created",
            ["template_name", "template_language", "created_at"],
            unique=False,
        )
        batch_op.create_index("ix_messages_updated", ["updated_at"], unique=False)

    op.create_table(
        "bulk_recipients",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["bulk_jobs.id"],
            name=op.f("fk_bulk_recipients_job_id_bulk_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_bulk_recipients_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_recipients")),
        sa.UniqueConstraint("job_id", "line_no", name="uq_bulk_recipients_line"),
    )
    with op.batch_alter_table("bulk_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_bulk_recipients_job_status", ["job_id", "status"], unique=False)


def downgrade() -> None:
    # Every table of the easyMO schema; timestamps are epoch milliseconds (see storage/types.py).
    with op.batch_alter_table("bulk_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_bulk_recipients_job_status")

    op.drop_table("bulk_recipients")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_updated")
        batch_op.drop_index("ix_messages_template_created")
        batch_op.drop_index("ix_messages_status_created")
        batch_op.drop_index("ix_messages_error_created")
        batch_op.drop_index("ix_messages_created")
        batch_op.drop_index("ix_messages_context")
        batch_op.drop_index("ix_messages_contact_created")

    op.drop_table("messages")
    with op.batch_alter_table("flow_states", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_states_flow_started")
        batch_op.drop_index("ix_flow_states_contact_status")

    op.drop_table("flow_states")
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_status_events_received")
        batch_op.drop_index("ix_status_events_pending")

    op.drop_table("status_events")
    with op.batch_alter_table("conversation_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_started")
        batch_op.drop_index("ix_sessions_contact_last")

    op.drop_table("conversation_sessions")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_unprocessed")

    op.drop_table("webhook_events")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_index("ix_templates_status")

    op.drop_table("templates")
    op.drop_table("meta_analytics")
    op.drop_table("error_rollups")
    op.drop_table("delivery_rollups")
    op.drop_table("conversation_flows")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_last_inbound")

    op.drop_table("contacts")
    op.drop_table("bulk_jobs")
    op.drop_table("app_state")
