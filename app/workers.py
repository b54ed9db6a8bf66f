"""Background work: every network or database call runs here, never on the UI thread.

A :class:`Job` is a QRunnable with ``started / progress / result / error / finished``
signals (napari's worker shape). :class:`Jobs` owns a private QThreadPool, re-delivers
those signals on the UI thread, drops callbacks whose owner widget is gone, and sends
unhandled errors to the hub's notification area.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from app.hub import Hub

log = logging.getLogger("easymo.console.jobs")

Callback = Callable[[Any], None]


class JobSignals(QObject):
    started = Signal()
    progress = Signal(object)
    result = Signal(object)
    error = Signal(object)
    finished = Signal()


class Job(QRunnable):
    """One call of ``fn`` on a pool thread.

    With ``with_progress`` the call gets a ``progress=`` callable whose values arrive as
    ``progress`` signals; with ``with_cancel`` it gets ``cancelled=`` (a threading.Event)
    to stop early when the window closes.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        name: str = "",
        with_progress: bool = False,
        with_cancel: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        # The Python side keeps the job alive until ``finished`` is handled (see Jobs).
        self.setAutoDelete(False)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.name = name or getattr(fn, "__name__", "job")
        self.signals = JobSignals()
        self.cancelled = threading.Event()
        if with_progress:
            # Core progress callbacks take (done, total); one value arrives as itself.
            self.kwargs["progress"] = self._progress
        if with_cancel:
            self.kwargs["cancelled"] = self.cancelled
        self.elapsed = 0.0

    def _progress(self, *values: Any) -> None:
        self._emit(self.signals.progress, values[0] if len(values) == 1 else values)

    def run(self) -> None:
        start = time.perf_counter()
        self._emit(self.signals.started)
        try:
            value = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:
            self.elapsed = time.perf_counter() - start
            self._emit(self.signals.error, exc)
        else:
            self.elapsed = time.perf_counter() - start
            self._emit(self.signals.result, value)
        finally:
            self._emit(self.signals.finished)

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        # At exit the QObject behind the signals may already be gone: nobody is listening.
        with contextlib.suppress(RuntimeError):
            signal.emit(*args)


class Jobs(QObject):
    """The console's workers; one instance per main window."""

    # number of jobs running or queued, for the status bar spinner
    busy_changed = Signal(int)

    def __init__(self, hub: Hub, *, max_threads: int = 6, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        # A thread parked after a job keeps its stack; short expiry lets exit be quick.
        self.pool.setExpiryTimeout(2000)
        self._jobs: set[Job] = set()
        self._closing = False

    @property
    def active(self) -> int:
        return len(self._jobs)

    @property
    def busy(self) -> int:
        return sum(1 for j in self._jobs if not getattr(j, "quiet", False))

    def stop_accepting(self) -> None:
        """Closing: refuse new jobs and drop results and errors still to come."""
        self._closing = True
        for job in list(self._jobs):
            job.cancelled.set()

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        name: str = "",
        owner: QObject | None = None,
        on_result: Callback | None = None,
        on_error: Callback | None = None,
        on_progress: Callback | None = None,
        on_done: Callable[[], None] | None = None,
        with_cancel: bool = False,
        quiet: bool = False,
        **kwargs: Any,
    ) -> Job | None:
        """Run ``fn(*args, **kwargs)`` off the UI thread; callbacks run on the UI thread.

        Callbacks are skipped once ``owner`` (usually the view) is deleted. An error with
        no ``on_error`` goes to the notification area under ``name``. ``quiet`` jobs
        (background polls) do not count as busy for the status bar spinner.
        """
        if self._closing:
            return None
        job = Job(
            fn, *args, name=name, with_progress=on_progress is not None,
            with_cancel=with_cancel, **kwargs,
        )

        def alive() -> bool:
            return owner is None or shiboken6.isValid(owner)

        def result(value: object) -> None:
            if on_result is not None and alive():
                on_result(value)

        def error(exc: object) -> None:
            if self._closing or not alive():
                return
            if on_error is not None:
                on_error(exc)
            else:
                self.hub.error(f"{job.name} failed", exc)  # type: ignore[arg-type]

        def progress(value: object) -> None:
            if on_progress is not None and alive():
                on_progress(value)

        def finished() -> None:
            self._jobs.discard(job)
            if not quiet:
                self.busy_changed.emit(self.busy)
            if on_done is not None and alive():
                on_done()

        # The receivers are closures, so Qt would call them on the emitting thread; routing
        # through this QObject's slot keeps every callback on the UI thread.
        relay = _Relay(self)
        job.signals.result.connect(relay.result)
        job.signals.error.connect(relay.error)
        job.signals.progress.connect(relay.progress)
        job.signals.finished.connect(relay.finished)
        relay.callbacks = (result, error, progress, finished)
        job.relay = relay  # type: ignore[attr-defined]
        job.quiet = quiet  # type: ignore[attr-defined]
        self._jobs.add(job)
        if not quiet:
            self.busy_changed.emit(self.busy)
        self.pool.start(job)
        return job

    def shutdown(self, timeout_ms: int = 800) -> bool:
        """Stop taking jobs, cancel queued ones and wait; True when every thread ended."""
        self._closing = True
        for job in list(self._jobs):
            job.cancelled.set()
        self.pool.clear()
        done = self.pool.waitForDone(timeout_ms)
        if not done:
            names = ", ".join(sorted(j.name for j in self._jobs))
            log.warning("jobs still running at close: %s", names)
        return done


class _Relay(QObject):
    """Lives on the UI thread; its slots receive a job's signals through queued connections."""

    callbacks: tuple[Callable[[Any], None], Callable[[Any], None], Callable[[Any], None],
                     Callable[[], None]]

    @Slot(object)
    def result(self, value: object) -> None:
        self.callbacks[0](value)

    @Slot(object)
    def error(self, exc: object) -> None:
        self.callbacks[1](exc)

    @Slot(object)
    def progress(self, value: object) -> None:
        self.callbacks[2](value)

    @Slot()
    def finished(self) -> None:
        callbacks = self.callbacks
        callbacks[3]()
        self.deleteLater()


class Poller(QObject):
    """Calls ``fn`` in a worker every ``interval_ms`` while started; never two at once.

    A slow database or API therefore never piles up requests: the next call waits for
    the previous one to finish.
    """

    def __init__(
        self,
        jobs: Jobs,
        fn: Callable[[], Any],
        on_result: Callback,
        *,
        interval_ms: int,
        name: str,
        on_error: Callback | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs, self.fn, self.name = jobs, fn, name
        self.on_result, self.on_error = on_result, on_error
        self._in_flight = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll_now)

    def start(self, *, immediately: bool = True) -> None:
        self.timer.start()
        if immediately:
            self.poll_now()

    def stop(self) -> None:
        self.timer.stop()

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    @Slot()
    def poll_now(self) -> None:
        if self._in_flight:
            return
        job = self.jobs.submit(
            self.fn, name=self.name, owner=self, on_result=self.on_result,
            on_error=self.on_error or (lambda _exc: None), on_done=self._done, quiet=True,
        )
        self._in_flight = job is not None

    def _done(self) -> None:
        self._in_flight = False
