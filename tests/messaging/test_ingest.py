"""The status ingest: order-tolerant, idempotent, holds statuses of unknown messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Contact, Message, StatusEvent

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def status(wamid: str, st_: str, at: int, code: int | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {
        "id": wamid,
        "status": st_,
        "timestamp": str(int(T0.timestamp()) + at),
        "recipient_id": "15551230000",
    }
    if code:
        s["errors"] = [{"code": code, "title": "Message undeliverable", "error_data": {"details": "x"}}]
    return s


def envelope(
    statuses: list[dict[str, Any]] | None = None, messages: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100001", "phone_number_id": "100000000000001"},
    }
    if statuses:
        value["statuses"] = statuses
    if messages:
        value["messages"] = messages
        value["contacts"] = [{"profile": {"name": "Ana"}, "wa_id": m["from"]} for m in messages]
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "200000000000001", "changes": [{"field": "messages", "value": value}]}],
    }


WABA = "200000000000001"  # the envelope's entry.id


def add_message(db: Database, wamid: str, waba_id: str = WABA) -> None:
    with db.session() as s:
        s.add(
            Message(
                wamid=wamid,
                idempotency_key=wamid,
                profile="t",
                phone_number_id="1",
                waba_id=waba_id,
                direction="out",
                contact_wa_id="15551230000",
                type="text",
                status="accepted",
                source="cli",
                created_at=T0,
                updated_at=T0,
                accepted_at=T0,
            )
        )


def final_state(db: Database, wamid: str) -> tuple[Any, ...]:
    with db.session() as s:
        m = s.scalars(select(Message).where(Message.wamid == wamid)).one()
        return (
            m.status,
            m.sent_at,
            m.delivered_at,
            m.read_at,
            m.failed_at,
            m.error_code,
            m.delivery_latency_ms,
            m.read_latency_ms,
        )


def test_in_order_stream_reaches_read_with_latencies(db: Database) -> None:
    add_message(db, "wamid.1")
    ingest = StatusIngest(db)
    for st_, at in (("sent", 1), ("delivered", 3), ("read", 10)):
        ingest.ingest(parse_envelope(envelope([status("wamid.1", st_, at)])))
    state = final_state(db, "wamid.1")
    assert state[0] == "read"
    assert state[1] == T0 + timedelta(seconds=1)
    assert state[6] == 2000 and state[7] == 7000


def test_status_never_goes_backwards_and_duplicates_change_nothing(db: Database) -> None:
    add_message(db, "wamid.2")
    ingest = StatusIngest(db)
    r1 = ingest.ingest(parse_envelope(envelope([status("wamid.2", "read", 5)])))
    r2 = ingest.ingest(
        parse_envelope(envelope([status("wamid.2", "delivered", 3), status("wamid.2", "sent", 1)]))
    )
    r3 = ingest.ingest(parse_envelope(envelope([status("wamid.2", "delivered", 3)])))
    assert (r1.statuses_new, r2.statuses_new, r3.statuses_duplicate) == (1, 2, 1)
    assert final_state(db, "wamid.2")[0] == "read"
    with db.session() as s:
        assert len(s.scalars(select(StatusEvent)).all()) == 3


def test_failed_is_final_unless_delivery_reported(db: Database) -> None:
    add_message(db, "wamid.3")
    ingest = StatusIngest(db)
    ingest.ingest(parse_envelope(envelope([status("wamid.3", "failed", 2, code=131026)])))
    ingest.ingest(parse_envelope(envelope([status("wamid.3", "sent", 1)])))
    assert final_state(db, "wamid.3")[0] == "failed"
    assert final_state(db, "wamid.3")[5] == 131026
    ingest.ingest(parse_envelope(envelope([status("wamid.3", "delivered", 4)])))
    assert final_state(db, "wamid.3")[0] == "delivered"


def test_read_without_delivered_implies_delivery(db: Database) -> None:
    add_message(db, "wamid.4")
    ingest = StatusIngest(db)
    ingest.ingest(parse_envelope(envelope([status("wamid.4", "sent", 1), status("wamid.4", "read", 4)])))
    st_ = final_state(db, "wamid.4")
    assert st_[0] == "read" and st_[2] == st_[3] and st_[6] == 3000 and st_[7] == 0


def test_status_for_unknown_message_is_held_then_applied(db: Database) -> None:
    ingest = StatusIngest(db)
    r = ingest.ingest(parse_envelope(envelope([status("wamid.5", "delivered", 2)])))
    assert r.statuses_pending == 1
    add_message(db, "wamid.5")
    with db.engine.begin() as conn:
        assert ingest.apply_pending(conn, ["wamid.5"]) == 1
    assert final_state(db, "wamid.5")[0] == "delivered"
    with db.engine.begin() as conn:
        assert ingest.apply_pending(conn) == 0  # nothing left


def test_inbound_reply_recorded_once_and_opens_window(db: Database) -> None:
    add_message(db, "wamid.6")
    msg = {
        "from": "15551230000",
        "id": "wamid.IN1",
        "timestamp": str(int(T0.timestamp()) + 30),
        "type": "interactive",
        "context": {"from": "15550100001", "id": "wamid.6"},
        "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}},
    }
    ingest = StatusIngest(db)
    assert ingest.ingest(parse_envelope(envelope(messages=[msg]))).inbound_new == 1
    assert ingest.ingest(parse_envelope(envelope(messages=[msg]))).inbound_duplicate == 1
    with db.session() as s:
        m = s.scalars(select(Message).where(Message.direction == "in")).one()
        assert (m.type, m.reply_id, m.body, m.context_wamid) == ("reply", "yes", "Yes", "wamid.6")
        c = s.get(Contact, (WABA, "15551230000"))
        assert c is not None and c.messages_in == 1 and c.replies == 1 and c.profile_name == "Ana"
        assert c.last_inbound_at == T0 + timedelta(seconds=30)


EVENTS = [("sent", 1), ("delivered", 4), ("read", 9), ("failed", 3)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_permutation_and_duplication_gives_the_in_order_state(db: Database, data: st.DataObject) -> None:
    subset = data.draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=4, unique=True))
    in_order = sorted(subset, key=lambda e: e[1])
    stream = data.draw(st.permutations(subset + data.draw(st.lists(st.sampled_from(subset), max_size=4))))
    chunks = data.draw(st.integers(min_value=1, max_value=3))
    with db.engine.begin() as conn:
        conn.execute(delete(StatusEvent))
        conn.execute(delete(Message))
    add_message(db, "wamid.A")
    add_message(db, "wamid.B")
    ingest = StatusIngest(db)
    for st_, at in in_order:
        ingest.ingest(
            parse_envelope(envelope([status("wamid.A", st_, at, 131026 if st_ == "failed" else None)]))
        )
    evs = [status("wamid.B", st_, at, 131026 if st_ == "failed" else None) for st_, at in stream]
    for i in range(chunks):
        part = evs[i::chunks]
        if part:
            ingest.ingest(parse_envelope(envelope(part)))
    assert final_state(db, "wamid.A") == final_state(db, "wamid.B")


def test_lost_send_answer_is_linked_by_echoed_key(db: Database) -> None:
    with db.session() as s:
        s.add(
            Message(
                idempotency_key="key-lost",
                profile="t",
                phone_number_id="1",
                direction="out",
                contact_wa_id="15551230000",
                type="text",
                status="queued",
                source="cli",
                created_at=T0,
                updated_at=T0,
                queued_at=T0,
            )
        )
    ev = status("wamid.LOST", "sent", 1)
    ev["biz_opaque_callback_data"] = "key-lost"
    StatusIngest(db).ingest(parse_envelope(envelope([ev])))
    with db.session() as s:
        m = s.scalars(select(Message).where(Message.idempotency_key == "key-lost")).one()
        assert (m.wamid, m.status) == ("wamid.LOST", "sent")


def test_a_group_of_posts_keeps_each_status_raw_and_linked_to_its_own_post(db: Database) -> None:
    """The receiver ingests a group commit's POSTs in one pass: each stored status must still
    carry its own raw payload and the id of the POST it came in, and a status repeated in a
    later POST of the same group is stored once."""
    from sqlalchemy import insert

    from easymo_core.storage.models import WebhookEvent, table_of

    add_message(db, "wamid.g1")
    add_message(db, "wamid.g2")
    first = [status("wamid.g1", "sent", 1), status("wamid.g2", "sent", 1)]
    second = [status("wamid.g1", "delivered", 3), status("wamid.g2", "sent", 1)]
    second[0]["pricing"] = {"category": "utility", "billable": True}
    events = table_of(WebhookEvent)
    with db.engine.begin() as conn:
        ids = [
            conn.execute(insert(events).values(received_at=T0, body=b"{}", receiver="t")).inserted_primary_key[0]
            for _ in range(2)
        ]
        result = StatusIngest(db).ingest_group(
            conn, [(ids[0], parse_envelope(envelope(first))), (ids[1], parse_envelope(envelope(second)))]
        )
    assert (result.statuses_new, result.statuses_duplicate) == (3, 1)
    with db.session() as s:
        rows = {(e.wamid, e.status): e for e in s.scalars(select(StatusEvent))}
    assert set(rows) == {("wamid.g1", "sent"), ("wamid.g2", "sent"), ("wamid.g1", "delivered")}
    assert rows[("wamid.g1", "sent")].webhook_event_id == ids[0]
    assert rows[("wamid.g2", "sent")].webhook_event_id == ids[0]
    assert rows[("wamid.g1", "delivered")].webhook_event_id == ids[1]
    assert rows[("wamid.g1", "delivered")].raw == second[0]
    assert rows[("wamid.g1", "delivered")].pricing_category == "utility"
    assert all(e.applied for e in rows.values())
    assert final_state(db, "wamid.g1")[0] == "delivered"


def test_a_status_another_receiver_stored_meanwhile_counts_as_duplicate(db: Database) -> None:
    """Two receivers on one database: the row can appear between our dedupe read and our
    insert. ON CONFLICT skips it, and the driver's row count must tell us so."""
    from easymo_core.messaging import ingest as ingest_mod

    add_message(db, "wamid.r1")
    ingest = StatusIngest(db)
    batch = parse_envelope(envelope([status("wamid.r1", "sent", 1), status("wamid.r1", "delivered", 2)]))
    other = parse_envelope(envelope([status("wamid.r1", "sent", 1)]))
    real_existing = ingest._existing_events

    def stale_read(conn: Any, wamids: set[str]) -> set[tuple[str, str, int]]:
        seen = real_existing(conn, wamids)
        StatusIngest(db).ingest(other)  # the other receiver commits now
        return seen

    ingest._existing_events = stale_read  # type: ignore[method-assign]
    result = ingest.ingest(batch)
    assert ingest_mod.STATUS_CHUNK > 2
    assert (result.statuses_new, result.statuses_duplicate) == (2, 1)
    with db.session() as s:
        assert len(s.scalars(select(StatusEvent)).all()) == 2
    assert final_state(db, "wamid.r1")[0] == "delivered"
