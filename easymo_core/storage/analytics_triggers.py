"""The analytics triggers of the current schema, for SQLite and PostgreSQL, from one definition.

Migrations never call this module: each runs the SQL frozen at its revision
(storage/migrations/sql/, see storage/frozen_sql.py), and tests/storage/test_frozen_sql.py
checks that what this module generates equals the newest revision's files. A change here
is therefore a new migration with its own frozen files.

Every trigger body is a list of plain SQL statements both dialects accept (``NEW.x`` and
``OLD.x`` references, ``INSERT ... ON CONFLICT DO UPDATE``, CASE for every branch). SQLite
runs them as ``CREATE TRIGGER ... BEGIN ...; END``; PostgreSQL wraps the same list in a
PL/pgSQL function. The session gap read from app_state differs, and the latency columns:
a BEFORE trigger assigns them on PostgreSQL, an AFTER trigger updates the row on SQLite;
the same goes for the session and response time of an accepted send, PostgreSQL sums
delivery_rollups once per statement, and its trigger functions keep generic plans. Each
trigger has a WHEN clause so
it runs only when the figures it keeps change; on PostgreSQL that test costs no function
call.

What they keep (the definitions ``easymo_core.analytics.recompute`` and the property test
check against):

* **messages.delivery_latency_ms / read_latency_ms**: delivered - sent, read - delivered,
  whenever a status timestamp changes (the ingest only sets timestamps).
* **delivery_rollups**, keyed by the hour of the message's ``created_at``, its account
  (``waba_id``), the phone number that sent it (``phone_number_id``) and its template and language
  ('' for non-template messages), as sums of per-message contributions:
  ``sent`` = every outbound message recorded (an attempt, refused ones included),
  ``delivered``/``read`` = the timestamp is known, ``failed`` = the status is failed now,
  latency sums, counts and histogram buckets (bucket i holds latencies below
  ``LATENCY_BUCKETS_MS[i]`` and at or above the previous bound; the last is open),
  ``replied`` = outbound messages with at least one inbound message quoting them,
  ``clicks`` = quoting inbound messages that carry a button or list reply id.
  Every change of a row adds its new contribution and removes its old one, so events in
  any order, duplicates and deletions leave the sums equal to a GROUP BY over messages.
* **error_rollups**: messages whose status is failed now, per error code (-1 if none), under
  the same key as delivery_rollups plus the code.
* **Conversation figures**, when a message joins the conversation (an inbound message on
  insert, an outbound one when Meta accepted it: its wamid is set). Its time is its
  ``created_at``. A contact is a person in one account, (``waba_id``, ``contact_wa_id``):
  one writing to two accounts has two threads. The contact's previous such message
  (latest by created_at, then id) decides the response: an inbound message after an
  outbound one is the user's response (``response_ms`` = the gap), an outbound after an
  inbound is ours. It joins the contact's
  latest session unless that one's last message is more than the idle gap before it
  (app_state key ``analytics.session_gap``, ``{"ms": ...}``, default 30 minutes); then a
  new session starts. Sessions, contact counters and activity_rollups (per hour and
  account) are updated alike.
  Messages are assumed to join in time order per contact (true for live traffic); one
  recorded late is attributed as of its arrival.
* **contacts.engagement_score** (see ``ENGAGEMENT_SQL``), recomputed on each of those.
* **activity_rollups satisfaction**, when conversation_sessions.satisfaction changes (in
  the session's account).

Kept by triggers on the rollup tables themselves (so every writer of
a rollup row, reply credits included, is mirrored without knowing it):

* **delivery_rollups_daily**: delivery_rollups summed per UTC day (``day_start``), same
  account/phone number/template/language key and columns; **error_rollups_daily**: failures
  per day, account, phone number and code. A period reads whole days there and only its edge hours from
  the hourly tables.
* **score_rollups**: contacts per account and engagement-score decile (and the sum of their
  scores), filed by the hour of their latest message either way, kept by triggers on contacts; the
  dashboard's "contacts active since T per decile" sums it instead of scanning contacts.

The four message rollups are keyed by ``phone_number_id`` (several profiles, one number
each, may share a database; the analytics filter by number). Every figure is keyed by
account (migration 0011): a message's ``waba_id`` is set when it is written and never
changes. Within an account, the conversation figures stay per contact, whatever number of
the account the contact wrote to. The dashboard sums the accounts (row-level security
leaves a login only its own), so every rollup key puts the account after the hour or day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from easymo_core.storage.models import (
    DELIVERY_BIN_COLUMNS,
    LATENCY_BUCKETS_MS,
    N_BUCKETS,
    READ_BIN_COLUMNS,
)

GAP_KEY = "analytics.session_gap"
DEFAULT_GAP_MS = 30 * 60 * 1000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
UNKNOWN_ERROR_CODE = -1
WEEK_MS = 7 * 86_400_000

_GAP_SQL = {
    "sqlite": (
        f"COALESCE((SELECT CAST(json_extract(value, '$.ms') AS INTEGER) FROM app_state "
        f"WHERE key = '{GAP_KEY}'), {DEFAULT_GAP_MS})"
    ),
    "postgresql": (
        f"COALESCE((SELECT (value->>'ms')::bigint FROM app_state WHERE key = '{GAP_KEY}'), {DEFAULT_GAP_MS})"
    ),
}


# The engagement score of a contact, 0..100, from its own columns:
#   recency   R = 1 / (1 + W), W = weeks between the user's last message and the
#               contact's latest message either way (0 if the user wrote last; R = 0 if
#               the user never wrote). Messaging someone who stopped answering lowers it.
#   frequency F = n_in / (n_in + 5): 5 messages from the user give 0.5, 20 give 0.8.
#   response  P = replies / messages_out (capped at 1; 0 if we never wrote), where
#               replies counts the user's responses to us (see the module docstring).
#   score = 100 * (0.4 R + 0.3 F + 0.3 P)
def engagement_sql(
    n_in: str = "messages_in",
    n_out: str = "messages_out",
    replies: str = "replies",
    last_in: str = "last_inbound_at",
    last_out: str = "last_outbound_at",
) -> str:
    """The score over the given column expressions (a trigger passes the updated values)."""
    return f"""100.0 * (
  0.4 * (CASE WHEN {last_in} IS NULL THEN 0.0
              ELSE 1.0 / (1.0 + (CASE WHEN {last_out} > {last_in}
                                      THEN {last_out} - {last_in} ELSE 0 END)
                                / {WEEK_MS}.0) END)
  + 0.3 * ({n_in} * 1.0 / ({n_in} + 5.0))
  + 0.3 * (CASE WHEN {n_out} = 0 THEN 0.0 WHEN {replies} >= {n_out} THEN 1.0
                ELSE {replies} * 1.0 / {n_out} END))"""


ENGAGEMENT_SQL = engagement_sql()


def engagement_score(
    messages_in: int, messages_out: int, replies: int, last_in: int | None, last_out: int | None
) -> float:
    """ENGAGEMENT_SQL in Python, for recomputation and tests."""
    if last_in is None:
        recency = 0.0
    else:
        gap = last_out - last_in if last_out is not None and last_out > last_in else 0
        recency = 1.0 / (1.0 + gap / WEEK_MS)
    frequency = messages_in / (messages_in + 5.0)
    response = 0.0 if messages_out == 0 else min(1.0, replies / messages_out)
    return 100.0 * (0.4 * recency + 0.3 * frequency + 0.3 * response)


def latency_bucket(ms: int) -> int:
    """The histogram bucket of a latency, as the triggers file it."""
    for i, bound in enumerate(LATENCY_BUCKETS_MS):
        if ms < bound:
            return i
    return N_BUCKETS - 1


# -- per-message expressions (``row`` is NEW, OLD or a table alias) --------------------
def hour_sql(row: str, column: str = "created_at") -> str:
    return f"(({row}.{column} / {HOUR_MS}) * {HOUR_MS})"


def delivery_latency_sql(row: str) -> str:
    return (
        f"(CASE WHEN {row}.delivered_at IS NOT NULL AND {row}.sent_at IS NOT NULL "
        f"THEN {row}.delivered_at - {row}.sent_at END)"
    )


def read_latency_sql(row: str) -> str:
    return (
        f"(CASE WHEN {row}.read_at IS NOT NULL AND {row}.delivered_at IS NOT NULL "
        f"THEN {row}.read_at - {row}.delivered_at END)"
    )


def bucket_sql(expr: str) -> str:
    whens = " ".join(f"WHEN {expr} < {b} THEN {i}" for i, b in enumerate(LATENCY_BUCKETS_MS))
    return f"(CASE WHEN {expr} IS NULL THEN -1 {whens} ELSE {N_BUCKETS - 1} END)"


def one_if(cond: str) -> str:
    """1 when ``cond`` holds, else 0 (a count's contribution)."""
    return f"(CASE WHEN {cond} THEN 1 ELSE 0 END)"


BUCKET_COLUMNS = [*DELIVERY_BIN_COLUMNS, *READ_BIN_COLUMNS]
DELIVERY_SUMS = [
    "sent",
    "delivered",
    "read",
    "failed",
    "delivery_latency_sum_ms",
    "delivery_latency_count",
    "read_latency_sum_ms",
    "read_latency_count",
]
# Every summed column of delivery_rollups, as the daily table mirrors them.
ROLLUP_COLUMNS = [*DELIVERY_SUMS, "replied", "clicks", *BUCKET_COLUMNS]
NUMBER_COLUMN = "phone_number_id"
ACCOUNT_COLUMN = "waba_id"


def message_key(row: str) -> dict[str, str]:
    """The delivery_rollups key of message ``row``, column -> expression."""
    key = {
        "hour_start": hour_sql(row),
        ACCOUNT_COLUMN: f"{row}.{ACCOUNT_COLUMN}",
        NUMBER_COLUMN: f"COALESCE({row}.{NUMBER_COLUMN}, '')",
    }
    key["template_name"] = f"COALESCE({row}.template_name, '')"
    key["template_language"] = f"COALESCE({row}.template_language, '')"
    return key


def error_key(row: str) -> dict[str, str]:
    """The error_rollups key of failed message ``row``: its delivery key and error code."""
    return {**message_key(row), "error_code": f"COALESCE({row}.error_code, {UNKNOWN_ERROR_CODE})"}


def delivery_key_columns() -> tuple[str, ...]:
    return tuple(message_key("m"))


def error_key_columns() -> tuple[str, ...]:
    return tuple(error_key("m"))


def daily_delivery_key_columns() -> tuple[str, ...]:
    """delivery_rollups_daily's key: the hourly one by day."""
    return ("day_start", *delivery_key_columns()[1:])


def daily_error_key_columns() -> tuple[str, ...]:
    """error_rollups_daily's key: day, account, number and code (the dashboard's only grouping)."""
    return ("day_start", ACCOUNT_COLUMN, NUMBER_COLUMN, "error_code")


def _in_bucket(diff: str, i: int) -> str:
    """``diff`` (NULL when a timestamp is missing) falls in histogram bucket i, as bucket_sql files it."""
    if i == 0:
        return f"{diff} < {LATENCY_BUCKETS_MS[0]}"
    if i == N_BUCKETS - 1:
        return f"{diff} >= {LATENCY_BUCKETS_MS[-1]}"
    return f"{diff} >= {LATENCY_BUCKETS_MS[i - 1]} AND {diff} < {LATENCY_BUCKETS_MS[i]}"


def _rollup_contribution(row: str) -> dict[str, str]:
    """A message's contribution to its delivery_rollups row, per column.

    The latencies are bare differences: NULL when either timestamp is, in both dialects,
    so no CASE is needed around them (equal to delivery_latency_sql / read_latency_sql).
    """
    dl, rd = f"({row}.delivered_at - {row}.sent_at)", f"({row}.read_at - {row}.delivered_at)"
    out = {
        "sent": "1",
        "delivered": one_if(f"{row}.delivered_at IS NOT NULL"),
        "read": one_if(f"{row}.read_at IS NOT NULL"),
        "failed": one_if(f"{row}.status = 'failed'"),
        "delivery_latency_sum_ms": f"COALESCE({dl}, 0)",
        "delivery_latency_count": one_if(f"{dl} IS NOT NULL"),
        "read_latency_sum_ms": f"COALESCE({rd}, 0)",
        "read_latency_count": one_if(f"{rd} IS NOT NULL"),
    }
    out.update({c: one_if(_in_bucket(dl, i)) for i, c in enumerate(DELIVERY_BIN_COLUMNS)})
    out.update({c: one_if(_in_bucket(rd, i)) for i, c in enumerate(READ_BIN_COLUMNS)})
    return out


def _upsert_set(table: str, columns: list[str]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


def _insert_select(table: str, key: dict[str, str], deltas: dict[str, str], tail: str) -> str:
    """Add ``deltas`` to the row at ``key`` for each row ``SELECT ... {tail}`` yields."""
    return (
        f"INSERT INTO {table} ({', '.join([*key, *deltas])}) "
        f"SELECT {', '.join([*key.values(), *deltas.values()])} {tail} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {_upsert_set(table, list(deltas))}"
    )


def _add_to_row(table: str, key: dict[str, str], deltas: dict[str, str], dialect: str) -> str:
    """Add ``deltas`` to the row of ``table`` at ``key``, creating it if missing.

    SQLite: one upsert. PostgreSQL: an UPDATE, and the upsert only if no row was there;
    INSERT ... ON CONFLICT DO UPDATE first probes the index, locks the row and then updates
    it, which costs a plain UPDATE's time again on every status of a hot rollup row.
    """
    cols = list(deltas)
    values = ", ".join([*key.values(), *deltas.values()])
    upsert = (
        f"INSERT INTO {table} ({', '.join([*key, *cols])}) VALUES ({values}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {_upsert_set(table, cols)}"
    )
    if dialect == "sqlite":
        return upsert
    where = " AND ".join(f"{k} = {v}" for k, v in key.items())
    update = f"UPDATE {table} SET {', '.join(f'{c} = {c} + ({v})' for c, v in deltas.items())} WHERE {where}"
    return f"{update};\n  IF NOT FOUND THEN\n    {upsert};\n  END IF"


def _rollup_delta(new: str | None, old: str | None, dialect: str) -> str:
    """Add ``new``'s contribution and remove ``old``'s (same key for both).

    The first triggers computed the same figures through nested derived tables, which PostgreSQL took
    ~0.4 ms to run per row even when it changed nothing; the triggers' WHEN clauses now
    skip rows whose figures do not change, and the deltas are plain column expressions.
    """
    key = new or old
    assert key is not None
    added = _rollup_contribution(new) if new else None
    removed = _rollup_contribution(old) if old else None
    deltas = {}
    for c in [*DELIVERY_SUMS, *BUCKET_COLUMNS]:
        if added is not None and removed is not None:
            deltas[c] = f"{added[c]} - {removed[c]}"
        elif added is not None:
            deltas[c] = added[c]
        else:
            assert removed is not None
            deltas[c] = f"0 - {removed[c]}"
    return _add_to_row("delivery_rollups", message_key(key), deltas, dialect)


# The status-update trigger fires only when a message's rollup contribution changes: the
# "sent" report of a message (sent_at only) and duplicate reports change nothing.
def _contribution_changed(new: str = "NEW", old: str = "OLD") -> str:
    return " OR ".join(
        [
            f"({new}.delivered_at IS NULL) <> ({old}.delivered_at IS NULL)",
            f"({new}.read_at IS NULL) <> ({old}.read_at IS NULL)",
            f"({new}.status = 'failed') <> ({old}.status = 'failed')",
            f"({new}.delivered_at - {new}.sent_at) IS DISTINCT FROM ({old}.delivered_at - {old}.sent_at)",
            f"({new}.read_at - {new}.delivered_at) IS DISTINCT FROM ({old}.read_at - {old}.delivered_at)",
        ]
    )


_CONTRIBUTION_CHANGED = _contribution_changed()


def _statement_rollup_delta(updated: bool) -> str:
    """PostgreSQL, once per INSERT or UPDATE statement on messages: the statement's changed
    outbound rows summed per delivery_rollups key, one upsert per key.

    A row trigger updates the hour's rollup row once per status. On PostgreSQL each update
    of that row is a new row version that no later one in the same transaction can reclaim,
    so a group commit of 50 POSTs walked ever longer version chains: 1.5-5.7 ms per
    delivered or read status in EXPLAIN ANALYZE, with 144 index entries behind one daily
    key. Summed per statement, the row changes once per statement instead.
    """
    key = message_key("n")
    cols = [*DELIVERY_SUMS, *BUCKET_COLUMNS]

    def select(row: str, sign: str, source: str) -> str:
        contribution = _rollup_contribution(row)
        return (f"SELECT {', '.join(f'{v} AS {n}' for n, v in message_key(row).items())}, "
                f"{', '.join(f'{sign}({contribution[col]}) AS {col}' for col in cols)} {source}")

    if updated:
        source = (f"FROM new_rows n JOIN old_rows o ON o.id = n.id "
                  f"WHERE n.direction = 'out' AND ({_contribution_changed('n', 'o')})")
        rows = f"{select('n', '', source)} UNION ALL {select('o', '-', source)}"
    else:
        rows = select("n", "", "FROM new_rows n WHERE n.direction = 'out'")
    sums = ", ".join(f"SUM({c})" for c in cols)
    # Rows whose changes cancel out within the statement leave the rollup row untouched.
    nonzero = " OR ".join(f"SUM({c}) <> 0" for c in cols)
    return (
        f"INSERT INTO delivery_rollups ({', '.join([*key, *cols])}) "
        f"SELECT {', '.join(key)}, {sums} FROM ({rows}) d GROUP BY {', '.join(key)} HAVING {nonzero} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {_upsert_set('delivery_rollups', cols)}"
    )


_LATENCY_STALE = (
    "(NEW.delivery_latency_ms IS DISTINCT FROM (NEW.delivered_at - NEW.sent_at) "
    "OR NEW.read_latency_ms IS DISTINCT FROM (NEW.read_at - NEW.delivered_at))"
)


def _error_delta(row: str, sign: int, guard: str) -> str:
    return _insert_select("error_rollups", error_key(row), {"failures": str(sign)}, f"WHERE {guard}")


def _latency_columns() -> str:
    dl, rd = delivery_latency_sql("NEW"), read_latency_sql("NEW")
    return (
        f"UPDATE messages SET delivery_latency_ms = {dl}, read_latency_ms = {rd} "
        f"WHERE id = NEW.id AND (delivery_latency_ms IS DISTINCT FROM {dl} "
        f"OR read_latency_ms IS DISTINCT FROM {rd})"
    )


def _reply_credit_from_inbound() -> str:
    """An inbound message quoting one of ours: replied (first quote only) and clicks.

    Credited to the quoted message's row (its number, whichever number the reply came to), of
    the same account only: a person can quote only what their chat with that account holds, and
    these functions run as the table owner (SECURITY DEFINER, 0012), so without the account test
    an admin of one account could move another's figures by storing a message quoting its wamid.
    """
    first = (
        "NOT EXISTS (SELECT 1 FROM messages x WHERE x.context_wamid = NEW.context_wamid "
        "AND x.waba_id = NEW.waba_id AND x.direction = 'in' AND x.id <> NEW.id)"
    )
    return _insert_select(
        "delivery_rollups",
        message_key("o"),
        {"replied": one_if(first), "clicks": one_if("NEW.reply_id IS NOT NULL")},
        "FROM messages o WHERE o.wamid = NEW.context_wamid AND o.waba_id = NEW.waba_id "
        "AND o.direction = 'out'",
    )


def _reply_credit_from_outbound() -> str:
    """An outbound message got its wamid after quoting replies were stored (order-tolerant)."""
    quotes = (
        "FROM messages x WHERE x.context_wamid = NEW.wamid AND x.waba_id = NEW.waba_id "
        "AND x.direction = 'in'"
    )
    return _insert_select(
        "delivery_rollups",
        message_key("NEW"),
        {"replied": "1", "clicks": f"(SELECT COUNT(*) {quotes} AND x.reply_id IS NOT NULL)"},
        f"WHERE EXISTS (SELECT 1 {quotes})",
    )


def _conversation(gap: str, before: bool = False) -> list[str]:
    """A message joins the conversation: response time, session, contact, activity.

    ``before``: PostgreSQL, in a BEFORE trigger, which assigns the message's session and
    response time to NEW instead of updating the row it has just written. That update cost
    a second row version of the message, a second entry in its indexes and a run of the
    per-statement rollup trigger, for every message sent.
    """
    is_in = "NEW.direction = 'in'"
    is_out = "NEW.direction = 'out'"
    written = "(SELECT r.{} FROM messages r WHERE r.id = NEW.id)"
    response = "NEW.response_ms" if before else written.format("response_ms")
    session_of_message = "NEW.session_id" if before else written.format("session_id")
    new_session = (
        "NOT EXISTS (SELECT 1 FROM conversation_sessions s WHERE s.waba_id = NEW.waba_id "
        f"AND s.contact_wa_id = NEW.contact_wa_id AND s.last_message_at >= NEW.created_at - {gap})"
    )
    previous = (
        "SELECT CASE WHEN p.direction <> NEW.direction THEN NEW.created_at - p.created_at END "
        "FROM messages p WHERE p.contact_wa_id = NEW.contact_wa_id AND p.waba_id = NEW.waba_id "
        "AND p.id <> NEW.id "
        "AND (p.direction = 'in' OR p.wamid IS NOT NULL) "
        "AND (p.created_at < NEW.created_at OR (p.created_at = NEW.created_at AND p.id < NEW.id)) "
        "ORDER BY p.created_at DESC, p.id DESC LIMIT 1"
    )
    session = (
        "SELECT s.id FROM conversation_sessions s WHERE s.waba_id = NEW.waba_id "
        "AND s.contact_wa_id = NEW.contact_wa_id ORDER BY s.last_message_at DESC, s.id DESC LIMIT 1"
    )
    user_resp = f"{is_in} AND {response} IS NOT NULL"
    biz_resp = f"{is_out} AND {response} IS NOT NULL"
    activity_cols = [
        "messages_in",
        "messages_out",
        "sessions_started",
        "user_responses",
        "user_response_ms_sum",
        "business_responses",
        "business_response_ms_sum",
    ]
    n_in = f"(messages_in + {one_if(is_in)})"
    n_out = f"(messages_out + {one_if(is_out)})"
    replies = f"(replies + {one_if(user_resp)})"
    last_in = (
        f"(CASE WHEN {is_in} AND (last_inbound_at IS NULL OR last_inbound_at < NEW.created_at) "
        "THEN NEW.created_at ELSE last_inbound_at END)"
    )
    last_out = (
        f"(CASE WHEN {is_out} AND (last_outbound_at IS NULL OR last_outbound_at < NEW.created_at) "
        "THEN NEW.created_at ELSE last_outbound_at END)"
    )
    return [
        # First, before any decision below: on PostgreSQL this waits for a transaction that
        # wrote the contact's row and has not committed (every join ends by writing it), and
        # each later statement reads afresh. Two writers joining one contact's conversation
        # at once (two receivers, a receiver and the processor) thus decide one after the
        # other; decided from the same snapshot, both would start the session and both take
        # the first reply (tests/analytics/test_concurrent_writers.py).
        "INSERT INTO contacts (waba_id, wa_id, first_seen_at, messages_in, messages_out, replies, "
        "engagement_score, updated_at) VALUES (NEW.waba_id, NEW.contact_wa_id, NEW.created_at, 0, 0, 0, "
        "0.0, NEW.updated_at) ON CONFLICT (waba_id, wa_id) DO NOTHING",
        # sessions_started before the session insert, which makes the condition false.
        f"INSERT INTO activity_rollups (hour_start, waba_id, {', '.join(activity_cols)}) "
        f"SELECT {hour_sql('NEW')}, NEW.waba_id, {one_if(is_in)}, {one_if(is_out)}, {one_if(new_session)}, "
        "0, 0, 0, 0 "
        # WHERE: SQLite needs it to tell ON CONFLICT from a join constraint.
        "WHERE 1 = 1 "
        f"ON CONFLICT (hour_start, waba_id) DO UPDATE SET {_upsert_set('activity_rollups', activity_cols)}",
        "INSERT INTO conversation_sessions (waba_id, contact_wa_id, started_at, last_message_at, "
        "messages_in, messages_out, duration_ms, user_response_ms_sum, user_response_count, "
        "business_response_ms_sum, business_response_count) "
        f"SELECT NEW.waba_id, NEW.contact_wa_id, NEW.created_at, NEW.created_at, 0, 0, 0, 0, 0, 0, 0 "
        f"WHERE {new_session}",
        *([f"NEW.session_id := ({session})", f"NEW.response_ms := ({previous})"] if before else
          [f"UPDATE messages SET session_id = ({session}), response_ms = ({previous}) WHERE id = NEW.id"]),
        "UPDATE conversation_sessions SET "
        f"messages_in = messages_in + {one_if(is_in)}, messages_out = messages_out + {one_if(is_out)}, "
        "duration_ms = (CASE WHEN last_message_at > NEW.created_at THEN last_message_at "
        "ELSE NEW.created_at END) - (CASE WHEN started_at < NEW.created_at THEN started_at "
        "ELSE NEW.created_at END), "
        "started_at = CASE WHEN started_at < NEW.created_at THEN started_at ELSE NEW.created_at END, "
        "last_message_at = CASE WHEN last_message_at > NEW.created_at THEN last_message_at "
        "ELSE NEW.created_at END, "
        f"user_response_ms_sum = user_response_ms_sum + (CASE WHEN {user_resp} THEN {response} ELSE 0 END), "
        f"user_response_count = user_response_count + {one_if(user_resp)}, "
        f"business_response_ms_sum = business_response_ms_sum + "
        f"(CASE WHEN {biz_resp} THEN {response} ELSE 0 END), "
        f"business_response_count = business_response_count + {one_if(biz_resp)} "
        f"WHERE id = {session_of_message}",
        "UPDATE activity_rollups SET "
        f"user_responses = user_responses + {one_if(user_resp)}, "
        f"user_response_ms_sum = user_response_ms_sum + (CASE WHEN {user_resp} THEN {response} ELSE 0 END), "
        f"business_responses = business_responses + {one_if(biz_resp)}, "
        f"business_response_ms_sum = business_response_ms_sum + "
        f"(CASE WHEN {biz_resp} THEN {response} ELSE 0 END) "
        f"WHERE hour_start = {hour_sql('NEW')} AND waba_id = NEW.waba_id AND {response} IS NOT NULL",
        # One UPDATE sets the counters and the score from their new values, so the score
        # histogram's trigger on contacts fires once per message.
        "UPDATE contacts SET "
        f"messages_in = {n_in}, messages_out = {n_out}, replies = {replies}, "
        "first_seen_at = CASE WHEN first_seen_at < NEW.created_at THEN first_seen_at "
        "ELSE NEW.created_at END, "
        f"last_inbound_at = {last_in}, last_outbound_at = {last_out}, "
        "updated_at = CASE WHEN updated_at > NEW.updated_at THEN updated_at ELSE NEW.updated_at END, "
        f"engagement_score = {engagement_sql(n_in, n_out, replies, last_in, last_out)} "
        "WHERE waba_id = NEW.waba_id AND wa_id = NEW.contact_wa_id",
    ]


def _satisfaction_delta() -> str:
    sat_cols = [f"sat_{i}" for i in range(1, 6)]
    values = [
        f"{one_if('NEW.satisfaction IS NOT NULL')} - {one_if('OLD.satisfaction IS NOT NULL')}",
        "COALESCE(NEW.satisfaction, 0) - COALESCE(OLD.satisfaction, 0)",
    ] + [f"{one_if(f'NEW.satisfaction = {i}')} - {one_if(f'OLD.satisfaction = {i}')}" for i in range(1, 6)]
    cols = ["satisfaction_count", "satisfaction_sum", *sat_cols]
    return (
        f"INSERT INTO activity_rollups (hour_start, waba_id, {', '.join(cols)}) "
        f"SELECT {hour_sql('NEW', 'started_at')}, NEW.waba_id, {', '.join(values)} WHERE 1 = 1 "
        f"ON CONFLICT (hour_start, waba_id) DO UPDATE SET {_upsert_set('activity_rollups', cols)}"
    )


def _day_of(row: str, column: str = "hour_start") -> str:
    return f"(({row}.{column} / {DAY_MS}) * {DAY_MS})"


def _daily_delta(new: str | None, old: str | None, dialect: str) -> str:
    """Mirror a delivery_rollups row change into its day: + NEW's sums, - OLD's."""
    key = new or old
    assert key is not None
    deltas = {}
    for c in ROLLUP_COLUMNS:
        if new and old:
            deltas[c] = f"{new}.{c} - {old}.{c}"
        else:
            deltas[c] = f"{new}.{c}" if new else f"0 - {old}.{c}"
    day_key = _day_key(key, daily_delivery_key_columns())
    return _add_to_row("delivery_rollups_daily", day_key, deltas, dialect)


def _daily_error_delta(row: str, failures: str, dialect: str) -> str:
    day_key = _day_key(row, daily_error_key_columns())
    return _add_to_row("error_rollups_daily", day_key, {"failures": failures}, dialect)


def _day_key(row: str, columns: tuple[str, ...]) -> dict[str, str]:
    """A daily key from hourly row ``row``: its day, and the other key columns as they are."""
    return {c: _day_of(row) if c == "day_start" else f"{row}.{c}" for c in columns}


def activity_sql(row: str) -> str:
    """A contact's latest message either way (NULL if none); the score histogram's time."""
    return (
        f"(CASE WHEN {row}.last_inbound_at IS NULL THEN {row}.last_outbound_at "
        f"WHEN {row}.last_outbound_at IS NULL OR {row}.last_inbound_at >= {row}.last_outbound_at "
        f"THEN {row}.last_inbound_at ELSE {row}.last_outbound_at END)"
    )


def decile_sql(score: str) -> str:
    """The engagement-score decile: [0,10) is 0 ... [90,100] is 9."""
    whens = " ".join(f"WHEN {score} < {10 * (i + 1)} THEN {i}" for i in range(9))
    return f"(CASE {whens} ELSE 9 END)"


def _score_delta(row: str, sign: int) -> str:
    act = activity_sql(row)
    return (
        "INSERT INTO score_rollups (hour_start, waba_id, decile, contacts, score_sum) "
        f"SELECT (({act} / {HOUR_MS}) * {HOUR_MS}), {row}.waba_id, {decile_sql(f'{row}.engagement_score')}, "
        f"{sign}, {sign} * {row}.engagement_score WHERE {act} IS NOT NULL "
        "ON CONFLICT (hour_start, waba_id, decile) DO UPDATE SET "
        "contacts = score_rollups.contacts + excluded.contacts, "
        "score_sum = score_rollups.score_sum + excluded.score_sum"
    )


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    event: str  # INSERT, DELETE, UPDATE OF ..., or for PostgreSQL INSERT OR UPDATE OF ...
    when: str
    body: Callable[[str, str], list[str]]  # statements, given the dialect and the session-gap SQL
    dialects: tuple[str, ...] = ("sqlite", "postgresql")
    timing: str = "AFTER"
    # PostgreSQL statement-level trigger: its REFERENCING clause (``when`` is not used).
    transition: str | None = None


def _key_same(table_key: tuple[str, ...]) -> str:
    return " AND ".join(f"NEW.{k} = OLD.{k}" for k in table_key)


def _rollup_triggers() -> list[Trigger]:
    """delivery_rollups from inserts and status updates of outbound messages: a row trigger
    on SQLite, summed once per statement on PostgreSQL (see _statement_rollup_delta)."""
    error_on_insert = _error_delta("NEW", 1, "NEW.status = 'failed'")
    row_level = [
        Trigger(
            "easymo_msg_out_ins",
            "messages",
            "INSERT",
            "NEW.direction = 'out'",
            lambda d, gap: [_rollup_delta("NEW", None, d), error_on_insert],
            dialects=("sqlite",),
        ),
        Trigger(
            "easymo_msg_out_rollup",
            "messages",
            "UPDATE OF status, sent_at, delivered_at, read_at",
            f"NEW.direction = 'out' AND ({_CONTRIBUTION_CHANGED})",
            lambda d, gap: [_rollup_delta("NEW", "OLD", d)],
            dialects=("sqlite",),
        ),
    ]
    return [
        *row_level,
        Trigger(
            "easymo_msg_out_ins",
            "messages",
            "INSERT",
            "NEW.direction = 'out' AND NEW.status = 'failed'",
            lambda d, gap: [error_on_insert],
            dialects=("postgresql",),
        ),
        Trigger(
            "easymo_msg_out_ins_rollup",
            "messages",
            "INSERT",
            "",
            lambda d, gap: [_statement_rollup_delta(updated=False)],
            dialects=("postgresql",),
            transition="NEW TABLE AS new_rows",
        ),
        # Transition tables rule out a column list: it runs for every UPDATE statement on
        # messages, and its WHERE finds no row when no contribution changed.
        Trigger(
            "easymo_msg_out_rollup",
            "messages",
            "UPDATE",
            "",
            lambda d, gap: [_statement_rollup_delta(updated=True)],
            dialects=("postgresql",),
            transition="OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
    ]


# An outbound message joins the conversation when Meta accepted it.
_JOINS_ON_WAMID = "NEW.direction = 'out' AND OLD.wamid IS NULL AND NEW.wamid IS NOT NULL"


def _triggers() -> list[Trigger]:
    """Every trigger of the current schema, on either dialect."""
    dr_key = delivery_key_columns()
    er_key = error_key_columns()
    return [
        # -- messages ------------------------------------------------------------------------
        *_rollup_triggers(),
        # Latency columns. SQLite cannot assign NEW, so it updates the row after the fact;
        # PostgreSQL sets them before the write, which spares a second row version (and, when
        # the page is full, a second entry in each of the messages indexes) per status.
        Trigger(
            "easymo_msg_latency_ins",
            "messages",
            "INSERT",
            f"NEW.direction = 'out' AND {_LATENCY_STALE}",
            lambda d, gap: [_latency_columns()],
            dialects=("sqlite",),
        ),
        Trigger(
            "easymo_msg_latency_upd",
            "messages",
            "UPDATE OF sent_at, delivered_at, read_at",
            f"NEW.direction = 'out' AND {_LATENCY_STALE}",
            lambda d, gap: [_latency_columns()],
            dialects=("sqlite",),
        ),
        Trigger(
            "easymo_msg_latency",
            "messages",
            "INSERT OR UPDATE OF sent_at, delivered_at, read_at",
            f"NEW.direction = 'out' AND {_LATENCY_STALE}",
            lambda d, gap: [
                "NEW.delivery_latency_ms := NEW.delivered_at - NEW.sent_at",
                "NEW.read_latency_ms := NEW.read_at - NEW.delivered_at",
            ],
            dialects=("postgresql",),
            timing="BEFORE",
        ),
        Trigger(
            "easymo_msg_out_ins_conv",
            "messages",
            "INSERT",
            "NEW.direction = 'out' AND NEW.wamid IS NOT NULL",
            lambda d, gap: [*_conversation(gap), _reply_credit_from_outbound()],
        ),
        Trigger(
            "easymo_msg_in_ins",
            "messages",
            "INSERT",
            "NEW.direction = 'in'",
            lambda d, gap: [*_conversation(gap), _reply_credit_from_inbound()],
        ),
        # The first triggers ran one on every status column change; split by what each part reads,
        # each fires only when its figures change (a "sent" report changes no rollup).
        # easymo_msg_out_rollup is among the rollup triggers above.
        Trigger(
            "easymo_msg_out_error",
            "messages",
            "UPDATE OF status, error_code",
            "NEW.direction = 'out' AND ((NEW.status = 'failed') <> (OLD.status = 'failed') "
            "OR (NEW.status = 'failed' AND NEW.error_code IS DISTINCT FROM OLD.error_code))",
            lambda d, gap: [
                _error_delta(
                    "OLD",
                    -1,
                    "OLD.status = 'failed' AND (NEW.status <> 'failed' "
                    "OR NEW.error_code IS DISTINCT FROM OLD.error_code)",
                ),
                _error_delta(
                    "NEW",
                    1,
                    "NEW.status = 'failed' AND (OLD.status <> 'failed' "
                    "OR NEW.error_code IS DISTINCT FROM OLD.error_code)",
                ),
            ],
        ),
        Trigger(
            "easymo_msg_out_wamid",
            "messages",
            "UPDATE OF wamid",
            _JOINS_ON_WAMID,
            lambda d, gap: [*_conversation(gap), _reply_credit_from_outbound()],
            dialects=("sqlite",),
        ),
        Trigger(
            "easymo_msg_out_wamid",
            "messages",
            "UPDATE OF wamid",
            _JOINS_ON_WAMID,
            lambda d, gap: [*_conversation(gap, before=True), _reply_credit_from_outbound()],
            dialects=("postgresql",),
            timing="BEFORE",
        ),
        Trigger(
            "easymo_msg_out_del",
            "messages",
            "DELETE",
            "OLD.direction = 'out'",
            lambda d, gap: [
                _rollup_delta(None, "OLD", d),
                _error_delta("OLD", -1, "OLD.status = 'failed'"),
            ],
        ),
        Trigger(
            "easymo_session_satisfaction",
            "conversation_sessions",
            "UPDATE OF satisfaction",
            "NEW.satisfaction IS DISTINCT FROM OLD.satisfaction",
            lambda d, gap: [_satisfaction_delta()],
        ),
        # -- daily mirrors and the score histogram ------------------------------------------------
        Trigger(
            "easymo_rollup_daily_ins",
            "delivery_rollups",
            "INSERT",
            "1 = 1",
            lambda d, gap: [_daily_delta("NEW", None, d)],
        ),
        Trigger(
            "easymo_rollup_daily_upd",
            "delivery_rollups",
            "UPDATE",
            _key_same(dr_key),
            lambda d, gap: [_daily_delta("NEW", "OLD", d)],
        ),
        # Nothing re-keys a rollup row today; if something does, both days stay right.
        Trigger(
            "easymo_rollup_daily_rekey",
            "delivery_rollups",
            "UPDATE",
            f"NOT ({_key_same(dr_key)})",
            lambda d, gap: [_daily_delta(None, "OLD", d), _daily_delta("NEW", None, d)],
        ),
        Trigger(
            "easymo_rollup_daily_del",
            "delivery_rollups",
            "DELETE",
            "1 = 1",
            lambda d, gap: [_daily_delta(None, "OLD", d)],
        ),
        Trigger(
            "easymo_error_daily_ins",
            "error_rollups",
            "INSERT",
            "NEW.failures <> 0",
            lambda d, gap: [_daily_error_delta("NEW", "NEW.failures", d)],
        ),
        Trigger(
            "easymo_error_daily_upd",
            "error_rollups",
            "UPDATE",
            "NEW.failures <> OLD.failures OR NOT (" + _key_same(er_key) + ")",
            lambda d, gap: [
                _daily_error_delta("OLD", "0 - OLD.failures", d),
                _daily_error_delta("NEW", "NEW.failures", d),
            ],
        ),
        Trigger(
            "easymo_error_daily_del",
            "error_rollups",
            "DELETE",
            "OLD.failures <> 0",
            lambda d, gap: [_daily_error_delta("OLD", "0 - OLD.failures", d)],
        ),
        Trigger(
            "easymo_contact_score_ins",
            "contacts",
            "INSERT",
            f"{activity_sql('NEW')} IS NOT NULL",
            lambda d, gap: [_score_delta("NEW", 1)],
        ),
        Trigger(
            "easymo_contact_score_upd",
            "contacts",
            "UPDATE OF engagement_score, last_inbound_at, last_outbound_at",
            f"NEW.engagement_score IS DISTINCT FROM OLD.engagement_score "
            f"OR {activity_sql('NEW')} IS DISTINCT FROM {activity_sql('OLD')}",
            lambda d, gap: [_score_delta("OLD", -1), _score_delta("NEW", 1)],
        ),
        Trigger(
            "easymo_contact_score_del",
            "contacts",
            "DELETE",
            f"{activity_sql('OLD')} IS NOT NULL",
            lambda d, gap: [_score_delta("OLD", -1)],
        ),
    ]


TRIGGERS: list[Trigger] = _triggers()


def _create_ddl(t: Trigger, dialect: str, gap: str) -> list[str]:
    """PostgreSQL plans each statement of a trigger function once per session
    (``force_generic_plan``). By default PL/pgSQL plans a statement again on every call until
    a generic plan looks as cheap; for these statements, which change on every call only in
    NEW's values, that replanning was a third of an accepted send's cost (1,900 against
    1,190 us a message, measured with the setting forced for the whole session)."""
    stmts = t.body(dialect, gap)
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {t.name} {t.timing} {t.event} ON {t.table} FOR EACH ROW WHEN {t.when} BEGIN\n"
            + "".join(f"  {s};\n" for s in stmts)
            + "END"
        ]
    fn = f"{t.name}_fn"
    result = "NEW" if t.timing == "BEFORE" else "NULL"
    scope = (f"REFERENCING {t.transition} FOR EACH STATEMENT" if t.transition is not None
             else f"FOR EACH ROW WHEN ({t.when})")
    return [
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql "
        + "SET plan_cache_mode = force_generic_plan "
        + "AS $body$\nBEGIN\n"
        + "".join(f"  {s};\n" for s in stmts)
        + f"  RETURN {result};\nEND\n$body$",
        f"CREATE TRIGGER {t.name} {t.timing} {t.event} ON {t.table} {scope} EXECUTE FUNCTION {fn}()",
    ]


def _drop_ddl(name: str, table: str, dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}"]
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}_fn()"]


def create_statements(dialect: str) -> list[str]:
    """The DDL creating every trigger (and on PostgreSQL its function) on ``dialect``."""
    gap = _GAP_SQL[dialect]
    return [stmt for t in TRIGGERS if dialect in t.dialects for stmt in _create_ddl(t, dialect, gap)]


def drop_statements(dialect: str) -> list[str]:
    """The DDL dropping every trigger (and function) create_statements makes."""
    names = dict.fromkeys((t.name, t.table) for t in TRIGGERS)
    return [stmt for name, table in names for stmt in _drop_ddl(name, table, dialect)]


def create_triggers(conn: Connection) -> None:
    for stmt in create_statements(conn.dialect.name):
        conn.exec_driver_sql(stmt)


def drop_triggers(conn: Connection) -> None:
    for stmt in drop_statements(conn.dialect.name):
        conn.exec_driver_sql(stmt)


def trigger_names() -> list[str]:
    return list(dict.fromkeys(t.name for t in TRIGGERS))
