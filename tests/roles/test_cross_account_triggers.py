"""The analytics triggers run as the table owner (SECURITY DEFINER, migration 0012): what a
login may write in its own account must not move another account's figures through them."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from easymo_core.storage.engine import Database
from tests.roles.conftest import PHONE, T0, A, B, MakeLogin, seed

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"])


def rollups_of(owner: Database, waba: str) -> list[tuple[int, str, int, int]]:
    with owner.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT hour_start, template_name, replied, clicks FROM delivery_rollups"
            " WHERE waba_id = :w ORDER BY 1, 2"), {"w": waba})]


def test_a_quote_of_another_accounts_message_moves_none_of_its_figures(
    dialect: str, owner: Database, make_login: MakeLogin
) -> None:
    seed(owner, A, B)
    before = rollups_of(owner, B)
    _, url = make_login("admin", A)
    engine = create_engine(url)
    at = int(T0.timestamp() * 1000) + 3_600_000
    try:
        with engine.begin() as conn:
            # A row of its own account, so row-level security lets it in; it quotes B's message.
            conn.execute(text(
                "INSERT INTO messages (wamid, profile, phone_number_id, waba_id, direction, contact_wa_id,"
                " type, body, status, source, created_at, updated_at, received_at, context_wamid,"
                " reply_id) VALUES ('wamid.quote.of.b', '', :p, :a, 'in', '31999', 'text', 'x',"
                " 'received', 'webhook', :t, :t, :t, :quoted, 'button-1')"),
                {"p": PHONE[A], "a": A, "t": at, "quoted": f"wamid.out.{B}.1"})
    finally:
        engine.dispose()
    assert rollups_of(owner, B) == before
