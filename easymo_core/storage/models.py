"""The shared database schema (SQLAlchemy 2, typed).

The database is the shared truth between webhook receivers and every admin's console.
Every change here comes with an Alembic migration in storage/migrations/versions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from easymo_core.storage.types import BigId, EpochMs

# Stable constraint names, so migrations can drop and alter them on both dialects.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

OUTBOUND_STATUSES = ("queued", "accepted", "sent", "delivered", "read", "failed")
MESSAGE_STATUSES = (*OUTBOUND_STATUSES, "received")
SOURCES = ("composer", "cli", "bulk", "flow", "webhook", "sandbox", "import", "api")
# Latency histogram bins (see docs/analytics.md). Meta's timestamps are whole seconds, so
# every latency is a whole number of seconds: one-second bins hold a single value each and
# make a percentile that falls in them exact. Below a minute (every delivery we have seen,
# and the reads that come while the chat is open) the bins are one second wide; above it
# they widen with the value, which the console shows at that coarseness anyway (minutes,
# hours, days), and a percentile there is an estimate shown as "≤ its bin's end". The
# last bin, a week and more, is open. The start of each bin in seconds:
LATENCY_BIN_STARTS_S = (
    *range(0, 60),  # 1 s
    *range(60, 120, 10),  # 10 s up to 2 min
    *range(120, 600, 60),  # 1 min up to 10 min
    *range(600, 3_600, 600),  # 10 min up to 1 h
    *range(3_600, 21_600, 3_600),  # 1 h up to 6 h
    *range(21_600, 86_400, 21_600),  # 6 h up to a day
    *range(86_400, 604_800, 86_400),  # a day up to a week
    604_800,  # a week and more
)
# Upper bounds in ms of every bin but the open last one (bin i: below LATENCY_BUCKETS_MS[i],
# at or above the previous bound).
LATENCY_BUCKETS_MS = tuple(1000 * s for s in LATENCY_BIN_STARTS_S[1:])
N_BUCKETS = len(LATENCY_BIN_STARTS_S)
# Latencies below this fall in one-second bins: their percentiles are exact.
EXACT_BELOW_MS = 60_000


def latency_bin_columns(prefix: str) -> list[str]:
    """The histogram's columns, named by where each bin starts: dl_from_0s, dl_from_1s, ..."""
    return [f"{prefix}_from_{s}s" for s in LATENCY_BIN_STARTS_S]


DELIVERY_BIN_COLUMNS = latency_bin_columns("dl")
READ_BIN_COLUMNS = latency_bin_columns("rd")


def waba_column(primary_key: bool = False) -> Any:
    """The WhatsApp Business Account a row belongs to ('' = not attributed: only the owner and
    logins granted every account see it). Set when the row is written, never changed after
    (the rollups and contacts are keyed by it). A server default only: a writer that names
    no account still works, and so do inserts into a database of an older revision."""
    return mapped_column(String(32), nullable=False, server_default="", primary_key=primary_key)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: EpochMs,
    }


class Message(Base):
    """One outbound or inbound WhatsApp message and its delivery history in brief."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("direction IN ('out', 'in')", name="direction"),
        CheckConstraint(f"status IN ({_in(MESSAGE_STATUSES)})", name="status"),
        Index("ix_messages_created", "created_at"),
        Index("ix_messages_status_created", "status", "created_at"),
        Index("ix_messages_template_created", "template_name", "template_language", "created_at"),
        # The contact's thread in one account (the triggers' previous message); the contact
        # alone is a prefix of it.
        Index("ix_messages_contact_created", "contact_wa_id", "waba_id", "created_at"),
        Index("ix_messages_error_created", "error_code", "created_at"),
        Index("ix_messages_context", "context_wamid"),
        Index("ix_messages_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    wamid: Mapped[str | None] = mapped_column(String(160), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    profile: Mapped[str] = mapped_column(String(64))
    phone_number_id: Mapped[str] = mapped_column(String(32))
    waba_id: Mapped[str] = waba_column()
    direction: Mapped[str] = mapped_column(String(3))
    contact_wa_id: Mapped[str] = mapped_column(String(20))
    # text | template | interactive | reply (inbound button/list reply) | image | ...
    type: Mapped[str] = mapped_column(String(16))
    template_name: Mapped[str | None] = mapped_column(String(512))
    template_language: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(16))
    admin: Mapped[str | None] = mapped_column(String(64))
    fallback: Mapped[str | None] = mapped_column(String(48))
    context_wamid: Mapped[str | None] = mapped_column(String(160))
    reply_id: Mapped[str | None] = mapped_column(String(256))
    bulk_job_id: Mapped[int | None] = mapped_column(ForeignKey("bulk_jobs.id", ondelete="SET NULL"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation_sessions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]
    # When the request was about to be written to the transport (migration 0009): a queued
    # row without it never left, so sending it later cannot double it.
    handed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(String(256))
    error_detail: Mapped[str | None] = mapped_column(Text)
    delivery_latency_ms: Mapped[int | None] = mapped_column(BigInteger)
    read_latency_ms: Mapped[int | None] = mapped_column(BigInteger)
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    pricing_category: Mapped[str | None] = mapped_column(String(32))
    # Set by the analytics triggers (migration 0002): for an inbound message the user's
    # response time to our previous message, for an outbound one ours to the user's.
    response_ms: Mapped[int | None] = mapped_column(BigInteger)


class StatusEvent(Base):
    """Append-only log of every distinct status Meta reported, with its raw payload.

    A (wamid, status, timestamp) triple is stored once: Meta delivers at least once.
    ``applied`` is false while the message is unknown (status before the send's answer).
    """

    __tablename__ = "status_events"
    __table_args__ = (
        UniqueConstraint("wamid", "status", "meta_ts", name="uq_status_events_dedupe"),
        Index("ix_status_events_pending", "applied", "wamid"),
        Index("ix_status_events_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    wamid: Mapped[str] = mapped_column(String(160))
    waba_id: Mapped[str] = waba_column()
    status: Mapped[str] = mapped_column(String(16))
    meta_ts: Mapped[datetime]
    received_at: Mapped[datetime]
    recipient_id: Mapped[str | None] = mapped_column(String(20))
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(String(256))
    error_detail: Mapped[str | None] = mapped_column(Text)
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    pricing_category: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    webhook_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="SET NULL")
    )


class WebhookEvent(Base):
    """A signed POST from Meta, made durable before the receiver answers 200."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_unprocessed", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    receiver: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # Failed ingests of this POST alone; at MAX_ATTEMPTS it moves to webhook_dead_letters.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebhookDeadLetter(Base):
    """A stored POST that could not be ingested after several tries alone: kept whole with
    the last error, out of the way of every other POST, until `easymo webhook replay`."""

    __tablename__ = "webhook_dead_letters"
    __table_args__ = (Index("ix_webhook_dead_letters_replayed_at", "replayed_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime]
    failed_at: Mapped[datetime]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    replayed_at: Mapped[datetime | None]


class AuditLog(Base):
    """Who did what, when (migration 0013): sends, bulk runs, template, profile, secret,
    login and role changes. Append-only: a trigger refuses UPDATE and DELETE to every role
    but the table's owner (on SQLite, to everyone). Never a secret value in ``detail``."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    # The database login ('' on SQLite), the operating-system user and the easyMO profile.
    db_login: Mapped[str] = mapped_column(String(64))
    os_user: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(64))
    waba_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # A dotted name: message.send, bulk.start, template.submit, profile.edit, ...
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(256))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Template(Base):
    """A template as synced from Meta, or a local draft not yet submitted."""

    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("waba_id", "name", "language", name="uq_templates_name_language"),
        Index("ix_templates_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    waba_id: Mapped[str] = mapped_column(String(32))
    meta_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24))
    parameter_format: Mapped[str] = mapped_column(String(16), default="POSITIONAL")
    components: Mapped[list[Any]] = mapped_column(JSON)
    quality_score: Mapped[str | None] = mapped_column(String(16))
    rejected_reason: Mapped[str | None] = mapped_column(String(64))
    is_draft: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    synced_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime | None]


class Contact(Base):
    """A person as one account knows them: one writing to two accounts is two contacts."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_last_inbound", "last_inbound_at"),)

    waba_id: Mapped[str] = waba_column(primary_key=True)
    wa_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    profile_name: Mapped[str | None] = mapped_column(String(256))
    first_seen_at: Mapped[datetime]
    last_inbound_at: Mapped[datetime | None]
    last_outbound_at: Mapped[datetime | None]
    messages_in: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    messages_out: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    engagement_score: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime]


class ConversationSession(Base):
    """Messages with one contact of one account with no idle gap longer than the session timeout."""

    __tablename__ = "conversation_sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["waba_id", "contact_wa_id"], ["contacts.waba_id", "contacts.wa_id"], ondelete="CASCADE",
            name="fk_conversation_sessions_contact_contacts",
        ),
        # A contact's latest session in one account (the triggers); the contact alone is a
        # prefix of it, as in ix_messages_contact_created.
        Index("ix_sessions_contact_last", "contact_wa_id", "waba_id", "last_message_at"),
        Index("ix_sessions_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    waba_id: Mapped[str] = waba_column()
    contact_wa_id: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    last_message_at: Mapped[datetime]
    messages_in: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    messages_out: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    duration_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    user_response_ms_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    user_response_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    business_response_ms_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    business_response_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    flow_completed: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[int | None] = mapped_column(Integer)


class ConversationFlow(Base):
    __tablename__ = "conversation_flows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str | None] = mapped_column(String(256))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FlowState(Base):
    """Where one contact is in one flow."""

    __tablename__ = "flow_states"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'completed', 'abandoned')", name="status"),
        Index("ix_flow_states_contact_status", "contact_wa_id", "waba_id", "status"),
        Index("ix_flow_states_flow_started", "flow_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("conversation_flows.id", ondelete="CASCADE"))
    contact_wa_id: Mapped[str] = mapped_column(String(20))
    waba_id: Mapped[str] = waba_column()
    status: Mapped[str] = mapped_column(String(12), default="active")
    current_step: Mapped[str | None] = mapped_column(String(128))
    retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    step_deadline_at: Mapped[datetime | None]
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation_sessions.id", ondelete="SET NULL")
    )


def _bucket_columns(names: list[str]) -> dict[str, Any]:
    return {name: mapped_column(Integer, default=0, server_default="0", nullable=False) for name in names}


class DeliveryFigures:
    """The delivery figures both delivery rollups keep (hourly and daily)."""

    sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    read: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replied: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    clicks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivery_latency_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    delivery_latency_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    read_latency_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    read_latency_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Latency histograms (see LATENCY_BIN_STARTS_S) so p50/p95 come without scanning messages.
    locals().update(_bucket_columns(DELIVERY_BIN_COLUMNS))
    locals().update(_bucket_columns(READ_BIN_COLUMNS))


class DeliveryRollup(DeliveryFigures, Base):
    """Hourly delivery figures per phone number, template and language ('' for non-template
    messages); the number is the sending one, messages.phone_number_id (0004)."""

    __tablename__ = "delivery_rollups"

    hour_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    waba_id: Mapped[str] = waba_column(primary_key=True)
    phone_number_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    template_name: Mapped[str] = mapped_column(String(512), primary_key=True)
    template_language: Mapped[str] = mapped_column(String(16), primary_key=True)


class ErrorRollup(Base):
    """Hourly failures per phone number, template, language and Meta error code."""

    __tablename__ = "error_rollups"

    hour_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    waba_id: Mapped[str] = waba_column(primary_key=True)
    phone_number_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    template_name: Mapped[str] = mapped_column(String(512), primary_key=True)
    template_language: Mapped[str] = mapped_column(String(16), primary_key=True)
    error_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ActivityRollup(Base):
    """Hourly conversation figures per account, kept by the analytics triggers.

    Messages counted when they join a conversation (inbound on arrival, outbound once Meta
    accepted them), responses and their times, sessions started, and satisfaction ratings
    in the hour their session started (sat_1..sat_5 count each rating).
    """

    __tablename__ = "activity_rollups"

    hour_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    waba_id: Mapped[str] = waba_column(primary_key=True)
    messages_in: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    messages_out: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sessions_started: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    user_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    user_response_ms_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    business_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    business_response_ms_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    satisfaction_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    satisfaction_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locals().update(
        {
            f"sat_{i}": mapped_column(Integer, default=0, server_default="0", nullable=False)
            for i in range(1, 6)
        }
    )


class DeliveryRollupDaily(DeliveryFigures, Base):
    """delivery_rollups summed per UTC day, kept by triggers on delivery_rollups (0003).

    A period reads whole days here and only its edge hours from the hourly table.
    """

    __tablename__ = "delivery_rollups_daily"

    day_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    waba_id: Mapped[str] = waba_column(primary_key=True)
    phone_number_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    template_name: Mapped[str] = mapped_column(String(512), primary_key=True)
    template_language: Mapped[str] = mapped_column(String(16), primary_key=True)


class ErrorRollupDaily(Base):
    """error_rollups summed per UTC day, phone number and error code (the dashboard's only
    grouping)."""

    __tablename__ = "error_rollups_daily"

    day_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    waba_id: Mapped[str] = waba_column(primary_key=True)
    phone_number_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    error_code: Mapped[int] = mapped_column(Integer, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ScoreRollup(Base):
    """Contacts per account and engagement-score decile, by the hour of their latest message (0003).

    Kept by triggers on contacts, so "contacts active since T, per decile" is a sum over
    at most a few thousand small rows instead of a scan of contacts. ``score_sum`` is the
    sum of their scores, for the average. Contacts with no message are not filed.
    """

    __tablename__ = "score_rollups"

    hour_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    waba_id: Mapped[str] = waba_column(primary_key=True)
    decile: Mapped[int] = mapped_column(Integer, primary_key=True)
    contacts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    score_sum: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class BulkJob(Base):
    """A bulk send of one template to a CSV of recipients; resumable."""

    __tablename__ = "bulk_jobs"
    __table_args__ = (Index("ix_bulk_jobs_content", "content_sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    profile: Mapped[str] = mapped_column(String(64))
    waba_id: Mapped[str] = waba_column()
    template_name: Mapped[str] = mapped_column(String(512))
    template_language: Mapped[str] = mapped_column(String(16))
    csv_path: Mapped[str] = mapped_column(Text)
    csv_sha256: Mapped[str] = mapped_column(String(64))
    # What identifies the job (migration 0009): its rows normalised (E.164 phone, then the
    # variables by name), in order; None for jobs made before, found by csv_sha256.
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="running")
    created_at: Mapped[datetime]
    # The heartbeat of a running job: written after every chunk it sends.
    updated_at: Mapped[datetime]
    # "host:pid" of the run that sends it (migration 0007); None before that revision.
    owner: Mapped[str | None] = mapped_column(String(160), nullable=True)


class BulkRecipient(Base):
    __tablename__ = "bulk_recipients"
    __table_args__ = (
        UniqueConstraint("job_id", "line_no", name="uq_bulk_recipients_line"),
        Index("ix_bulk_recipients_job_status", "job_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_jobs.id", ondelete="CASCADE"))
    waba_id: Mapped[str] = waba_column()
    line_no: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(20))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending, sent, failed, unknown (answer lost, evidence awaited), unresolved (no
    # evidence within the reconcile window: the admin decides), skipped (the admin said so)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    # Sends made for this recipient before the current one (migration 0009): the admin's
    # re-send of an unresolved recipient gets a key of its own.
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MetaAnalytics(Base):
    """Figures pulled from Meta (template and conversation analytics), per account, day or hour."""

    __tablename__ = "meta_analytics"

    waba_id: Mapped[str] = waba_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    end: Mapped[int] = mapped_column(BigInteger)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    pulled_at: Mapped[datetime]


class PhoneNumber(Base):
    """Which account a phone number belongs to: upserted by the ingest from each webhook's
    (entry.id, phone_number_id) and by the processor from its profile; an inbound message
    or status whose envelope lacks the account finds it here."""

    __tablename__ = "phone_numbers"

    phone_number_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    waba_id: Mapped[str] = mapped_column(String(32))
    display_phone_number: Mapped[str | None] = mapped_column(String(32))
    first_seen_at: Mapped[datetime]


class AccountGrant(Base):
    """Which accounts a PostgreSQL login may see ('*' = every account): the row-level
    security policies of migration 0012 read it. Managed by the owner (`easymo db user`)."""

    __tablename__ = "account_grants"

    login: Mapped[str] = mapped_column(String(63), primary_key=True)
    waba_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class AppState(Base):
    """Small named values shared between processes: cursors, scheduler job state."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, typed as a Table for insert/update builders."""
    return cast(Table, model.__table__)
