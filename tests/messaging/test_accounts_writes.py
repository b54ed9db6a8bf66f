"""Every row the processor and the ingest write knows its WhatsApp Business Account, and a
status or contact of one account never touches another's rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import getpass
import itertools
from collections.abc import Callable
from typing import Any, cast

import pytest
from sqlalchemy import select, update

from easymo_core.cloudapi.models import SendResult
from easymo_core.config.profile import Profile
from easymo_core.messaging import admin_name
from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.processor import MessageProcessor
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.os_user import os_user
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Contact, Message, PhoneNumber, StatusEvent, table_of
from easymo_core.templates.store import TemplateService
from tests.messaging.test_ingest import T0, status

A, B = "200000000000001", "200000000000002"
NUMBER_A, NUMBER_B = "300000000000001", "300000000000002"
USER = "15551230000"


def envelope(number: str, waba: str | None, *, statuses: list[dict[str, Any]] | None = None,
             messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1555" + number[-7:], "phone_number_id": number},
    }
    if statuses:
        value["statuses"] = statuses
    if messages:
        value["messages"] = messages
        value["contacts"] = [{"profile": {"name": "Ana"}, "wa_id": m["from"]} for m in messages]
    entry: dict[str, Any] = {"changes": [{"field": "messages", "value": value}]}
    if waba is not None:
        entry["id"] = waba
    return {"object": "whatsapp_business_account", "entry": [entry]}


_ids = itertools.count(1)


def text_in(at: int = 0, frm: str = USER) -> dict[str, Any]:
    return {"from": frm, "id": f"wamid.in{next(_ids)}", "timestamp": str(int(T0.timestamp()) + at),
            "type": "text", "text": {"body": "hi"}}


def contacts(db: Database) -> dict[tuple[str, str], int]:
    with db.session() as s:
        return {(c.waba_id, c.wa_id): c.messages_in for c in s.scalars(select(Contact))}


def numbers(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {p.phone_number_id: p.waba_id for p in s.scalars(select(PhoneNumber))}


def test_inbound_to_two_accounts_numbers_is_two_contacts(db: Database) -> None:
    ingest = StatusIngest(db)
    ingest.ingest(parse_envelope(envelope(NUMBER_A, A, messages=[text_in(1)])))
    ingest.ingest(parse_envelope(envelope(NUMBER_B, B, messages=[text_in(2), text_in(3)])))
    assert contacts(db) == {(A, USER): 1, (B, USER): 2}
    with db.session() as s:
        assert sorted((m.waba_id, m.phone_number_id) for m in s.scalars(select(Message))) == [
            (A, NUMBER_A), (B, NUMBER_B), (B, NUMBER_B)]
    assert numbers(db) == {NUMBER_A: A, NUMBER_B: B}  # the pairs the envelopes named


def test_an_envelope_without_the_account_takes_it_from_phone_numbers(db: Database) -> None:
    first = StatusIngest(db)
    first.ingest(parse_envelope(envelope(NUMBER_B, B, messages=[text_in(1)])))
    # Another process (nothing cached), an envelope naming no entry.id: the number tells.
    StatusIngest(db).ingest(parse_envelope(envelope(NUMBER_B, None, messages=[text_in(2)])))
    # A number nobody has named stays unattributed rather than guessed.
    StatusIngest(db).ingest(parse_envelope(envelope("399999999999999", None, messages=[text_in(3)])))
    assert contacts(db) == {(B, USER): 2, ("", USER): 1}


def test_a_status_for_account_b_never_touches_account_a(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    with db.session() as s:
        s.add(Message(wamid="wamid.A1", idempotency_key="kA1", profile="a", phone_number_id=NUMBER_A,
                      waba_id=A, direction="out", contact_wa_id=USER, type="text", status="accepted",
                      source="cli", created_at=T0, updated_at=T0, accepted_at=T0))
    ingest = StatusIngest(db)
    forged = status("wamid.A1", "read", 5)
    forged["biz_opaque_callback_data"] = "kA1"
    result = ingest.ingest(parse_envelope(envelope(NUMBER_B, B, statuses=[forged])))
    assert (result.statuses_new, result.statuses_pending) == (1, 1)  # stored, held, not applied
    # Said once: a mistyped WABA id in a profile would otherwise only show as stuck messages.
    assert [r.getMessage() for r in caplog.records if "check the WABA id" in r.getMessage()] == [
        f"statuses of account {B} name messages sent as account {A}: they are kept, not applied; "
        "check the WABA id of the profile that sent them"]
    with db.engine.begin() as conn:
        assert ingest.apply_pending(conn) == 0  # nor later
    ingest.sweep()
    with db.session() as s:
        m = s.scalars(select(Message)).one()
        assert (m.status, m.read_at) == ("accepted", None)
        assert [(e.waba_id, e.applied) for e in s.scalars(select(StatusEvent))] == [(B, False)]
    # A's own status applies, and carries A.
    ingest.ingest(parse_envelope(envelope(NUMBER_A, A, statuses=[status("wamid.A1", "delivered", 6)])))
    with db.session() as s:
        assert s.scalars(select(Message.status)).one() == "delivered"
        assert sorted((e.waba_id, e.status) for e in s.scalars(select(StatusEvent))) == [
            (A, "delivered"), (B, "read")]


def test_a_status_for_b_does_not_link_a_lost_send_of_a(db: Database) -> None:
    with db.session() as s:
        s.add(Message(idempotency_key="kA2", profile="a", phone_number_id=NUMBER_A, waba_id=A,
                      direction="out", contact_wa_id=USER, type="text", status="queued", source="cli",
                      created_at=T0, updated_at=T0, queued_at=T0))
    forged = status("wamid.X", "sent", 2)
    forged["biz_opaque_callback_data"] = "kA2"
    StatusIngest(db).ingest(parse_envelope(envelope(NUMBER_B, B, statuses=[forged])))
    with db.session() as s:
        assert s.scalars(select(Message.wamid)).one() is None


class _Client:
    """Meta's answer to each send, with nothing on the wire."""

    def send_payload(self, payload: Any, *, idempotency_key: str | None = None, checked: bool = False,
                     on_wire: Callable[[], None] | None = None) -> SendResult:
        if on_wire is not None:
            on_wire()
        return SendResult(f"wamid.out{next(_ids)}", payload["to"], payload["to"])


def _processor(db: Database, waba: str, number: str) -> MessageProcessor:
    profile = Profile(name="p" + waba[-1], phone_number_id=number, waba_id=waba)
    client = _Client()
    return MessageProcessor(db, client, profile, TemplateService(db, cast(Any, client), waba))


def test_outbound_carries_its_profiles_account_and_sender(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "ana")
    os_user.cache_clear()
    pa, pb = _processor(db, A, NUMBER_A), _processor(db, B, NUMBER_B)
    pa.send_text(USER, "from A", source="composer")
    pb.send_text(USER, "from B", source="cli")
    pb.send_text(USER, "flow B", source="flow")
    with db.session() as s:
        sent = sorted((m.body, m.waba_id, m.phone_number_id, m.admin) for m in s.scalars(select(Message)))
    assert sent == [("flow B", B, NUMBER_B, None), ("from A", A, NUMBER_A, "ana"), ("from B", B, NUMBER_B, "ana")]
    assert contacts(db) == {(A, USER): 0, (B, USER): 0}
    assert numbers(db) == {NUMBER_A: A, NUMBER_B: B}
    # Once per processor, not per message: a pair changed behind its back stays changed.
    with db.engine.begin() as conn:
        conn.execute(update(table_of(PhoneNumber)).values(waba_id="changed"))
    pa.send_text(USER, "again", source="cli")
    assert numbers(db)[NUMBER_A] == "changed"
    # The window is the contact's with this account only.
    StatusIngest(db).ingest(parse_envelope(envelope(NUMBER_B, B, messages=[text_in(1)])))
    assert pa.last_inbound(USER) is None and pb.last_inbound(USER) is not None


def test_the_sender_name_never_fails_a_send(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise OSError("no user name")

    monkeypatch.setattr(getpass, "getuser", broken)
    os_user.cache_clear()
    assert admin_name.admin_for("cli", None) is None
    assert admin_name.admin_for("composer", "x" * 100) == "x" * 64


def test_a_messages_detail_lists_only_its_accounts_statuses(db: Database) -> None:
    from easymo_core.messaging.queries import MessageQueries

    with db.session() as s:
        s.add(Message(wamid="wamid.A3", idempotency_key="kA3", profile="a", phone_number_id=NUMBER_A,
                      waba_id=A, direction="out", contact_wa_id=USER, type="text", status="accepted",
                      source="cli", created_at=T0, updated_at=T0, accepted_at=T0))
    ingest = StatusIngest(db)
    ingest.ingest(parse_envelope(envelope(NUMBER_B, B, statuses=[status("wamid.A3", "read", 5)])))
    ingest.ingest(parse_envelope(envelope(NUMBER_A, A, statuses=[status("wamid.A3", "sent", 2)])))
    assert [e["status"] for e in MessageQueries(db).detail("wamid.A3").events] == ["sent"]


@pytest.fixture(autouse=True)
def _fresh_os_user() -> Any:
    """os_user() is cached per process: each test sees its own patched getpass."""
    os_user.cache_clear()
    yield
    os_user.cache_clear()


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_a_refused_phone_numbers_upsert_fails_neither_the_post_nor_the_send(db: Database) -> None:
    """On PostgreSQL a login may be refused the upsert (row-level security: a number another
    account claimed). The message is stored and sent all the same; only the pair is not."""
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text(
            "CREATE FUNCTION refuse_pair() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = '42501'; END $$"))
        conn.execute(text("CREATE TRIGGER refuse_pair BEFORE INSERT OR UPDATE ON phone_numbers "
                          "FOR EACH ROW EXECUTE FUNCTION refuse_pair()"))
    result = StatusIngest(db).ingest(parse_envelope(envelope(NUMBER_A, A, messages=[text_in(1)])))
    assert result.inbound_new == 1
    _processor(db, B, NUMBER_B).send_text(USER, "still sent", source="cli")
    assert contacts(db) == {(A, USER): 1, (B, USER): 0}
    assert numbers(db) == {}
