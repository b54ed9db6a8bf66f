"""Processor -> sandbox -> signed webhooks -> receiver -> database, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.messaging.outcome import TemplateRefused
from tests.e2e.conftest import Stack, wait_for

# Every test here starts the sandbox and the webhook receiver.
pytestmark = pytest.mark.slow

TO = "+15551234567"


def final(stack: Stack, message_id: int, statuses: tuple[str, ...] = ("read",)) -> dict:
    def check() -> dict | None:
        m = stack.services.messages.detail(message_id).message
        return m if m["status"] in statuses else None

    return wait_for(check, what=f"message {message_id} to reach {statuses}")


def test_text_reaches_read_with_latencies(stack: Stack) -> None:
    stack.control("inbound", **{"from": TO, "text": "hi"})  # opens the 24-hour window
    wait_for(lambda: stack.services.messages.list(direction="in"), what="inbound message")
    out = stack.services.processor.send_text(TO, "Hello *there*", source="cli")
    assert out.status == "accepted" and out.wamid and out.wamid.startswith("wamid.")
    m = final(stack, out.message_id)
    assert m["sent_at"] and m["delivered_at"] and m["read_at"]
    assert m["delivery_latency_ms"] is not None and m["delivery_latency_ms"] >= 0
    assert m["read_latency_ms"] is not None and m["read_latency_ms"] >= 0
    events = stack.services.messages.detail(out.message_id).events
    assert [e["status"] for e in events][-1] == "read"


def test_template_buttons_and_list_reach_read(stack: Stack) -> None:
    stack.services.templates.sync()
    t = stack.services.processor.send_template(TO, "hello_world", "en_US")
    stack.control("inbound", **{"from": TO, "text": "hi"})
    wait_for(lambda: stack.services.messages.list(direction="in"), what="inbound")
    b = stack.services.processor.send_buttons(TO, "Pick one", [("yes", "Yes"), ("no", "No")])
    lst = stack.services.processor.send_list(
        TO, "Choose", "Options", [{"title": "S", "rows": [{"id": "r1", "title": "Row 1"}]}]
    )
    for out in (t, b, lst):
        assert out.status == "accepted", out.error
        final(stack, out.message_id)


def test_idempotency_key_never_sends_twice(stack: Stack) -> None:
    stack.services.templates.sync()
    first = stack.services.processor.send_template(TO, "hello_world", "en_US", idempotency_key="once")
    again = stack.services.processor.send_template(TO, "hello_world", "en_US", idempotency_key="once")
    assert again.duplicate and again.wamid == first.wamid
    sends = [e for e in stack.log()["entries"] if e.get("kind") == "send" and e.get("wamid") == first.wamid]
    assert len(sends) == 1


def test_free_form_outside_window_fails_with_131047(stack: Stack) -> None:
    out = stack.services.processor.send_text("+15557654321", "no window", source="cli")
    assert out.status == "accepted"  # Meta accepts, then reports the failure by webhook
    m = final(stack, out.message_id, ("failed",))
    assert m["error_code"] == 131047 and "24" in m["error_explanation"]


def test_template_fallbacks(stack: Stack) -> None:
    from easymo_core.templates.variables import example_parameters

    stack.services.templates.sync()
    rec = stack.services.templates.get("order_update", "en_US")
    assert rec is not None
    params = example_parameters(rec.definition)
    # No German translation: another approved language of the same template is used.
    out = stack.services.processor.send_template(TO, "order_update", "de", params)
    assert out.status == "accepted" and out.fallback == "other_language:en_US"
    assert stack.services.messages.detail(out.message_id).message["template_language"] == "en_US"
    # A paused template inside the 24-hour window goes out as plain text.
    stack.control("inbound", **{"from": TO, "text": "hi"})
    wait_for(lambda: stack.services.messages.list(direction="in"), what="inbound")
    paused = stack.services.templates.get("feedback_survey", "en_US")
    assert paused is not None and paused.status == "PAUSED"
    out = stack.services.processor.send_template(TO, "feedback_survey", "en_US", ["Ana"])
    assert out.fallback == "text_in_window" and "24-hour window" in (out.fallback_note or "")
    m = stack.services.messages.detail(out.message_id).message
    assert m["type"] == "text" and "Ana" in m["body"] and m["fallback"] == "text_in_window"
    # Paused and no window: refused with the reason, nothing recorded.
    before = len(stack.services.messages.list())
    with pytest.raises(TemplateRefused, match="paused"):
        stack.services.processor.send_template("+15550001111", "feedback_survey", "en_US", ["Bo"])
    with pytest.raises(TemplateRefused, match="does not exist"):
        stack.services.processor.send_template("+15550001111", "no_such_template", "en_US")
    assert len(stack.services.messages.list()) == before


def test_invalid_phone_is_refused_before_anything_is_recorded(stack: Stack) -> None:
    with pytest.raises(PayloadError):
        stack.services.processor.send_text("12", "x")
    assert stack.services.messages.list() == []


def test_reply_to_interactive_is_linked(stack: Stack) -> None:
    stack.control("inbound", **{"from": TO, "text": "hi"})
    wait_for(lambda: stack.services.messages.list(direction="in"), what="inbound")
    out = stack.services.processor.send_buttons(TO, "Pick one", [("yes", "Yes"), ("no", "No")])
    stack.control("inbound", **{"from": TO, "button_id": "yes", "title": "Yes", "to": out.wamid})
    detail = wait_for(lambda: stack.services.messages.detail(out.message_id).replies, what="reply")
    assert detail[0]["reply_id"] == "yes"
