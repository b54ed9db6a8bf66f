"""The batch path of the processor: same rules as one send, one outcome per request."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from easymo_core.cloudapi.errors import NetworkError, SendContext, SendOutcomeUnknown
from easymo_core.config.profile import Profile
from easymo_core.errors import EasymoError
from easymo_core.messaging.batch import TemplateRequest
from easymo_core.messaging.outcome import SendOutcome, TemplateRefused
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.storage.models import Message
from easymo_core.templates.params import TemplateParams
from tests.e2e.conftest import Stack, wait_for

# Every test here starts the sandbox and the webhook receiver.
pytestmark = pytest.mark.slow


def _req(i: int, name: str = "order_update", key: str | None = None, **body: str) -> TemplateRequest:
    params = TemplateParams(header={"1": f"#{i}"}, body=body or {"1": f"Ana {i}", "2": "Friday"},
                            buttons={1: f"{i}"})
    return TemplateRequest(f"+1555040{i:04d}", name, "en_US", params, idempotency_key=key)


def test_batch_records_sends_and_tracks_every_message(stack: Stack) -> None:
    stack.services.templates.sync()
    requests = [_req(i) for i in range(12)]
    requests[4] = _req(4, name="no_such_template")
    requests[7] = _req(7, **{"1": "only one"})
    outcomes = stack.services.processor.send_template_batch(requests, concurrency=4)
    assert len(outcomes) == 12
    assert isinstance(outcomes[4], TemplateRefused) and "no_such_template" in outcomes[4].message
    assert isinstance(outcomes[7], EasymoError)
    sent = [o for o in outcomes if isinstance(o, SendOutcome)]
    assert len(sent) == 10 and all(o.status == "accepted" and o.wamid for o in sent)
    assert len({o.wamid for o in sent}) == 10
    with stack.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 10  # refused ones leave no row

    def all_read() -> bool:
        with stack.db.session() as s:
            return s.scalar(select(func.count()).where(Message.status == "read")) == 10

    wait_for(all_read, 20, "every message to reach read")
    log = stack.log()["entries"]
    assert sum(1 for e in log if e.get("kind") == "send" and e.get("wamid")) == 10


def test_batch_retried_with_the_same_keys_sends_nothing_twice(stack: Stack) -> None:
    stack.services.templates.sync()
    requests = [_req(i, key=f"campaign-7:{i}") for i in range(5)]
    first = stack.services.processor.send_template_batch(requests)
    again = stack.services.processor.send_template_batch(requests)
    assert all(isinstance(o, SendOutcome) and not o.duplicate for o in first)
    assert all(isinstance(o, SendOutcome) and o.duplicate for o in again)
    assert [o.wamid for o in first] == [o.wamid for o in again]  # type: ignore[union-attr]
    log = stack.log()["entries"]
    assert sum(1 for e in log if e.get("kind") == "send" and e.get("wamid")) == 5


def test_batch_failure_of_one_request_is_recorded_on_its_row(stack: Stack) -> None:
    stack.services.templates.sync()
    stack.control("faults", next_errors=4)  # every attempt of the first request gets a 500
    outcomes = stack.services.processor.send_template_batch([_req(i) for i in range(3)], concurrency=1)
    statuses = [o.status for o in outcomes if isinstance(o, SendOutcome)]
    assert statuses[1:] == ["accepted", "accepted"]
    first = outcomes[0]
    assert isinstance(first, SendOutcome) and first.status in ("failed", "queued") and first.error
    with stack.db.session() as s:
        row = s.get(Message, first.message_id)
        assert row is not None and row.status == first.status and row.wamid is None
        # failed: the error is on the row; queued: the answer was lost and it says so
        assert row.error_title if first.status == "failed" else "outcome unknown" in (row.error_detail or "")


def _status_first(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every send's "sent" webhook reach the ingest before the sender records the
    answer, as a fast receiver can: the ingest then links the row from the echoed key."""
    processor = stack.services.processor
    real = processor.client.send_payload

    def send(payload: dict[str, Any], *, idempotency_key: str | None = None, **kw: Any) -> Any:
        result = real(payload, idempotency_key=idempotency_key, **kw)
        event = {"id": result.wamid, "status": "sent", "timestamp": str(int(time.time())),
                 "recipient_id": payload["to"], "biz_opaque_callback_data": idempotency_key}
        processor.ingest.ingest(parse_envelope(_envelope(event, processor.profile)))
        return result

    monkeypatch.setattr(processor.client, "send_payload", send)


def _envelope(status: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """Meta's webhook for the profile's number: its account is entry.id (a status naming
    another account would not touch the profile's messages)."""
    value = {"messaging_product": "whatsapp", "statuses": [status],
             "metadata": {"display_phone_number": "15550100001", "phone_number_id": profile.phone_number_id}}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": profile.waba_id, "changes": [{"field": "messages", "value": value}]}]}


def _batch_then_single(stack: Stack, n: int, *, concurrency: int) -> list[Any]:
    """``n`` templates through the batch path, then one through the single path."""
    stack.services.templates.sync()
    batch = stack.services.processor.send_template_batch([_req(i) for i in range(n)], concurrency=concurrency)
    single = stack.services.processor.send_template(
        "+15550409999", "order_update", "en_US",
        TemplateParams(header={"1": "#9"}, body={"1": "Ana", "2": "Friday"}, buttons={1: "9"}))
    return [*batch, single]


def test_a_status_that_beats_the_send_answer_is_not_undone(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    _status_first(stack, monkeypatch)
    wamids = [o.wamid for o in _batch_then_single(stack, 6, concurrency=3) if isinstance(o, SendOutcome)]
    assert len(wamids) == 7 and all(wamids)
    with stack.db.session() as s:
        rows = s.scalars(select(Message).where(Message.wamid.in_(wamids))).all()
    # Linked by the ingest and moved on to "sent": the sender's "accepted" must not undo it
    # (a real status webhook may have moved it further since).
    assert len(rows) == 7
    assert all(r.status in ("sent", "delivered", "read", "failed") for r in rows), \
        [r.status for r in rows]
    assert all(r.sent_at is not None for r in rows)


def _answer_lost_after_the_status(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every send goes out and its "sent" webhook is ingested (linked by the echoed key),
    then the answer is lost: a read timeout after Meta had taken the message."""
    processor = stack.services.processor
    _status_first(stack, monkeypatch)
    sends_and_links = processor.client.send_payload

    def send(payload: dict[str, Any], *, idempotency_key: str | None = None, **kw: Any) -> Any:
        sends_and_links(payload, idempotency_key=idempotency_key, **kw)
        context = SendContext("1", payload["to"], payload["type"], idempotency_key, idempotency_key)
        lost = NetworkError("graph.facebook.com", "read timed out", request_sent=True, retryable=False)
        raise SendOutcomeUnknown(context, lost, attempts=1)

    monkeypatch.setattr(processor.client, "send_payload", send)


def test_a_lost_answer_after_meta_reported_the_send_tells_what_meta_said(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver linked the send from the echoed key before the read timed out: the
    caller gets the wamid and status Meta reported, and the row keeps them, with no
    "outcome unknown" written over them (bulk would count the recipient as unknown)."""
    _answer_lost_after_the_status(stack, monkeypatch)
    outcomes = _batch_then_single(stack, 4, concurrency=2)
    assert all(isinstance(o, SendOutcome) and o.wamid and o.error is None for o in outcomes), outcomes
    assert {o.status for o in outcomes if isinstance(o, SendOutcome)} <= {"sent", "delivered", "read"}
    with stack.db.session() as s:
        rows = s.scalars(select(Message)).all()
    assert len(rows) == 5
    assert all(r.wamid and r.sent_at and not r.error_detail for r in rows), \
        [(r.status, r.wamid, r.error_detail) for r in rows]


def test_a_bug_in_one_send_is_raised_after_every_answer_is_recorded(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.services.templates.sync()
    processor = stack.services.processor
    real = processor.client.send_payload

    def send(payload: dict[str, Any], **kw: Any) -> Any:
        if payload["to"] == "15550400002":
            raise RuntimeError("a bug in the send path")
        return real(payload, **kw)

    monkeypatch.setattr(processor.client, "send_payload", send)
    with pytest.raises(RuntimeError, match="a bug"):
        processor.send_template_batch([_req(i) for i in range(6)], concurrency=3)
    with stack.db.session() as s:
        rows = {r.contact_wa_id: r for r in s.scalars(select(Message)).all()}
    assert len(rows) == 6
    crashed = rows.pop("15550400002")
    # It may have left: kept queued for reconciliation, never marked failed or re-sent.
    assert crashed.status == "queued" and crashed.wamid is None
    assert "RuntimeError" in (crashed.error_detail or "")
    # The others were recorded with their wamid (the sandbox's status webhooks may already
    # have moved them past "accepted").
    assert all(r.wamid and r.status != "queued" for r in rows.values()), \
        [(r.status, r.wamid) for r in rows.values()]
