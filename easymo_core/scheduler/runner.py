"""One job's runs: state, backoff after failures, publishing results, throttled persistence.

The scheduler calls :meth:`JobRunner.tick` on every tick of the job's interval. A failing
run is logged and recorded; the next ``2**(failures-1) - 1`` ticks are skipped (capped at
``backoff_cap_s``), so a dead server is asked at 1, 2, 4, 8… intervals, not hammered.
Nothing here depends on APScheduler: tests drive ``tick`` with a fake clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from easymo_core.scheduler.state import JobState, StateStore, error_line

log = logging.getLogger("easymo.scheduler")

Clock = Callable[[], datetime]
Listener = Callable[[Any], None]
StateListener = Callable[[JobState], None]


class JobRunner:
    def __init__(
        self,
        name: str,
        fn: Callable[[], Any],
        interval_s: float,
        *,
        clock: Clock,
        store: StateStore | None = None,
        backoff_cap_s: float = 300.0,
        persist_every_s: float = 30.0,
        skipped: str | None = None,
    ) -> None:
        self.name, self.fn, self.interval_s = name, fn, interval_s
        self.clock, self.store = clock, store
        self.backoff_cap_s, self.persist_every_s = backoff_cap_s, persist_every_s
        self.state = JobState(name, interval_s, skipped=skipped)
        self.listeners: list[Listener] = []
        self.state_listeners: list[StateListener] = []
        self.stopping = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._persisted_at: datetime | None = None
        self._persisted_health: str | None = None
        self._forced = False
        # Set by the scheduler: the trigger's next fire time, for the state's next_run.
        self.next_fire: Callable[[], datetime | None] = lambda: None

    # -- the scheduler's side --------------------------------------------------------
    def tick(self) -> bool:
        """One tick: run unless backing off or stopping; True when ``fn`` ran."""
        if self.stopping.is_set() or self.state.skipped:
            return False
        with self._lock:
            if self.state.backoff_ticks > 0 and not self._forced:
                self.state.backoff_ticks -= 1
                self._refresh_next()
                self._changed(persist=False)
                return False
            self._forced = False
            self._idle.clear()
            self.state.running = True
        try:
            self._run()
        finally:
            self._idle.set()
        return True

    def _run(self) -> None:
        started = self.clock()
        self.state.last_run = started
        t0 = time.perf_counter()
        try:
            result = self.fn()
        except Exception as exc:
            self._failed(exc, (time.perf_counter() - t0) * 1000)
            return
        state = self.state
        state.last_duration_ms = (time.perf_counter() - t0) * 1000
        state.running = False
        state.run_count += 1
        state.failures = 0
        state.backoff_ticks = 0
        state.last_ok = started
        self._refresh_next()
        if not self.stopping.is_set():
            for listener in list(self.listeners):
                try:
                    listener(result)
                except Exception:
                    log.exception("listener of job %s failed", self.name)
        self._changed()

    def _failed(self, exc: Exception, duration_ms: float) -> None:
        state = self.state
        state.running = False
        state.run_count += 1
        state.failures += 1
        state.last_duration_ms = duration_ms
        state.last_error = error_line(exc)
        state.last_error_at = self.clock()
        state.backoff_ticks = self.backoff_ticks(state.failures)
        self._refresh_next()
        log.warning("job %s failed (%d in a row, next try in %d tick(s)): %s", self.name,
                    state.failures, state.backoff_ticks + 1, state.last_error)
        self._changed()

    def backoff_ticks(self, failures: int) -> int:
        """Ticks to skip after ``failures`` failures in a row: 0, 1, 3, 7… up to the cap."""
        cap = max(0, int(self.backoff_cap_s // max(self.interval_s, 1e-9)) - 1)
        return min(cap, 2 ** min(failures - 1, 30) - 1)

    def _refresh_next(self) -> None:
        fire = self.next_fire()
        if fire is not None and self.state.backoff_ticks:
            fire = fire + timedelta(seconds=self.interval_s * self.state.backoff_ticks)
        self.state.next_run = fire

    # -- the owner's side ------------------------------------------------------------
    def force_next(self) -> None:
        """The next tick runs even while backing off (trigger_soon)."""
        self._forced = True

    def wait_idle(self, timeout: float) -> bool:
        return self._idle.wait(timeout)

    def snapshot(self) -> JobState:
        from dataclasses import replace

        return replace(self.state)

    def _changed(self, *, persist: bool = True) -> None:
        snap = self.snapshot()
        for listener in list(self.state_listeners):
            try:
                listener(snap)
            except Exception:
                log.exception("state listener of job %s failed", self.name)
        if persist:
            self._maybe_persist(snap)

    def _maybe_persist(self, snap: JobState) -> None:
        if self.store is None or self.stopping.is_set():
            return
        now = self.clock()
        due = (self._persisted_at is None or snap.health != self._persisted_health
               or (now - self._persisted_at).total_seconds() >= self.persist_every_s)
        if not due:
            return
        try:
            self.store.save(snap, now)
        except Exception as exc:  # the state is a convenience: never fail a job for it
            log.warning("cannot save the state of job %s: %s", self.name, error_line(exc))
            return
        self._persisted_at, self._persisted_health = now, snap.health

    def persist_now(self) -> None:
        """Write the state regardless of the throttle (skipped jobs, tests)."""
        self._persisted_at = None
        self._maybe_persist(self.snapshot())
