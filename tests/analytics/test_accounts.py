"""The triggers keep conversations per account: a person writing to two accounts is two
contacts, with their own sessions, response times and rollup rows. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from easymo_core.analytics.rebuild import rebuild_all
from easymo_core.storage.engine import Database
from tests.analytics.reference import compare, compare_daily, rows
from tests.analytics.test_trigger_properties import T0, reset

A, B = "102290129340398", "104996122399160"
PHONE = {A: "106540352242922", B: "109871234567890"}
PERSON = "15550000001"
GAP = 1_800_000


def _message(conn: Any, n: int, waba: str, direction: str, at: int, **extra: Any) -> int:
    values = {"wamid": f"wamid.{n}", "profile": "p", "phone_number_id": PHONE[waba], "waba_id": waba,
              "direction": direction, "contact_wa_id": PERSON, "type": "text",
              "status": "received" if direction == "in" else "accepted", "source": "test",
              "created_at": at, "updated_at": at, **extra}
    return int(conn.execute(text(
        f"INSERT INTO messages ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)}) RETURNING id"
    ), values).scalar_one())


def test_a_person_writing_to_two_accounts_is_two_contacts(db: Database) -> None:
    reset(db, GAP)
    with db.engine.begin() as conn:
        ours = _message(conn, 1, A, "out", T0, sent_at=T0 + 1000, delivered_at=T0 + 2000)
        other = _message(conn, 2, B, "in", T0 + 60_000)
        answer = _message(conn, 3, A, "in", T0 + 90_000, context_wamid="wamid.1")
    with db.engine.connect() as conn:
        response = {r["id"]: r["response_ms"] for r in rows(conn, "SELECT id, response_ms FROM messages")}
        # The answer in A responds to A's message; B's thread starts with the person's message.
        assert response == {ours: None, other: None, answer: 90_000}
        contacts = {r["waba_id"]: (r["messages_in"], r["messages_out"], r["replies"])
                    for r in rows(conn, "SELECT * FROM contacts")}
        assert contacts == {A: (1, 1, 1), B: (1, 0, 0)}
        sessions = {r["waba_id"]: (r["messages_in"], r["messages_out"], r["user_response_count"])
                    for r in rows(conn, "SELECT * FROM conversation_sessions")}
        assert sessions == {A: (1, 1, 1), B: (1, 0, 0)}
        activity = {r["waba_id"]: (r["messages_in"], r["sessions_started"], r["user_responses"])
                    for r in rows(conn, "SELECT * FROM activity_rollups")}
        assert activity == {A: (1, 1, 1), B: (1, 1, 0)}
        delivery = {(r["waba_id"], r["sent"], r["delivered"], r["replied"])
                    for r in rows(conn, "SELECT * FROM delivery_rollups")}
        assert delivery == {(A, 1, 1, 1)}
        assert {r["waba_id"] for r in rows(conn, "SELECT waba_id FROM score_rollups WHERE contacts > 0")} == {A, B}
        compare(conn, GAP)
        compare_daily(conn, GAP)
    # A rating is counted in the account of its session.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE conversation_sessions SET satisfaction = 4 WHERE waba_id = :b"), {"b": B})
    with db.engine.connect() as conn:
        rated = {r["waba_id"]: r["sat_4"] for r in rows(conn, "SELECT * FROM activity_rollups")}
        assert rated == {A: 0, B: 1}


def test_the_rebuild_keys_by_account_as_the_triggers_do(db: Database) -> None:
    reset(db, GAP)
    with db.engine.begin() as conn:
        _message(conn, 1, A, "out", T0, sent_at=T0 + 1000, delivered_at=T0 + 2000)
        _message(conn, 2, B, "in", T0 + 60_000)
        _message(conn, 3, A, "in", T0 + 90_000, context_wamid="wamid.1")
        _message(conn, 4, B, "out", T0 + 100_000, sent_at=T0 + 101_000)
    with db.engine.connect() as conn:
        # The triggers leave a score row at zero when a contact moves on to another decile.
        tables = {"contacts": "1 = 1", "activity_rollups": "1 = 1", "delivery_rollups": "1 = 1",
                  "score_rollups": "contacts <> 0"}
        by_triggers = {t: rows(conn, f"SELECT * FROM {t} WHERE {w} ORDER BY 1, 2, 3") for t, w in tables.items()}
        for table in ("messages", "conversation_sessions", "contacts"):
            if table == "messages":
                conn.execute(text("UPDATE messages SET session_id = NULL, response_ms = NULL"))
            else:
                conn.execute(text(f"DELETE FROM {table}"))
        rebuild_all(conn)
        compare(conn, GAP)
        compare_daily(conn, GAP)
        rebuilt = {t: rows(conn, f"SELECT * FROM {t} WHERE {w} ORDER BY 1, 2, 3") for t, w in tables.items()}
        conn.rollback()
    assert rebuilt == by_triggers
