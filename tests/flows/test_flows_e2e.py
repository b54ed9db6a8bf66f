"""Flows through the whole stack, on SQLite and PostgreSQL: the sandbox's users write and tap,
signed webhooks reach the receiver, the ingest records them and hands them to the engine,
and every answer goes out through the processor to the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from easymo_core.storage.models import ConversationSession, Message, table_of
from easymo_core.storage.types import utcnow
from tests.e2e.conftest import wait_for
from tests.flows.conftest import FlowStack

# Every test here starts the sandbox and the webhook receiver.
pytestmark = pytest.mark.slow

ANA, BEN = "15550107001", "15550107002"


def open_window(stack: FlowStack, user: str) -> None:
    sent = stack.write(user, text="hello")
    wait_for(lambda: stack.inbound_stored(sent["id"]), what="the greeting in the database")


def test_a_flow_completes(flow_stack: FlowStack) -> None:
    s = flow_stack
    open_window(s, ANA)
    started = s.flows.start("order_check", f"+{ANA}")
    assert started.status == "active" and started.outcome is not None
    ask = started.outcome.wamid  # type: ignore[union-attr]
    s.write(ANA, button_id="arrived", to=ask)
    rate = s.next_flow_message(ANA, 2)
    assert rate.type == "interactive" and rate.payload["interactive"]["type"] == "list"
    s.write(ANA, list_id="r5", to=rate.wamid)
    wait_for(lambda: s.state(ANA).status == "completed", what="completion")
    # The end step is committed before its message goes out (never a send for a step the
    # state did not reach), so the last send's answer lands a moment after "completed".
    wait_for(lambda: len(s.flow_messages(ANA)) == 3
             and all(m.status != "queued" for m in s.flow_messages(ANA)), what="the last send's answer")
    sent = s.flow_messages(ANA)
    assert [m.body for m in sent] == ["Did your order arrive?", "How was the delivery?", "Thank you!"]
    assert all(m.wamid and m.status != "failed" for m in sent)
    assert [e["event"] for e in s.state(ANA).history] == [
        "entered", "reply", "entered", "reply", "entered", "completed",
    ]
    # the sandbox received exactly those three sends: nothing doubled
    sends = [e for e in s.log()["entries"] if e.get("kind") == "send" and e.get("to") == ANA]
    assert len(sends) == 3


def test_an_unexpected_reply_gets_the_retry_prompt(flow_stack: FlowStack) -> None:
    s = flow_stack
    open_window(s, ANA)
    s.flows.start("order_check", ANA)
    s.write(ANA, text="what is this?")
    wait_for(lambda: s.state(ANA).retries == 1, what="the retry")
    retry = s.next_flow_message(ANA, 2)
    assert retry.body == "Please use the buttons."
    assert retry.type == "interactive"  # the same buttons again, so the user can still tap
    s.write(ANA, button_id="missing", to=retry.wamid)
    wait_for(lambda: s.state(ANA).current_step == "details", what="the next step")
    st = s.state(ANA)
    assert [(e["step"], e["event"]) for e in st.history] == [
        ("ask", "entered"), ("ask", "retry"), ("ask", "reply"), ("details", "entered"),
    ]
    assert st.history[1]["reply"] == "what is this?" and st.retries == 0


def test_a_silent_contact_is_abandoned_on_timeout(flow_stack: FlowStack) -> None:
    s = flow_stack
    open_window(s, BEN)
    started = s.flows.start("order_check", BEN)
    assert s.flows.expire_due(utcnow() + timedelta(minutes=5)) == 0
    assert s.flows.expire_due(utcnow() + timedelta(minutes=11)) == 1
    assert s.flows.expire_due(utcnow() + timedelta(minutes=11)) == 0
    st = s.state(BEN)
    assert st.id == started.state_id and st.status == "abandoned"
    assert st.history[-1]["event"] == "abandoned" and st.history[-1]["reason"] == "timeout"
    late = s.write(BEN, button_id="arrived", to=started.outcome.wamid)  # type: ignore[union-attr]
    wait_for(lambda: s.inbound_stored(late["id"]), what="the late tap in the database")
    assert len(s.flow_messages(BEN)) == 1 and s.state(BEN).status == "abandoned"


def test_the_survey_rating_reaches_the_session(flow_stack: FlowStack) -> None:
    s = flow_stack
    s.write(BEN, text="Feedback")  # a trigger word of the built-in survey
    listing = s.next_flow_message(BEN, 1)
    assert listing.payload["interactive"]["action"]["button"] == "Rate us"
    tap = s.write(BEN, list_id="rate_4", to=listing.wamid)
    wait_for(lambda: s.state(BEN).current_step == "comment", what="the follow-up question")
    rating = [e for e in s.state(BEN).history if e.get("store") == "satisfaction"]
    assert rating == [{"step": "rate", "at": rating[0]["at"], "event": "reply", "reply": "rate_4",
                       "next": "comment", "wamid": tap["id"], "store": "satisfaction", "value": 4}]
    messages, sessions = table_of(Message), table_of(ConversationSession)
    with s.db.engine.connect() as conn:
        session_id = conn.execute(select(messages.c.session_id).where(messages.c.wamid == tap["id"])).scalar()
        assert session_id is not None
        assert conn.execute(select(sessions.c.satisfaction).where(sessions.c.id == session_id)).scalar() == 4


def test_simulated_users_walk_the_survey(flow_stack: FlowStack) -> None:
    s = flow_stack
    s.control("config", reply_rate=1.0, text_reply_rate=0.0, reply_delay=[0.0, 0.05])
    users = [f"155501080{i:02d}" for i in range(4)]
    for user in users:
        open_window(s, user)
        s.flows.start("satisfaction_survey", user)

    def past_the_buttons() -> bool:
        return all(st.current_step in ("ask_comment", "thanks") for st in s.states())

    wait_for(past_the_buttons, what="every simulated user through rating and follow-up")
    for st in s.states():
        ratings = [e["value"] for e in st.history if e.get("store") == "satisfaction"]
        assert len(ratings) == 1 and 1 <= ratings[0] <= 5
        assert st.status == ("completed" if st.current_step == "thanks" else "active")
