"""The webhook receiver over real HTTP on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from easymo_core.storage.engine import Database
from easymo_core.storage.models import Message, StatusEvent, WebhookEvent
from easymo_core.webhook import signature
from easymo_core.webhook.server import WebhookServer
from tests.messaging.test_ingest import add_message, envelope, status

SECRET = "test-app-secret"
VERIFY = "verify-me"


@pytest.fixture
def receiver(db: Database) -> Iterator[WebhookServer]:
    server = WebhookServer(db, app_secret=SECRET, verify_token=VERIFY)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def post(server: WebhookServer, body: bytes, sig: str | None = "auto", **headers: str) -> httpx.Response:
    h = {"Content-Type": "application/json", **headers}
    if sig == "auto":
        h[signature.HEADER] = signature.sign(SECRET, body)
    elif sig is not None:
        h[signature.HEADER] = sig
    return httpx.post(server.url, content=body, headers=h, timeout=10)


def count(db: Database, model: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_verification_handshake(receiver: WebhookServer) -> None:
    ok = httpx.get(
        receiver.url,
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = httpx.get(
        receiver.url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
    )
    assert bad.status_code == 403


def test_signed_statuses_are_stored_and_applied(receiver: WebhookServer, db: Database) -> None:
    add_message(db, "wamid.W1")
    body = json.dumps(envelope([status("wamid.W1", "sent", 1), status("wamid.W1", "delivered", 2)])).encode()
    r = post(receiver, body)
    assert r.status_code == 200 and r.text == "EVENT_RECEIVED"
    receiver.intake.stop()  # drains: ingest of the group finished
    with db.session() as s:
        m = s.scalars(select(Message).where(Message.wamid == "wamid.W1")).one()
        assert m.status == "delivered" and m.delivery_latency_ms == 1000
        ev = s.scalars(select(WebhookEvent)).one()
        assert ev.body == body and ev.processed_at is not None


@pytest.mark.parametrize(
    ("sig", "code"),
    [(None, 401), ("sha256=" + "0" * 64, 403), ("md5=abc", 403), (signature.sign("other", b"{}"), 403)],
)
def test_bad_signature_writes_nothing(
    receiver: WebhookServer, db: Database, sig: str | None, code: int
) -> None:
    body = json.dumps(envelope([status("wamid.X", "sent", 1)])).encode()
    assert post(receiver, body, sig=sig).status_code == code
    assert count(db, WebhookEvent) == 0 and count(db, StatusEvent) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account", "entry": {}}',
        json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "messages", "value": {"statuses": [{"id": "w"}]}}]}],
            }
        ).encode(),
        json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "changes": [
                            {
                                "field": "messages",
                                "value": {"statuses": [{"id": "w", "status": "sent", "timestamp": "soon"}]},
                            }
                        ]
                    }
                ],
            }
        ).encode(),
    ],
)
def test_malformed_payload_is_400_and_nothing_written(
    receiver: WebhookServer, db: Database, body: bytes
) -> None:
    assert post(receiver, body).status_code == 400
    assert count(db, WebhookEvent) == 0 and count(db, StatusEvent) == 0


def test_unknown_fields_and_types_are_kept_not_500(receiver: WebhookServer, db: Database) -> None:
    data = envelope(
        messages=[
            {
                "from": "15551230000",
                "id": "wamid.NEW",
                "timestamp": "1777636800",
                "type": "hologram",
                "hologram": {"x": 1},
            }
        ]
    )
    data["entry"][0]["changes"].append({"field": "account_alerts", "value": {"whatever": True}})
    data["entry"][0]["changes"][0]["value"]["brand_new_field"] = [1, 2]
    assert post(receiver, json.dumps(data).encode()).status_code == 200
    receiver.intake.stop()
    with db.session() as s:
        m = s.scalars(select(Message).where(Message.wamid == "wamid.NEW")).one()
        assert m.type == "hologram" and m.payload is not None and m.payload["hologram"] == {"x": 1}


def test_body_size_limit(receiver: WebhookServer, db: Database) -> None:
    body = b"{" + b" " * (3 * 1024 * 1024 + 10) + b"}"
    assert post(receiver, body).status_code == 413
    assert count(db, WebhookEvent) == 0


def test_full_queue_answers_503(db: Database) -> None:
    server = WebhookServer(db, app_secret=SECRET, verify_token=VERIFY, max_queue=1)
    # Intake not started: the first POST fills the queue and waits; the second is refused.
    server._server.start()
    try:
        body = json.dumps(envelope([status("wamid.Q", "sent", 1)])).encode()
        with httpx.Client(timeout=15) as client:
            import threading

            first: dict[str, int] = {}
            t = threading.Thread(
                target=lambda: first.setdefault(
                    "code",
                    client.post(
                        server.url, content=body, headers={signature.HEADER: signature.sign(SECRET, body)}
                    ).status_code,
                )
            )
            t.start()
            import time

            deadline = time.monotonic() + 5
            while server.intake.depth < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            second = client.post(
                server.url, content=body, headers={signature.HEADER: signature.sign(SECRET, body)}
            )
            assert second.status_code == 503 and second.headers["Retry-After"] == "5"
            server.intake.start()  # now the first one is stored and answered 200
            t.join(15)
            assert first["code"] == 200
    finally:
        server.stop()
    assert count(db, WebhookEvent) == 1


def test_recover_ingests_stored_but_unprocessed(db: Database) -> None:
    from datetime import timedelta

    from easymo_core.storage.types import utcnow
    from easymo_core.webhook.intake import DurableIntake

    add_message(db, "wamid.R")
    body = json.dumps(envelope([status("wamid.R", "delivered", 2)])).encode()
    with db.session() as s:
        s.add(WebhookEvent(received_at=utcnow() - timedelta(minutes=5), body=body, receiver="crashed"))
    assert DurableIntake(db).recover() == 1
    with db.session() as s:
        assert s.scalars(select(Message.status).where(Message.wamid == "wamid.R")).one() == "delivered"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _mutations() -> st.SearchStrategy[bytes]:
    base = envelope(
        [status("wamid.F", "sent", 1)],
        messages=[
            {
                "from": "15551230000",
                "id": "wamid.FI",
                "timestamp": "1777636800",
                "type": "text",
                "text": {"body": "hi"},
            }
        ],
    )

    def mutate(path_choice: int, value: Any) -> bytes:
        data = json.loads(json.dumps(base))
        targets = [
            lambda d: d.__setitem__("object", value),
            lambda d: d.__setitem__("entry", value),
            lambda d: d["entry"][0].__setitem__("changes", value),
            lambda d: d["entry"][0]["changes"][0].__setitem__("value", value),
            lambda d: d["entry"][0]["changes"][0]["value"].__setitem__("statuses", value),
            lambda d: d["entry"][0]["changes"][0]["value"]["statuses"][0].__setitem__("timestamp", value),
            lambda d: d["entry"][0]["changes"][0]["value"]["statuses"][0].__setitem__("errors", value),
            lambda d: d["entry"][0]["changes"][0]["value"].__setitem__("messages", value),
            lambda d: d["entry"][0]["changes"][0]["value"]["messages"][0].__setitem__("text", value),
            lambda d: d["entry"][0]["changes"][0]["value"].__setitem__("contacts", value),
        ]
        targets[path_choice % len(targets)](data)
        return json.dumps(data).encode()

    return st.builds(mutate, st.integers(0, 9), json_values) | st.binary(max_size=200)


@pytest.mark.slow  # 120 round trips to the receiver: 10-15 s
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_mutations())
def test_fuzz_never_500_and_never_partial(receiver: WebhookServer, db: Database, body: bytes) -> None:
    before = (count(db, WebhookEvent), count(db, Message))
    r = post(receiver, body)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert (count(db, WebhookEvent), count(db, Message)) == before
    bad = post(receiver, body, sig="sha256=" + "1" * 64)
    assert bad.status_code == 403
