"""Row-level security with real logins: each signs in with its own password and sees, and
changes, only its accounts' rows; a viewer writes nothing; the webhook login ingests but
reads no message body; the owner still migrates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.roles import grants
from easymo_core.roles.access import current_access
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database
from easymo_core.webhook.intake import DurableIntake
from tests.analytics.reference import compare, compare_daily
from tests.roles.conftest import PHONE, T0, A, B, MakeLogin, seed

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"])
GAP_MS = 30 * 60 * 1000  # the default session gap

SHARED = ("messages", "contacts", "conversation_sessions", "delivery_rollups", "delivery_rollups_daily",
          "error_rollups", "activity_rollups", "score_rollups", "templates", "phone_numbers")


@contextmanager
def signed_in(url: str) -> Iterator[Database]:
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


def accounts_in(conn: Connection, table: str) -> set[str]:
    return set(conn.execute(text(f"SELECT DISTINCT waba_id FROM {table}")).scalars())


def refused(conn: Connection, statement: str, **params: Any) -> str:
    """The SQLSTATE the server refused ``statement`` with (in a savepoint, so the test goes on)."""
    with pytest.raises(DBAPIError) as caught, conn.begin_nested():
        conn.execute(text(statement), params)
    return str(getattr(caught.value.orig, "sqlstate", ""))


def test_an_admin_of_a_reads_and_changes_only_a(owner: Database, make_login: MakeLogin) -> None:
    seed(owner, A, B)
    with owner.engine.connect() as conn:
        conn.execute(text("INSERT INTO phone_numbers (phone_number_id, waba_id, first_seen_at)"
                          " VALUES (:a, :wa, 0), (:b, :wb, 0) ON CONFLICT DO NOTHING"),
                     {"a": PHONE[A], "wa": A, "b": PHONE[B], "wb": B})
        conn.commit()
        for table in SHARED:
            assert accounts_in(conn, table) == {A, B}, table
    login, url = make_login("admin", A)
    with signed_in(url) as admin, admin.engine.begin() as conn:
        access = current_access(conn)
        assert (access.login, access.role, access.accounts) == (login, "admin", (A,))
        for table in SHARED:
            assert accounts_in(conn, table) == {A}, table
        # The accounts are looked up once per query (an InitPlan), not once per row.
        plan = "\n".join(conn.execute(text("EXPLAIN SELECT count(*) FROM messages")).scalars())
        # (the row filter reads the InitPlans' results, and calls no function itself)
        row_filter = next(line for line in plan.splitlines() if "Filter:" in line)
        assert plan.count("InitPlan") == 2 and "easymo_login_accounts" not in row_filter, plan
        # B's rows are not there to change.
        assert conn.execute(text("UPDATE messages SET admin = 'x' WHERE waba_id = :b"), {"b": B}).rowcount == 0
        assert conn.execute(text("DELETE FROM contacts WHERE waba_id = :b"), {"b": B}).rowcount == 0
        assert conn.execute(text("UPDATE templates SET status = 'PAUSED' WHERE waba_id = :b"),
                            {"b": B}).rowcount == 0
        assert conn.execute(text("DELETE FROM delivery_rollups WHERE waba_id = :b"), {"b": B}).rowcount == 0
        # Nor can a row be written into B, or moved there (42501: the policy's WITH CHECK).
        assert refused(conn, "INSERT INTO templates (waba_id, name, language, category, status,"
                             " parameter_format, components, is_draft, created_at, updated_at)"
                             " VALUES (:b, 'x', 'en', 'UTILITY', 'DRAFT', 'POSITIONAL', '[]', true, 0, 0)",
                       b=B) == "42501"
        assert refused(conn, "UPDATE messages SET waba_id = :b WHERE waba_id = :a", a=A, b=B) == "42501"
        # Its own rows it changes, and the triggers keep A's figures whole.
        assert conn.execute(text("UPDATE messages SET admin = :l WHERE waba_id = :a"),
                            {"l": login, "a": A}).rowcount == 5
        conn.execute(text(
            "INSERT INTO messages (wamid, profile, phone_number_id, waba_id, direction, contact_wa_id,"
            " type, body, status, source, created_at, updated_at, received_at)"
            " VALUES ('wamid.in.new', '', :p, :a, 'in', '31999', 'text', 'hi', 'received', 'webhook',"
            " :t, :t, :t)"), {"p": PHONE[A], "a": A, "t": int((T0 + timedelta(hours=1)).timestamp() * 1000)})
    with owner.engine.connect() as conn:
        rows: dict[str, int] = dict(conn.execute(text(
            "SELECT waba_id, messages_in FROM contacts WHERE wa_id = '31999'")).all())
        assert rows == {A: 2, B: 1}
        assert conn.execute(text("SELECT count(*) FROM messages WHERE waba_id = :b AND admin IS NULL"),
                            {"b": B}).scalar() == 5
        assert conn.execute(text("SELECT count(*) FROM templates WHERE status = 'APPROVED'")).scalar() == 2
        compare(conn, GAP_MS)
        compare_daily(conn, GAP_MS)


def test_a_login_of_every_account_sees_all_and_one_of_none_nothing(owner: Database,
                                                                   make_login: MakeLogin) -> None:
    seed(owner, A, B)
    _, everyone = make_login("viewer")
    _, nobody = make_login("viewer", "300000000000003")
    with signed_in(everyone) as db, db.engine.connect() as conn:
        assert current_access(conn).accounts is None
        assert accounts_in(conn, "messages") == {A, B}
    with signed_in(nobody) as db, db.engine.connect() as conn:
        assert accounts_in(conn, "messages") == set()
        assert accounts_in(conn, "delivery_rollups") == set()


def test_a_viewer_reads_its_accounts_and_writes_nothing(owner: Database, make_login: MakeLogin) -> None:
    seed(owner, A, B)
    _, url = make_login("viewer", A)
    with signed_in(url) as viewer, viewer.engine.connect() as conn:
        access = current_access(conn)
        assert access.role == "viewer" and not access.may_write and access.may_read_bodies
        assert set(conn.execute(text("SELECT body FROM messages WHERE direction = 'in'")).scalars()) == {
            f"reply to {A}"}
        for statement in (
            "UPDATE messages SET admin = 'v' WHERE waba_id = :a",
            "DELETE FROM messages WHERE waba_id = :a",
            "INSERT INTO app_state (key, value, updated_at) VALUES ('k', '{}', 0)",
            "UPDATE contacts SET profile_name = 'v'",
            "DELETE FROM delivery_rollups",
            "CREATE TABLE mine (x int)",
        ):
            assert refused(conn, statement, a=A) == "42501", statement


def _envelope(waba: str, statuses: list[dict[str, Any]], messages: list[dict[str, Any]]) -> bytes:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100001", "phone_number_id": PHONE[waba]},
        "statuses": statuses,
        "messages": messages,
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": m["from"]} for m in messages],
    }
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": waba, "changes": [{"field": "messages", "value": value}]}]}).encode()


def test_the_webhook_login_ingests_but_reads_no_body(owner: Database, make_login: MakeLogin) -> None:
    seed(owner, A, B)
    with owner.engine.begin() as conn:
        conn.execute(text("UPDATE messages SET status = 'accepted', sent_at = NULL, delivered_at = NULL,"
                          " read_at = NULL WHERE wamid = 'wamid.out.100000000000001.0'"))
        before = conn.execute(text("SELECT sum(sent), sum(delivered) FROM delivery_rollups"
                                   " WHERE waba_id = :a"), {"a": A}).one()
    at = int((T0 + timedelta(hours=2)).timestamp())
    post = _envelope(A, [{"id": "wamid.out.100000000000001.0", "status": "delivered",
                          "timestamp": str(at), "recipient_id": "31000001"}],
                     [{"from": "31777", "id": "wamid.in.webhook", "timestamp": str(at), "type": "text",
                       "text": {"body": "a customer's words"}}])
    _, url = make_login("webhook")
    with signed_in(url) as hook:
        with hook.engine.connect() as conn:
            access = current_access(conn)
            assert access.role == "webhook" and not access.may_read_bodies and not access.may_write
        result = StatusIngest(hook).ingest(parse_envelope(json.loads(post)))
        assert (result.inbound_new, result.statuses_new) == (1, 1)
        # A POST stored and not yet ingested (a crash in between) is read back and ingested.
        with hook.engine.begin() as conn:
            conn.execute(text("INSERT INTO webhook_events (received_at, body, receiver, attempts)"
                              " VALUES (0, :b, 'test', 0)"),
                         {"b": post.replace(b"wamid.in.webhook", b"wamid.in.stored")})
        assert DurableIntake(hook).recover(older_than=timedelta(0)) == 1
        with hook.engine.connect() as conn:
            assert refused(conn, "SELECT body FROM messages") == "42501"
            assert refused(conn, "SELECT payload FROM messages") == "42501"
            assert refused(conn, "SELECT * FROM delivery_rollups") == "42501"
            assert refused(conn, "SELECT * FROM webhook_dead_letters") == "42501"
            assert refused(conn, "DELETE FROM messages") == "42501"
            assert conn.execute(text("SELECT status FROM messages WHERE wamid = :w"),
                                {"w": "wamid.out.100000000000001.0"}).scalar() == "delivered"
    with owner.engine.connect() as conn:
        stored = conn.execute(text("SELECT waba_id, body FROM messages WHERE wamid LIKE 'wamid.in.%'"
                                   " AND contact_wa_id = '31777' ORDER BY wamid")).all()
        assert [tuple(r) for r in stored] == [(A, "a customer's words"), (A, "a customer's words")]
        assert conn.execute(text("SELECT waba_id, profile_name FROM contacts WHERE wa_id = '31777'")).one() \
            == (A, "Ana")
        # The triggers, running as their owner, kept the figures the webhook login cannot even read.
        after = conn.execute(text("SELECT sum(sent), sum(delivered) FROM delivery_rollups"
                                  " WHERE waba_id = :a"), {"a": A}).one()
        assert after[1] == before[1] + 1
        compare(conn, GAP_MS)
        compare_daily(conn, GAP_MS)
        assert conn.execute(text("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL")).scalar() == 0


def test_the_owner_still_migrates_with_logins_there(owner: Database, make_login: MakeLogin,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    seed(owner, A, B)
    _, url = make_login("admin", A)
    assert migrate.downgrade(owner, "0010_exact_latency_bins").current == "0010_exact_latency_bins"
    assert migrate.upgrade(owner).state == "current"
    with signed_in(url) as admin, admin.engine.connect() as conn:
        # The accounts granted went with account_grants: closed, not open.
        assert conn.execute(text("SELECT count(*) FROM messages")).scalar() == 0
        # 0011 made contacts anew: no grant on it until the grants are applied again.
        assert refused(conn, "SELECT count(*) FROM contacts") == "42501"
    code = run_guarded(cli, ["--db-url", owner.url, "db", "upgrade"])
    out = capsys.readouterr().out
    assert code == 0 and "grants of the group roles applied again" in out
    with signed_in(url) as admin, admin.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contacts")).scalar() == 0


def _definer(conn: Connection) -> dict[str, bool]:
    rows = conn.execute(text(
        "SELECT DISTINCT p.proname, p.prosecdef FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE NOT t.tgisinternal AND t.tgname ~ '^easymo_'")).all()
    return {str(name): bool(definer) for name, definer in rows}


def test_the_analytics_triggers_run_as_their_owner(owner: Database) -> None:
    with owner.engine.begin() as conn:
        functions = _definer(conn)
        # audit_log's guard must see who really writes: it stays the invoker's.
        assert functions.pop("easymo_audit_log_append_only") is False
        assert len(functions) > 10 and all(functions.values()), functions
        # Still with generic plans (migration 0006), now with a search_path of their own too.
        configs = conn.execute(text(
            "SELECT DISTINCT p.proconfig FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE NOT t.tgisinternal AND t.tgname ~ '^easymo_' AND p.prosecdef")).scalars().all()
        assert configs == [["plan_cache_mode=force_generic_plan", "search_path=public, pg_temp"]], configs
        # A later migration re-creating one (CREATE OR REPLACE makes it the invoker's again):
        # applying the grants, as `easymo db upgrade` does, makes it the owner's once more.
        body = conn.execute(text("SELECT pg_get_functiondef('easymo_msg_in_ins_fn'::regproc)")).scalar_one()
        conn.exec_driver_sql(body.replace(" SECURITY DEFINER", ""))
        assert not _definer(conn)["easymo_msg_in_ins_fn"]
    assert grants.reapply_if_set_up(owner.engine) is not None
    with owner.engine.connect() as conn:
        assert [name for name, definer in _definer(conn).items() if not definer] == [
            "easymo_audit_log_append_only"]
    migrate.downgrade(owner, "0011_accounts")
    with owner.engine.connect() as conn:
        assert not any(_definer(conn).values())
        assert conn.execute(text("SELECT count(*) FROM pg_policies")).scalar() == 0


def test_logins_write_only_the_scheduler_state_of_app_state(owner: Database, make_login: MakeLogin) -> None:
    """The session gap shapes every account's figures: only the owner sets it."""
    from easymo_core.analytics.settings import set_session_gap_ms

    _, url = make_login("admin", A)
    with signed_in(url) as db, db.engine.connect() as conn:
        conn.execute(text("INSERT INTO app_state (key, value, updated_at) VALUES "
                          "('scheduler.sweep', '{}', 0)"))
        assert refused(conn, "INSERT INTO app_state (key, value, updated_at) VALUES "
                             "('analytics.session_gap', '{\"ms\": 60000}', 0)") == "42501"
        conn.commit()
    with owner.engine.begin() as conn:
        set_session_gap_ms(conn, 120_000)
    with signed_in(url) as db, db.engine.connect() as conn:
        changed = conn.execute(text("UPDATE app_state SET value = '{\"ms\": 1}' "
                                    "WHERE key = 'analytics.session_gap'")).rowcount
        assert changed == 0
        assert conn.execute(text("SELECT value FROM app_state WHERE key = 'analytics.session_gap'")
                            ).scalar_one() == {"ms": 120_000}
