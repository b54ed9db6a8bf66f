"""Jobs: state, backoff after failures, no overlap, misfires coalesced, trigger_soon,
clean stop, state shared through app_state, and the console's job set."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.webhook_payload import parse_envelope
from easymo_core.scheduler import (
    CHANGE_FEED,
    HEALTH,
    HELD_STATUSES,
    META_ANALYTICS,
    TEMPLATE_SYNC,
    WEBHOOK_RETENTION,
    EasymoScheduler,
    HealthCheck,
    JobRunner,
    StateStore,
    build_scheduler,
)
from easymo_core.storage.engine import Database
from easymo_core.storage.models import StatusEvent, WebhookEvent, table_of
from easymo_core.storage.types import utcnow
from tests.messaging import test_ingest as ingest_helpers
from tests.scheduler.helpers import add_message, at

WAIT = 10.0  # seconds an Event may take to fire; never reached when things work


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Flaky:
    def __init__(self, fail: int) -> None:
        self.fail, self.calls = fail, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.fail:
            raise ConnectionError("graph.facebook.com unreachable (access_token=EAAGsecret123)")
        return "ok"


def test_a_failing_job_backs_off_exponentially_up_to_the_cap_then_recovers() -> None:
    clock, fn = Clock(), Flaky(fail=5)
    runner = JobRunner("sync", fn, 10.0, clock=clock, backoff_cap_s=40.0)
    ran = []
    for _ in range(20):
        ran.append(runner.tick())
        clock.advance(10)
    # Fail at tick 0, retry next tick (1), then skip 1, 3, capped at 3 (40 s / 10 s - 1).
    assert ran[:12] == [True, True, False, True, False, False, False, True,
                        False, False, False, True]
    assert ran[15:] == [True] * 5  # recovered at tick 15: every tick runs again
    assert fn.calls == 10 and runner.state.failures == 0
    assert runner.state.run_count == 10 and runner.state.health == "ok"
    assert runner.state.last_error is not None and "EAAGsecret123" not in runner.state.last_error


def test_failure_state_is_visible_and_forced_runs_skip_the_backoff() -> None:
    clock, fn = Clock(), Flaky(fail=3)
    runner = JobRunner("sync", fn, 60.0, clock=clock)
    seen: list[Any] = []
    runner.state_listeners.append(seen.append)
    runner.tick()
    runner.tick()
    state = runner.snapshot()
    assert state.failures == 2 and state.health == "warn" and state.backoff_ticks == 1
    assert "unreachable" in (state.last_error or "") and state.last_error_at == clock.now
    assert seen[-1].failures == 2
    runner.force_next()
    assert runner.tick() is True  # trigger_soon: no waiting out the backoff
    assert runner.state.failures == 3 and runner.state.health == "error"


def test_results_go_to_listeners_and_a_broken_listener_does_not_fail_the_job() -> None:
    runner = JobRunner("feed", lambda: 42, 2.0, clock=Clock())
    got: list[int] = []
    runner.listeners.append(lambda _r: 1 / 0)
    runner.listeners.append(got.append)
    runner.tick()
    assert got == [42] and runner.state.failures == 0 and runner.state.last_duration_ms is not None


def test_state_is_shared_through_app_state_and_throttled(db: Database) -> None:
    clock = Clock()
    store = StateStore(db)
    runner = JobRunner("template_sync", Flaky(fail=1), 900.0, clock=clock, store=store,
                       persist_every_s=30.0)
    runner.tick()  # fails: written at once (health changed)
    saved = store.load_all()["template_sync"]
    assert saved.failures == 1 and saved.last_error and saved.owner
    clock.advance(900)
    runner.tick()  # recovers: health changed, written
    assert store.load("template_sync").failures == 0  # type: ignore[union-attr]
    calls = store.load("template_sync").run_count  # type: ignore[union-attr]
    clock.advance(5)
    runner.tick()  # same health, 5 s later: not written
    assert store.load("template_sync").run_count == calls  # type: ignore[union-attr]
    clock.advance(30)
    runner.tick()
    assert store.load("template_sync").run_count == calls + 2  # type: ignore[union-attr]


def test_a_job_never_overlaps_itself_and_stop_waits_then_reports() -> None:
    release, entered = threading.Event(), threading.Event()
    active, most = [0], [0]
    lock = threading.Lock()

    def slow() -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        entered.set()
        release.wait(WAIT)
        with lock:
            active[0] -= 1

    sched = EasymoScheduler()
    sched.add("slow", slow, 0.01)
    overlapped = threading.Event()
    sched.on_state(lambda s: overlapped.set() if s.overlaps else None)
    sched.start()
    try:
        assert entered.wait(WAIT)
        # Ticks keep coming while the run blocks; each is dropped, not run alongside.
        deadline = datetime.now(UTC) + timedelta(seconds=WAIT)
        while sched.runners["slow"].state.overlaps == 0 and datetime.now(UTC) < deadline:
            threading.Event().wait(0.01)
        assert sched.runners["slow"].state.overlaps > 0
        assert most[0] == 1
        assert sched.stop(timeout=0.05) is False  # still running: says so, does not hang
    finally:
        release.set()
    assert sched.runners["slow"].wait_idle(WAIT)
    assert not sched.running


def test_missed_runs_after_a_suspend_are_coalesced_into_one() -> None:
    ran = threading.Event()
    calls = [0]

    def job() -> None:
        calls[0] += 1
        ran.set()

    sched = EasymoScheduler()
    # Due 50 minutes ago at a 10-minute interval: five runs missed while "asleep".
    sched.add("sync", job, 600.0, first_run_s=-3000.0)
    sched.start()
    try:
        assert ran.wait(WAIT)
        assert sched.runners["sync"].wait_idle(WAIT)
        assert calls[0] == 1
        state = sched.states()["sync"]
        assert state.next_run is not None and state.next_run > datetime.now(UTC)
    finally:
        assert sched.stop() is True


def test_trigger_soon_runs_a_long_interval_job_now() -> None:
    ran = threading.Event()
    sched = EasymoScheduler()
    sched.add("sync", ran.set, 900.0, first_run_s=900.0)
    sched.start()
    try:
        assert not ran.is_set()
        sched.trigger_soon("sync", delay_s=0.0)
        assert ran.wait(WAIT)
    finally:
        assert sched.stop() is True


@dataclass
class _Profile:
    is_sandbox: bool


class _Templates:
    def __init__(self) -> None:
        self.synced = 0

    def sync(self) -> str:
        self.synced += 1
        return "synced"


class _Client:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def phone_number_info(self) -> Any:
        if self.fail:
            raise TimeoutError("timed out")
        return type("Info", (), {"display_phone_number": "+1 555 010 0001"})()


@dataclass
class _Services:
    profile: _Profile
    db: Database
    templates: _Templates
    client: _Client
    ingest: StatusIngest


def test_console_jobs_on_the_sandbox_skip_meta_analytics(db: Database) -> None:
    svc = _Services(_Profile(is_sandbox=True), db, _Templates(), _Client(), StatusIngest(db))
    pulled: list[int] = []
    sched = build_scheduler(svc, analytics=lambda: pulled.append(1))
    assert set(sched.runners) == {CHANGE_FEED, TEMPLATE_SYNC, META_ANALYTICS, HEALTH, HELD_STATUSES,
                                  WEBHOOK_RETENTION}
    assert sched.run_now(META_ANALYTICS) is False and pulled == []
    state = sched.states()[META_ANALYTICS]
    assert state.health == "off" and "sandbox" in (state.skipped or "")
    got: list[Any] = []
    sched.subscribe(TEMPLATE_SYNC, got.append)
    assert sched.run_now(TEMPLATE_SYNC) and got == ["synced"]
    batches: list[Any] = []
    sched.subscribe(CHANGE_FEED, batches.append)
    assert sched.feed is not None
    sched.feed.start()
    mid = add_message(db, ms=0)
    sched.run_now(CHANGE_FEED)
    assert batches[-1].message_ids() == {mid}


def test_console_jobs_on_a_real_profile_pull_analytics(db: Database) -> None:
    svc = _Services(_Profile(is_sandbox=False), db, _Templates(), _Client(fail=True), StatusIngest(db))
    pulled: list[int] = []
    sched = build_scheduler(svc, analytics=lambda: pulled.append(1) or "pulled")
    assert sched.run_now(META_ANALYTICS) and pulled == [1]
    reports: list[Any] = []
    sched.subscribe(HEALTH, reports.append)
    sched.run_now(HEALTH)
    assert reports[0].api_ok is False and "timed out" in reports[0].api_error
    sched.start()
    assert sched.stop() is True


def test_the_held_statuses_job_applies_what_a_missed_settle_left_held(db: Database) -> None:
    """A receiver held statuses of a wamid nobody knew yet; the send that makes it known then
    committed, and its writer died before it could look again. Only the job applies them."""
    h = ingest_helpers
    ingest = StatusIngest(db)
    ingest.ingest(parse_envelope(h.envelope([
        h.status("wamid.h1", "sent", 1), h.status("wamid.h1", "delivered", 3),
        h.status("wamid.h2", "sent", 1),
    ])))
    with db.engine.begin() as conn:  # wamid.h2's status was held 8 days ago: out of the window
        events = table_of(StatusEvent)
        conn.execute(events.update().where(events.c.wamid == "wamid.h2")
                     .values(received_at=utcnow() - timedelta(days=8)))
    h.add_message(db, "wamid.h1")  # the send's commit, with no settle after it
    h.add_message(db, "wamid.h2")
    assert h.final_state(db, "wamid.h1")[0] == "accepted"
    svc = _Services(_Profile(is_sandbox=True), db, _Templates(), _Client(), ingest)
    sched = build_scheduler(svc)
    applied: list[Any] = []
    sched.subscribe(HELD_STATUSES, applied.append)
    assert sched.run_now(HELD_STATUSES) and applied == [2]
    status, sent_at, delivered_at, *_, latency, _read = h.final_state(db, "wamid.h1")
    assert (status, sent_at, delivered_at, latency) == ("delivered", h.T0.replace(second=1),
                                                         h.T0.replace(second=3), 2000)
    assert h.final_state(db, "wamid.h2")[0] == "accepted"
    assert sched.run_now(HELD_STATUSES) and applied == [2, 0]  # nothing applied twice


def test_health_measures_webhook_lag_and_backlog(db: Database) -> None:
    t = table_of(WebhookEvent)
    with db.engine.begin() as conn:
        for i, lag in enumerate((40, 60, 900)):
            conn.execute(t.insert(), {"received_at": at(i * 1000), "processed_at": at(i * 1000 + lag),
                                      "body": b"{}", "receiver": "r"})
        conn.execute(t.insert(), {"received_at": at(5000), "processed_at": None, "body": b"{}",
                                  "receiver": "r"})
    report = HealthCheck(db, _Client(), clock=lambda: at(8000))()
    assert report.lag_p50_ms == 60 and report.lag_max_ms == 900
    assert report.backlog == 1 and report.oldest_unprocessed_s == pytest.approx(3.0)
    assert report.last_event_at == at(5000)
    assert report.api_ok is True and report.phone == "+1 555 010 0001"
    empty = HealthCheck(db, None, clock=lambda: at(0))
    assert empty().api_ok is None
