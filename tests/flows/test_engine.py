"""The flow state machine on SQLite and PostgreSQL, driven through the ingest's hook.

The processor is a stand-in here (what was sent is all that matters); the sandbox tests in
test_flows_e2e.py run the same paths through the real processor and webhooks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from easymo_core.flows.engine import FlowEngine
from easymo_core.flows.errors import FlowNotFound, FlowStartRefused
from easymo_core.flows.library import FlowLibrary
from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.webhook_payload import InboundRecord, WebhookBatch
from easymo_core.storage.engine import Database
from easymo_core.storage.models import ConversationSession, FlowState, Message, table_of
from tests.flows.helpers import ORDER_FLOW, FakeProcessor, events, inbound

USER = "15550001111"
T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


class Rig:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.now = T0
        self.proc = FakeProcessor()
        self.library = FlowLibrary(db)
        self.library.import_text(ORDER_FLOW, source_name="order.yaml")
        self.engine = FlowEngine(db, self.proc, self.library, clock=lambda: self.now)
        self.ingest = StatusIngest(db)
        self.engine.attach(self.ingest)

    def write(self, rec: InboundRecord) -> None:
        """The contact's message arrives the one way messages arrive: the ingest."""
        self.ingest.ingest(WebhookBatch(inbound=[rec]))

    def state(self, state_id: int | None = None) -> Any:
        with self.db.engine.connect() as conn:
            q = select(table_of(FlowState))
            q = q.where(table_of(FlowState).c.id == state_id) if state_id else q.order_by(table_of(FlowState).c.id.desc())
            return conn.execute(q).first()


@pytest.fixture
def rig(db: Database) -> Rig:
    return Rig(db)


def test_walk_to_completion_through_the_ingest(rig: Rig) -> None:
    rig.write(inbound(USER, text="hi"))  # no flow yet, not a trigger word: nothing sent
    assert rig.proc.sent == []
    started = rig.engine.start("order_check", "+1 555 000 1111")
    assert started.status == "active" and started.step == "ask"
    assert rig.proc.sent[0].kind == "buttons" and rig.proc.sent[0].options == ["arrived", "missing"]
    rig.write(inbound(USER, reply_id="arrived"))
    assert rig.proc.sent[1].kind == "list" and rig.proc.sent[1].options == ["r5", "r3", "r1"]
    rig.write(inbound(USER, reply_id="r5"))
    assert rig.proc.sent[2].body == "Thank you!"
    st = rig.state(started.state_id)
    assert st.status == "completed" and st.current_step == "done" and st.step_deadline_at is None
    assert st.completed_at is not None
    assert events(st.history) == [
        ("ask", "entered"), ("ask", "reply"), ("rate", "entered"),
        ("rate", "reply"), ("done", "entered"), ("done", "completed"),
    ]
    rating = st.history[3]
    assert rating["reply"] == "r5" and rating["store"] == "satisfaction" and rating["value"] == 5
    assert rating["next"] == "done"
    assert all(isinstance(e["at"], int) for e in st.history)
    # every message the flow sent carries the key its history names: no double sends on replay
    assert [e["key"] for e in st.history if e["event"] == "entered"] == [s.key for s in rig.proc.sent]
    # a message after completion starts nothing and sends nothing
    rig.write(inbound(USER, text="thanks"))
    assert len(rig.proc.sent) == 3


def test_unexpected_reply_gets_the_retry_prompt_then_the_fallback(rig: Rig) -> None:
    rig.engine.start("order_check", USER, force=True)
    rig.write(inbound(USER, reply_id="missing"))
    assert rig.proc.sent[-1].body == "Please type your order number."
    rig.write(inbound(USER, text="I don't know"))
    assert rig.proc.sent[-1].kind == "text" and rig.proc.sent[-1].body == "Please use the buttons."
    st = rig.state()
    assert st.status == "active" and st.current_step == "details" and st.retries == 1
    assert st.history[-1]["event"] == "retry" and st.history[-1]["reply"] == "I don't know"
    rig.write(inbound(USER, text="no idea"))  # max_retries 1: on to the fallback step
    st = rig.state()
    assert st.status == "completed" and st.current_step == "human"
    assert events(st.history)[-4:] == [("details", "retry"), ("details", "retry"), ("human", "entered"), ("human", "completed")]
    assert st.history[-3]["exhausted"] is True and st.history[-3]["next"] == "human"
    assert rig.proc.sent[-1].body == "An agent will call you shortly."


def test_retry_of_interactive_step_resends_options_and_a_pattern_reply_is_stored(rig: Rig) -> None:
    rig.engine.start("order_check", USER, force=True)
    rig.write(inbound(USER, kind="image"))  # not a reply at all: the retry prompt, never a crash
    retry = rig.proc.sent[-1]
    assert retry.kind == "buttons" and retry.body == "Please use the buttons."
    assert retry.options == ["arrived", "missing"]
    rig.write(inbound(USER, text="not yet"))  # typed the button's title: counts as the tap
    rig.write(inbound(USER, text=" #12345 "))
    st = rig.state()
    assert st.status == "completed"
    stored = [e for e in st.history if e.get("store") == "order_number"]
    assert stored[0]["value"] == "#12345"


def test_max_retries_without_fallback_abandons(rig: Rig) -> None:
    rig.engine.start("order_check", USER, force=True)
    rig.write(inbound(USER, text="maybe"))
    rig.write(inbound(USER, text="perhaps"))
    st = rig.state()
    assert st.status == "abandoned" and st.current_step == "ask"
    assert st.history[-1]["event"] == "abandoned" and st.history[-1]["reason"] == "max_retries"
    assert len(rig.proc.sent) == 2  # the step and one retry prompt


def test_two_messages_for_one_step_cannot_both_advance(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    started = rig.engine.start("order_check", USER, force=True)
    # Both handlers read the state before either writes: as two receivers would.
    seen = rig.engine._active(USER, "")
    monkeypatch.setattr(rig.engine, "_active", lambda wa_id, waba_id: seen)
    first = rig.engine.handle_inbound(inbound(USER, reply_id="arrived"))
    second = rig.engine.handle_inbound(inbound(USER, reply_id="missing"))
    assert (first.action, second.action) == ("advanced", "stale")
    st = rig.state(started.state_id)
    assert st.current_step == "rate"
    assert [e["event"] for e in st.history].count("reply") == 1
    assert len(rig.proc.sent) == 2  # the loser sent nothing


def test_expire_due_abandons_timed_out_states_once(rig: Rig) -> None:
    started = rig.engine.start("order_check", USER, force=True)
    assert rig.engine.expire_due(T0 + timedelta(minutes=9)) == 0
    assert rig.engine.expire_due(T0 + timedelta(minutes=11)) == 1
    assert rig.engine.expire_due(T0 + timedelta(minutes=12)) == 0
    st = rig.state(started.state_id)
    assert st.status == "abandoned" and st.step_deadline_at is None
    assert st.history[-1] == {"step": "ask", "at": int((T0 + timedelta(minutes=11)).timestamp() * 1000),
                              "event": "abandoned", "reason": "timeout"}
    rig.write(inbound(USER, reply_id="arrived"))  # too late: revives nothing
    assert len(rig.proc.sent) == 1


def test_reply_after_the_deadline_abandons_instead_of_advancing(rig: Rig) -> None:
    rig.engine.start("order_check", USER, force=True)
    rig.now = T0 + timedelta(minutes=30)
    rig.write(inbound(USER, reply_id="arrived"))
    st = rig.state()
    assert st.status == "abandoned" and st.history[-1]["reason"] == "timeout"
    assert len(rig.proc.sent) == 1


def test_satisfaction_goes_to_the_session_of_the_rating(rig: Rig, db: Database) -> None:
    rig.write(inbound(USER, text="hi"))  # the contact row sessions hang on
    sessions, messages = table_of(ConversationSession), table_of(Message)
    with db.engine.begin() as conn:  # an earlier conversation, a day before
        old = conn.execute(insert(sessions).returning(sessions.c.id), {
            "contact_wa_id": USER, "started_at": T0 - timedelta(days=1),
            "last_message_at": T0 - timedelta(days=1)}).scalar_one()
    started = rig.engine.start("order_check", USER, force=True)
    rig.write(inbound(USER, reply_id="arrived"))
    rating = inbound(USER, reply_id="r3")
    rig.write(rating)
    with db.engine.connect() as conn:
        # The analytics triggers (migration 0002) put every message in a session.
        current = conn.execute(select(messages.c.session_id).where(messages.c.wamid == rating.wamid)).scalar()
        assert current is not None and current != old
        rows = {r.id: r for r in conn.execute(select(sessions).where(sessions.c.id.in_([old, current])))}
    assert rows[current].satisfaction == 3 and rows[current].flow_completed is True
    assert rows[old].satisfaction is None and rows[old].flow_completed is None
    assert rig.state(started.state_id).session_id == current


def test_satisfaction_without_any_session_stays_in_the_history(rig: Rig, db: Database) -> None:
    other = "15550002222"
    # Handed straight to the engine, the replies have no messages row and so no session.
    rig.engine.start("order_check", other, force=True)
    rig.engine.handle_inbound(inbound(other, reply_id="arrived"))
    rig.engine.handle_inbound(inbound(other, reply_id="r1"))
    st = rig.state()
    assert st.status == "completed" and st.session_id is None
    assert [e["value"] for e in st.history if e.get("store") == "satisfaction"] == [1]
    with db.engine.connect() as conn:
        sessions = table_of(ConversationSession)
        assert conn.execute(select(sessions.c.id).where(sessions.c.contact_wa_id == other)).first() is None


def test_a_trigger_word_starts_the_builtin_survey(rig: Rig) -> None:
    rig.write(inbound(USER, text="  Survey "))
    sent = rig.proc.sent[-1]
    assert sent.kind == "list" and sent.options == ["rate_5", "rate_4", "rate_3", "rate_2", "rate_1"]
    assert rig.state().current_step == "rate"
    assert any(s.name == "satisfaction_survey" and s.origin == "stored" for s in rig.library.summaries())
    rig.write(inbound(USER, text="4"))  # a typed "4" is not an option id or title: retry
    assert rig.proc.sent[-1].body == "Please pick a rating from 1 to 5 in the list."
    rig.write(inbound(USER, reply_id="rate_4"))
    st = rig.state()
    assert st.current_step == "comment"
    assert [e["value"] for e in st.history if e.get("store") == "satisfaction"] == [4]


def test_start_needs_an_open_window_and_supersedes_a_running_flow(rig: Rig) -> None:
    with pytest.raises(FlowStartRefused, match="24 hours"):
        rig.engine.start("order_check", USER)
    with pytest.raises(FlowNotFound, match="easymo flows list"):
        rig.engine.start("nope", USER, force=True)
    rig.write(inbound(USER, text="hello"))
    first = rig.engine.start("order_check", USER)
    second = rig.engine.start("satisfaction_survey", USER)
    old = rig.state(first.state_id)
    assert old.status == "abandoned" and old.history[-1]["reason"] == "superseded"
    assert rig.state(second.state_id).status == "active"


def test_a_failed_send_abandons_the_flow(rig: Rig) -> None:
    rig.proc.fail_next = True
    started = rig.engine.start("order_check", USER, force=True)
    assert started.status == "abandoned"
    st = rig.state(started.state_id)
    assert st.history[-1]["reason"] == "send_failed" and "refused by the test" in st.history[-1]["error"]


def test_a_failing_flow_listener_never_breaks_the_ingest(rig: Rig, db: Database) -> None:
    def boom(result: Any) -> None:
        raise RuntimeError("listener bug")

    rig.ingest.committed_listeners.insert(0, boom)
    rec = inbound(USER, text="survey")
    rig.write(rec)
    with db.engine.connect() as conn:
        assert conn.execute(select(table_of(Message).c.id).where(table_of(Message).c.wamid == rec.wamid)).first()
    assert rig.proc.sent and rig.proc.sent[-1].kind == "list"  # the next listener still ran


def test_flow_runs_are_per_account(db: Database) -> None:
    """One person writing to two accounts is two contacts with a run each: each engine
    answers only its own account's contact, from its own number."""
    library = FlowLibrary(db)
    library.import_text(ORDER_FLOW, source_name="order.yaml")
    ingest = StatusIngest(db)
    engines = {}
    for waba in ("111", "222"):
        engines[waba] = FlowEngine(db, FakeProcessor(waba), library, clock=lambda: T0)
        engines[waba].attach(ingest)
    a = engines["111"].start("order_check", USER, force=True)
    b = engines["222"].start("order_check", USER, force=True)
    with db.engine.connect() as conn:
        runs = {r.id: (r.waba_id, r.status) for r in conn.execute(select(table_of(FlowState)))}
    # Starting B's run superseded nothing of A's.
    assert runs == {a.state_id: ("111", "active"), b.state_id: ("222", "active")}
    ingest.ingest(WebhookBatch(inbound=[inbound(USER, reply_id="arrived", waba_id="222")]))
    assert [s.kind for s in engines["111"].processor.sent] == ["buttons"]  # A answered nothing
    assert [s.kind for s in engines["222"].processor.sent] == ["buttons", "list"]
    with db.engine.connect() as conn:
        steps = {r.waba_id: r.current_step for r in conn.execute(select(table_of(FlowState)))}
        sessions = {r.waba_id for r in conn.execute(select(table_of(ConversationSession)))}
    assert steps == {"111": "ask", "222": "rate"}
    assert sessions == {"222"}  # the inbound message opened B's session only
