"""APScheduler 3 (BackgroundScheduler) running :class:`JobRunner` ticks.

- A job never overlaps with itself (``max_instances=1``); ticks dropped meanwhile are
  counted in the job's state.
- After a sleep or suspend the missed ticks are coalesced into one run
  (``coalesce=True``, ``misfire_grace_time``: by default no limit, so a stale template
  list is synced at wake-up rather than an interval later).
- Runs happen on daemon threads (one per run; a handful of jobs): a run stuck on the
  network never keeps the process alive, and :meth:`EasymoScheduler.stop` returns within
  its timeout, telling whether every run had finished.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from easymo_core.scheduler.feed import ChangeFeed
from easymo_core.scheduler.runner import Clock, JobRunner, Listener, StateListener
from easymo_core.scheduler.state import JobState, StateStore
from easymo_core.storage.types import utcnow

log = logging.getLogger("easymo.scheduler")


class DaemonThreadExecutor(BaseExecutor):
    """Each run on a fresh daemon thread; max_instances is enforced by BaseExecutor."""

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        def run() -> None:
            try:
                events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
            except BaseException:
                _, exc, tb = sys.exc_info()
                self._run_job_error(job.id, exc, tb)
            else:
                self._run_job_success(job.id, events)

        threading.Thread(target=run, name=f"easymo-job-{job.id}", daemon=True).start()


class EasymoScheduler:
    def __init__(
        self,
        *,
        store: StateStore | None = None,
        clock: Clock = utcnow,
        backoff_cap_s: float = 300.0,
        persist_every_s: float = 30.0,
    ) -> None:
        self.store, self.clock = store, clock
        self.backoff_cap_s, self.persist_every_s = backoff_cap_s, persist_every_s
        self.runners: dict[str, JobRunner] = {}
        self._options: dict[str, dict[str, Any]] = {}
        self._state_listeners: list[StateListener] = []
        self._aps = BackgroundScheduler(timezone=UTC, executors={"default": DaemonThreadExecutor()})
        self._aps.add_listener(self._aps_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self._started = False
        # The change feed, when the job set has one (build_scheduler sets it).
        self.feed: ChangeFeed | None = None

    # -- set-up ----------------------------------------------------------------------
    def add(
        self,
        name: str,
        fn: Callable[[], Any],
        interval_s: float,
        *,
        first_run_s: float = 0.0,
        misfire_grace_s: float | None = None,
        skipped: str | None = None,
    ) -> JobRunner:
        """A job ``name`` calling ``fn`` every ``interval_s``; first run after ``first_run_s``.

        ``skipped`` records why the job does not run here (it is listed, never scheduled).
        """
        if name in self.runners:
            raise ValueError(f"job {name!r} exists")
        runner = JobRunner(name, fn, interval_s, clock=self.clock, store=self.store,
                           backoff_cap_s=self.backoff_cap_s, persist_every_s=self.persist_every_s,
                           skipped=skipped)
        runner.state_listeners.append(self._state_changed)
        runner.next_fire = lambda: self._next_fire(name)
        self.runners[name] = runner
        self._options[name] = {"first_run_s": first_run_s, "misfire_grace_s": misfire_grace_s}
        if self._started:
            self._schedule(name)
        return runner

    def subscribe(self, name: str, listener: Listener) -> None:
        """``listener(result)`` after each successful run of ``name`` (on the job's thread)."""
        self.runners[name].listeners.append(listener)

    def on_state(self, listener: StateListener) -> None:
        """``listener(JobState)`` whenever a job's state changes (on the job's thread)."""
        self._state_listeners.append(listener)

    def unsubscribe_all(self, listener: Any) -> None:
        for runner in self.runners.values():
            if listener in runner.listeners:
                runner.listeners.remove(listener)
        if listener in self._state_listeners:
            self._state_listeners.remove(listener)

    # -- running ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._started

    def start(self) -> None:
        if self._started:
            return
        self._aps.start()
        self._started = True
        for name in self.runners:
            self._schedule(name)
        for runner in self.runners.values():
            if runner.state.skipped:
                runner.persist_now()

    def _schedule(self, name: str) -> None:
        runner, opts = self.runners[name], self._options[name]
        if runner.state.skipped:
            return
        first = datetime.now(UTC) + timedelta(seconds=opts["first_run_s"])
        self._aps.add_job(
            runner.tick, IntervalTrigger(seconds=runner.interval_s, timezone=UTC), id=name,
            name=name, max_instances=1, coalesce=True, misfire_grace_time=opts["misfire_grace_s"],
            next_run_time=first, replace_existing=True,
        )
        runner.state.next_run = first

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop ticking, then wait up to ``timeout`` s for runs in progress; True if all ended."""
        for runner in self.runners.values():
            runner.stopping.set()
        if self._started:
            self._started = False
            try:
                self._aps.shutdown(wait=False)
            except Exception:  # already stopped
                log.debug("scheduler already stopped", exc_info=True)
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        ok = True
        for runner in self.runners.values():
            left = max(0.0, (deadline - datetime.now(UTC)).total_seconds())
            if not runner.wait_idle(left):
                log.warning("job %s still running at stop", runner.name)
                ok = False
        return ok

    def trigger_soon(self, name: str, delay_s: float = 2.0) -> None:
        """Run ``name`` in ``delay_s`` seconds, even if it is backing off; then as usual."""
        runner = self.runners.get(name)
        if runner is None or runner.state.skipped or not self._started:
            return
        runner.force_next()
        when = datetime.now(UTC) + timedelta(seconds=delay_s)
        job = self._aps.get_job(name)
        if job is not None and (job.next_run_time is None or job.next_run_time > when):
            job.modify(next_run_time=when)
            runner.state.next_run = when

    def run_now(self, name: str) -> bool:
        """One tick of ``name`` on the calling thread (the CLI, tests)."""
        return self.runners[name].tick()

    def states(self) -> dict[str, JobState]:
        return {name: r.snapshot() for name, r in self.runners.items()}

    # -- internals -------------------------------------------------------------------
    def _next_fire(self, name: str) -> datetime | None:
        if not self._started:
            return None
        job = self._aps.get_job(name)
        return job.next_run_time if job is not None else None

    def _state_changed(self, state: JobState) -> None:
        for listener in list(self._state_listeners):
            try:
                listener(state)
            except Exception:
                log.exception("scheduler state listener failed")

    def _aps_event(self, event: JobExecutionEvent) -> None:
        runner = self.runners.get(event.job_id)
        if runner is None:
            return
        if event.code == EVENT_JOB_MISSED:
            runner.state.misfires += 1
            log.info("job %s missed a run (sleep or suspend?)", event.job_id)
        else:
            runner.state.overlaps += 1
