"""Every row knows its WhatsApp Business Account

Revision ID: 0011_accounts
Revises: 0010_exact_latency_bins
Create Date: 2026-12-04 13:00:00.000000

``waba_id`` (VARCHAR(32) NOT NULL DEFAULT '', '' = not attributed) on messages, status_events,
contacts, conversation_sessions, flow_states, bulk_jobs, bulk_recipients, meta_analytics and
every rollup, part of the key of the rollups and meta_analytics; contacts are keyed by
(waba_id, wa_id) and sessions refer to them so; the new table phone_numbers says which
account a number belongs to. The triggers keep every figure per account: a person writing
to two accounts is two contacts, with their own sessions and response times.

The backfill needs the accounts, which only the profiles know: the caller passes
``{phone_number_id: waba_id}`` in ``config.attributes["waba_by_phone_number"]``
(easymo_core.storage.migrate.upgrade). Messages get the account of their number; statuses
that of their message; bulk jobs and recipients that of their messages (or of other
messages of their profile); flow runs that of their session's messages (or their
contact's). When the mapping names a single account, whatever is still unattributed is
that account's. The rest keeps '' and is counted in the log. Contacts, sessions (their
survey ratings and flow outcomes carried over) and every rollup are then rebuilt from the
messages with the SQL frozen under migrations/sql/0011_accounts. The downgrade collapses the
accounts again, rebuilding with 0010's (and 0002's conversation) SQL.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from alembic import context, op

from easymo_core.storage import frozen_sql

revision = "0011_accounts"
down_revision = "0010_exact_latency_bins"
branch_labels = None
depends_on = None

log = logging.getLogger("easymo.migrations")

MAPPING_KEY = "waba_by_phone_number"
GAP_KEY = "analytics.session_gap"
DEFAULT_GAP_MS = 30 * 60 * 1000
HOUR_MS = 3_600_000
# Tables that only gain the column; the others are created anew below.
ADDED_TO = ("messages", "status_events", "flow_states", "bulk_jobs", "bulk_recipients")
ROLLUPS = ("delivery_rollups", "delivery_rollups_daily", "error_rollups", "error_rollups_daily",
           "activity_rollups", "score_rollups")
# Every table whose rows name an account, for the log of what stays unattributed.
ATTRIBUTED = (*ADDED_TO, "contacts", "conversation_sessions", "meta_analytics")
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
BIN_COLUMNS = [f"{kind}_from_{s}s" for kind in ("dl", "rd") for s in BIN_STARTS_S]
# Constraints PostgreSQL must drop before conversation_sessions can be: (table, name).
SESSION_FKS = (("messages", "fk_messages_session_id_conversation_sessions"),
               ("flow_states", "fk_flow_states_session_id_conversation_sessions"))
TMP = ("easymo_m11_contacts", "easymo_m11_sessions", "easymo_m11_msg_sessions",
       "easymo_m11_flow_sessions", "easymo_m11_meta", "easymo_m11_carry", "easymo_m11_job_waba",
       "easymo_m11_profile_waba", "easymo_m11_session_waba")


def _waba(primary_key: bool = False) -> sa.Column[str]:
    return sa.Column("waba_id", sa.String(length=32), server_default="", nullable=False,
                     primary_key=primary_key)


def _count(name: str, big: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger() if big else sa.Integer(), server_default="0", nullable=False)


def _exec(sql: str, params: dict[str, object] | None = None) -> int:
    return op.get_bind().execute(sa.text(sql), params or {}).rowcount


def _session_gap_ms(conn: sa.Connection) -> int:
    value = conn.execute(
        sa.text("SELECT value FROM app_state WHERE key = :k").columns(sa.column("value", sa.JSON())),
        {"k": GAP_KEY},
    ).scalar()
    if isinstance(value, dict) and isinstance(value.get("ms"), int):
        return int(value["ms"])
    return DEFAULT_GAP_MS


# -- the tables created anew, as each revision has them -------------------------------------
def _create_contacts(accounts: bool) -> None:
    key = ["waba_id", "wa_id"] if accounts else ["wa_id"]
    op.create_table(
        "contacts",
        *([_waba()] if accounts else []),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("profile_name", sa.String(length=256), nullable=True),
        sa.Column("first_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("last_inbound_at", sa.BigInteger(), nullable=True),
        sa.Column("last_outbound_at", sa.BigInteger(), nullable=True),
        _count("messages_in"),
        _count("messages_out"),
        _count("replies"),
        sa.Column("engagement_score", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_last_inbound", "contacts", ["last_inbound_at"])


def _create_sessions(accounts: bool) -> None:
    if accounts:
        fk = sa.ForeignKeyConstraint(
            ["waba_id", "contact_wa_id"], ["contacts.waba_id", "contacts.wa_id"], ondelete="CASCADE",
            name="fk_conversation_sessions_contact_contacts",
        )
    else:
        fk = sa.ForeignKeyConstraint(
            ["contact_wa_id"], ["contacts.wa_id"], ondelete="CASCADE",
            name=op.f("fk_conversation_sessions_contact_wa_id_contacts"),
        )
    op.create_table(
        "conversation_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        *([_waba()] if accounts else []),
        sa.Column("contact_wa_id", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("last_message_at", sa.BigInteger(), nullable=False),
        _count("messages_in"),
        _count("messages_out"),
        _count("duration_ms", big=True),
        _count("user_response_ms_sum", big=True),
        _count("user_response_count"),
        _count("business_response_ms_sum", big=True),
        _count("business_response_count"),
        sa.Column("flow_completed", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        fk,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_sessions")),
    )
    account = ["waba_id"] if accounts else []
    op.create_index("ix_sessions_contact_last", "conversation_sessions",
                    ["contact_wa_id", *account, "last_message_at"])
    op.create_index("ix_sessions_started", "conversation_sessions", ["started_at"])


def _create_rollups(accounts: bool, bins: list[str]) -> None:
    account = ["waba_id"] if accounts else []
    delivery_key = ["phone_number_id", "template_name", "template_language"]
    for name, time_column in (("delivery_rollups", "hour_start"), ("delivery_rollups_daily", "day_start")):
        op.create_table(
            name,
            sa.Column(time_column, sa.BigInteger(), nullable=False),
            *([_waba()] if accounts else []),
            sa.Column("phone_number_id", sa.String(length=32), nullable=False),
            sa.Column("template_name", sa.String(length=512), nullable=False),
            sa.Column("template_language", sa.String(length=16), nullable=False),
            *[_count(c) for c in ("sent", "delivered", "read", "failed", "replied", "clicks")],
            _count("delivery_latency_sum_ms", big=True),
            _count("delivery_latency_count"),
            _count("read_latency_sum_ms", big=True),
            _count("read_latency_count"),
            *[_count(c) for c in bins],
            sa.PrimaryKeyConstraint(time_column, *account, *delivery_key, name=op.f(f"pk_{name}")),
        )
    op.create_table(
        "error_rollups",
        sa.Column("hour_start", sa.BigInteger(), nullable=False),
        *([_waba()] if accounts else []),
        sa.Column("phone_number_id", sa.String(length=32), nullable=False),
        sa.Column("template_name", sa.String(length=512), nullable=False),
        sa.Column("template_language", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=False),
        _count("failures"),
        sa.PrimaryKeyConstraint("hour_start", *account, *delivery_key, "error_code",
                                name=op.f("pk_error_rollups")),
    )
    op.create_table(
        "error_rollups_daily",
        sa.Column("day_start", sa.BigInteger(), nullable=False),
        *([_waba()] if accounts else []),
        sa.Column("phone_number_id", sa.String(length=32), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=False),
        _count("failures"),
        sa.PrimaryKeyConstraint("day_start", *account, "phone_number_id", "error_code",
                                name=op.f("pk_error_rollups_daily")),
    )
    activity = ["messages_in", "messages_out", "sessions_started", "user_responses", "business_responses",
                "satisfaction_count", "satisfaction_sum", *[f"sat_{i}" for i in range(1, 6)]]
    op.create_table(
        "activity_rollups",
        sa.Column("hour_start", sa.BigInteger(), nullable=False),
        *([_waba()] if accounts else []),
        *[_count(c) for c in activity[:4]],
        _count("user_response_ms_sum", big=True),
        _count("business_responses"),
        _count("business_response_ms_sum", big=True),
        *[_count(c) for c in activity[5:]],
        sa.PrimaryKeyConstraint("hour_start", *account, name=op.f("pk_activity_rollups")),
    )
    op.create_table(
        "score_rollups",
        sa.Column("hour_start", sa.BigInteger(), nullable=False),
        *([_waba()] if accounts else []),
        sa.Column("decile", sa.Integer(), nullable=False),
        _count("contacts"),
        sa.Column("score_sum", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("hour_start", *account, "decile", name=op.f("pk_score_rollups")),
    )


def _create_meta(accounts: bool) -> None:
    op.create_table(
        "meta_analytics",
        *([_waba()] if accounts else []),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("pulled_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*(["waba_id"] if accounts else []), "kind", "key", "start",
                                name=op.f("pk_meta_analytics")),
    )


# -- the steps both directions share ----------------------------------------------------------
def _save_and_drop(conn: sa.Connection) -> None:
    """Keep what the messages cannot give back (profile names, survey ratings, flow outcomes,
    which session each message and flow run was in, Meta's figures), then drop the tables
    created anew. On SQLite, dropping conversation_sessions (foreign keys on) sets the
    messages' and flow runs' session_id to NULL; on PostgreSQL their constraints go first."""
    _exec("CREATE TEMPORARY TABLE easymo_m11_contacts AS SELECT * FROM contacts")
    _exec("CREATE TEMPORARY TABLE easymo_m11_sessions AS "
          "SELECT id, satisfaction, flow_completed FROM conversation_sessions")
    _exec("CREATE TEMPORARY TABLE easymo_m11_msg_sessions AS "
          "SELECT id, session_id FROM messages WHERE session_id IS NOT NULL")
    _exec("CREATE TEMPORARY TABLE easymo_m11_flow_sessions AS "
          "SELECT id, session_id FROM flow_states WHERE session_id IS NOT NULL")
    _exec("CREATE TEMPORARY TABLE easymo_m11_meta AS SELECT * FROM meta_analytics")
    # Each is read once per row of another table below: without these, a step would scan
    # the whole copy per row.
    for table, column in (("easymo_m11_contacts", "wa_id"), ("easymo_m11_msg_sessions", "session_id"),
                          ("easymo_m11_msg_sessions", "id"), ("easymo_m11_flow_sessions", "id")):
        _exec(f"CREATE INDEX {table}_{column} ON {table} ({column})")
    if conn.dialect.name == "postgresql":
        for table, name in SESSION_FKS:
            op.drop_constraint(name, table, type_="foreignkey")
    for table in ("conversation_sessions", "contacts", *ROLLUPS, "meta_analytics"):
        op.drop_table(table)


def _rebuild(conn: sa.Connection, accounts: bool, sole: str = "") -> None:
    """Rollups, contacts and sessions from the messages, with what was saved carried over."""
    waba = "waba_id, " if accounts else ""
    # Rows outside any conversation keep no stale session (the rebuild sets the others').
    _exec("UPDATE messages SET session_id = NULL WHERE session_id IS NOT NULL "
          "AND NOT (direction = 'in' OR wamid IS NOT NULL)")
    delivery_rev = revision if accounts else "0010_exact_latency_bins"
    conversation_rev = revision if accounts else "0002_analytics_triggers"
    frozen_sql.run(conn, delivery_rev, "rebuild_delivery")
    frozen_sql.run(conn, conversation_rev, "rebuild_conversations", {"gap_ms": _session_gap_ms(conn)})

    # Profile names, by person (one name per wa_id is all Meta gives).
    _exec("UPDATE contacts SET profile_name = (SELECT MAX(o.profile_name) FROM easymo_m11_contacts o "
          "WHERE o.wa_id = contacts.wa_id)")
    # A contact no counted message names (none today; a writer may make one) is kept as it was.
    if accounts:
        _exec(f"INSERT INTO contacts ({waba}wa_id, profile_name, first_seen_at, last_inbound_at, "
              "last_outbound_at, messages_in, messages_out, replies, engagement_score, updated_at) "
              "SELECT :sole, o.wa_id, o.profile_name, o.first_seen_at, o.last_inbound_at, o.last_outbound_at, "
              "o.messages_in, o.messages_out, o.replies, o.engagement_score, o.updated_at "
              "FROM easymo_m11_contacts o WHERE o.wa_id NOT IN (SELECT wa_id FROM contacts)",
              {"sole": sole})
    else:
        _exec("INSERT INTO contacts (wa_id, profile_name, first_seen_at, last_inbound_at, last_outbound_at, "
              "messages_in, messages_out, replies, engagement_score, updated_at) "
              "SELECT o.wa_id, MAX(o.profile_name), MIN(o.first_seen_at), MAX(o.last_inbound_at), "
              "MAX(o.last_outbound_at), SUM(o.messages_in), SUM(o.messages_out), SUM(o.replies), "
              "MAX(o.engagement_score), MAX(o.updated_at) FROM easymo_m11_contacts o "
              "WHERE o.wa_id NOT IN (SELECT wa_id FROM contacts) GROUP BY o.wa_id")

    # A session's rating and flow outcome go to the new session holding its first message
    # (one account's sessions split the sessions of all accounts; merged, the earliest wins).
    _exec("CREATE TEMPORARY TABLE easymo_m11_carry AS SELECT o.id AS old_id, o.satisfaction, o.flow_completed, "
          "(SELECT m.session_id FROM easymo_m11_msg_sessions ms JOIN messages m ON m.id = ms.id "
          "WHERE ms.session_id = o.id ORDER BY m.created_at, m.id LIMIT 1) AS new_id "
          "FROM easymo_m11_sessions o WHERE o.satisfaction IS NOT NULL OR o.flow_completed IS NOT NULL")
    _exec("CREATE INDEX easymo_m11_carry_new_id ON easymo_m11_carry (new_id)")
    for column in ("satisfaction", "flow_completed"):
        _exec(f"UPDATE conversation_sessions SET {column} = (SELECT c.{column} FROM easymo_m11_carry c "
              f"WHERE c.new_id = conversation_sessions.id AND c.{column} IS NOT NULL ORDER BY c.old_id LIMIT 1) "
              f"WHERE id IN (SELECT new_id FROM easymo_m11_carry WHERE {column} IS NOT NULL)")
    sat = ", ".join(f"SUM(CASE WHEN satisfaction = {i} THEN 1 ELSE 0 END)" for i in range(1, 6))
    sat_cols = ["satisfaction_count", "satisfaction_sum", *[f"sat_{i}" for i in range(1, 6)]]
    _exec(f"INSERT INTO activity_rollups (hour_start, {waba}{', '.join(sat_cols)}) "
          f"SELECT (started_at / {HOUR_MS}) * {HOUR_MS}, {waba}COUNT(*), SUM(satisfaction), {sat} "
          f"FROM conversation_sessions WHERE satisfaction IS NOT NULL GROUP BY 1{', 2' if accounts else ''} "
          f"ON CONFLICT (hour_start{', waba_id' if accounts else ''}) DO UPDATE SET "
          + ", ".join(f"{c} = excluded.{c}" for c in sat_cols))
    # A flow run goes to the new session of its old one, in its own account if it has one.
    new_session = ("UPDATE flow_states SET session_id = (SELECT m.session_id FROM easymo_m11_flow_sessions f "
                   "JOIN easymo_m11_msg_sessions ms ON ms.session_id = f.session_id "
                   "JOIN messages m ON m.id = ms.id WHERE f.id = flow_states.id{same} "
                   "ORDER BY m.created_at, m.id LIMIT 1) WHERE id IN (SELECT id FROM easymo_m11_flow_sessions)")
    if accounts:
        _exec(new_session.format(same=" AND m.waba_id = flow_states.waba_id"))
        _exec(new_session.format(same="") + " AND session_id IS NULL")
    else:
        _exec(new_session.format(same=""))

    frozen_sql.run(conn, delivery_rev, "rebuild_daily")
    if conn.dialect.name == "postgresql":
        for table, name in SESSION_FKS:
            op.create_foreign_key(name, table, "conversation_sessions", ["session_id"], ["id"],
                                  ondelete="SET NULL")


def _drop_saved() -> None:
    for table in TMP:
        _exec(f"DROP TABLE IF EXISTS {table}")


# -- upgrade ------------------------------------------------------------------------------------
def _mapping() -> dict[str, str]:
    given = context.config.attributes.get(MAPPING_KEY) or {}
    return {str(p): str(w) for p, w in dict(given).items() if p and w}


def _attribute(sole: str) -> None:
    """Give each row its account, from the surest source to the least.

    What bulk jobs and flow runs learn from the messages is summed first, in one pass over
    messages each (no index leads with bulk_job_id, profile or session_id), once the
    messages have theirs."""
    n = _exec("UPDATE messages SET waba_id = (SELECT p.waba_id FROM phone_numbers p "
              "WHERE p.phone_number_id = messages.phone_number_id) WHERE waba_id = '' AND EXISTS "
              "(SELECT 1 FROM phone_numbers p WHERE p.phone_number_id = messages.phone_number_id)")
    log.info("0011_accounts: messages: %d rows attributed", n)
    _exec("CREATE TEMPORARY TABLE easymo_m11_job_waba AS SELECT bulk_job_id AS job_id, MIN(waba_id) AS waba_id "
          "FROM messages WHERE bulk_job_id IS NOT NULL AND waba_id <> '' GROUP BY bulk_job_id")
    _exec("CREATE TEMPORARY TABLE easymo_m11_profile_waba AS SELECT profile, MIN(waba_id) AS waba_id, "
          "COUNT(DISTINCT waba_id) AS n FROM messages WHERE waba_id <> '' GROUP BY profile")
    _exec("CREATE TEMPORARY TABLE easymo_m11_session_waba AS SELECT session_id, waba_id FROM ("
          "SELECT session_id, waba_id, ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY created_at, id) AS rn "
          "FROM messages WHERE session_id IS NOT NULL AND waba_id <> '') AS firsts WHERE rn = 1")
    for table, column in (("easymo_m11_job_waba", "job_id"), ("easymo_m11_profile_waba", "profile"),
                          ("easymo_m11_session_waba", "session_id")):
        _exec(f"CREATE INDEX {table}_{column} ON {table} ({column})")
    steps: list[tuple[str, str]] = [
        ("status_events", "UPDATE status_events SET waba_id = (SELECT m.waba_id FROM messages m "
         "WHERE m.wamid = status_events.wamid) WHERE waba_id = '' AND EXISTS "
         "(SELECT 1 FROM messages m WHERE m.wamid = status_events.wamid AND m.waba_id <> '')"),
        ("bulk_jobs", "UPDATE bulk_jobs SET waba_id = (SELECT j.waba_id FROM easymo_m11_job_waba j "
         "WHERE j.job_id = bulk_jobs.id) WHERE waba_id = '' AND id IN (SELECT job_id FROM easymo_m11_job_waba)"),
        ("bulk_jobs", "UPDATE bulk_jobs SET waba_id = (SELECT MIN(m.waba_id) FROM bulk_recipients r "
         "JOIN messages m ON m.id = r.message_id WHERE r.job_id = bulk_jobs.id AND m.waba_id <> '') "
         "WHERE waba_id = '' AND EXISTS (SELECT 1 FROM bulk_recipients r JOIN messages m "
         "ON m.id = r.message_id WHERE r.job_id = bulk_jobs.id AND m.waba_id <> '')"),
        # A job that sent nothing yet: its profile's account, if its messages name one only.
        ("bulk_jobs", "UPDATE bulk_jobs SET waba_id = (SELECT p.waba_id FROM easymo_m11_profile_waba p "
         "WHERE p.profile = bulk_jobs.profile) WHERE waba_id = '' AND profile IN "
         "(SELECT profile FROM easymo_m11_profile_waba WHERE n = 1)"),
        ("bulk_recipients", "UPDATE bulk_recipients SET waba_id = (SELECT m.waba_id FROM messages m "
         "WHERE m.id = bulk_recipients.message_id) WHERE waba_id = '' AND EXISTS "
         "(SELECT 1 FROM messages m WHERE m.id = bulk_recipients.message_id AND m.waba_id <> '')"),
        ("bulk_recipients", "UPDATE bulk_recipients SET waba_id = (SELECT j.waba_id FROM bulk_jobs j "
         "WHERE j.id = bulk_recipients.job_id) WHERE waba_id = ''"),
        # A flow run: the account of the session it runs in (its first message), else of
        # the contact's messages if they name one account only.
        ("flow_states", "UPDATE flow_states SET waba_id = (SELECT w.waba_id FROM easymo_m11_session_waba w "
         "WHERE w.session_id = flow_states.session_id) WHERE waba_id = '' AND session_id IN "
         "(SELECT session_id FROM easymo_m11_session_waba)"),
        ("flow_states", "UPDATE flow_states SET waba_id = (SELECT MIN(m.waba_id) FROM messages m "
         "WHERE m.contact_wa_id = flow_states.contact_wa_id AND m.waba_id <> '') WHERE waba_id = '' AND "
         "(SELECT COUNT(DISTINCT m.waba_id) FROM messages m WHERE m.contact_wa_id = flow_states.contact_wa_id "
         "AND m.waba_id <> '') = 1"),
    ]
    for table, sql in steps:
        n = _exec(sql)
        if n:
            log.info("0011_accounts: %s: %d rows attributed", table, n)
    if sole:
        for table in ADDED_TO:
            n = _exec(f"UPDATE {table} SET waba_id = :w WHERE waba_id = ''", {"w": sole})
            if n:
                log.info("0011_accounts: %s: %d rows given the only account", table, n)


def _restore_meta(accounts: bool, sole: str = "") -> None:
    cols = '"kind", "key", "start", "end", "values", "pulled_at"'
    if accounts:
        # Meta's message figures are per phone number (the key); the rest, the only account's.
        _exec(f"INSERT INTO meta_analytics (waba_id, {cols}) SELECT COALESCE((SELECT p.waba_id FROM "
              "phone_numbers p WHERE o.kind = 'messages' AND p.phone_number_id = o.\"key\"), :sole), "
              f"{', '.join('o.' + c for c in cols.split(', '))} FROM easymo_m11_meta o",
              {"sole": sole})
    else:
        # Collapsed: the latest pull of each (kind, key, start) over the accounts.
        _exec(f"INSERT INTO meta_analytics ({cols}) SELECT {', '.join('o.' + c for c in cols.split(', '))} "
              "FROM easymo_m11_meta o WHERE NOT EXISTS (SELECT 1 FROM easymo_m11_meta n "
              'WHERE n."kind" = o."kind" AND n."key" = o."key" AND n."start" = o."start" '
              "AND (n.pulled_at > o.pulled_at OR (n.pulled_at = o.pulled_at AND n.waba_id > o.waba_id)))")


def _log_unattributed() -> None:
    for table in ATTRIBUTED:
        n = op.get_bind().execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE waba_id = ''")).scalar_one()
        if n:
            log.warning("0011_accounts: %s: %d rows name no account (waba_id ''): only the owner and "
                        "logins granted every account see them (docs/accounts.md)", table, n)


def _indexes(accounts: bool) -> None:
    account = ["waba_id"] if accounts else []
    op.drop_index("ix_messages_contact_created", table_name="messages")
    op.create_index("ix_messages_contact_created", "messages", ["contact_wa_id", *account, "created_at"])
    op.drop_index("ix_flow_states_contact_status", table_name="flow_states")
    op.create_index("ix_flow_states_contact_status", "flow_states", ["contact_wa_id", *account, "status"])


def upgrade() -> None:
    conn = op.get_bind()
    mapping = _mapping()
    accounts = sorted(set(mapping.values()))
    # The only account the profiles name, if they name one only.
    sole = accounts[0] if len(accounts) == 1 else ""
    frozen_sql.run_ddl(conn, "0010_exact_latency_bins", "drop_triggers")
    op.create_table(
        "phone_numbers",
        sa.Column("phone_number_id", sa.String(length=32), nullable=False),
        sa.Column("waba_id", sa.String(length=32), nullable=False),
        sa.Column("display_phone_number", sa.String(length=32), nullable=True),
        sa.Column("first_seen_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id", name=op.f("pk_phone_numbers")),
    )
    now = int(time.time() * 1000)
    for phone, waba in sorted(mapping.items()):
        _exec("INSERT INTO phone_numbers (phone_number_id, waba_id, first_seen_at) VALUES (:p, :w, :t)",
              {"p": phone, "w": waba, "t": now})
    for table in ADDED_TO:
        op.add_column(table, _waba())
    _indexes(accounts=True)
    # Attributed while the old sessions still tie flow runs to their messages.
    _attribute(sole)

    _save_and_drop(conn)
    _create_contacts(accounts=True)
    _create_sessions(accounts=True)
    _create_rollups(accounts=True, bins=BIN_COLUMNS)
    _create_meta(accounts=True)
    _restore_meta(accounts=True, sole=sole)
    _rebuild(conn, accounts=True, sole=sole)
    _drop_saved()
    _log_unattributed()
    frozen_sql.run_ddl(conn, revision, "create_triggers")


def downgrade() -> None:
    conn = op.get_bind()
    frozen_sql.run_ddl(conn, revision, "drop_triggers")
    _save_and_drop(conn)
    op.drop_table("phone_numbers")
    _indexes(accounts=False)
    for table in ADDED_TO:
        op.drop_column(table, "waba_id")
    _create_contacts(accounts=False)
    _create_sessions(accounts=False)
    _create_rollups(accounts=False, bins=BIN_COLUMNS)
    _create_meta(accounts=False)
    _restore_meta(accounts=False)
    _rebuild(conn, accounts=False)
    _drop_saved()
    frozen_sql.run_ddl(conn, "0010_exact_latency_bins", "create_triggers")

