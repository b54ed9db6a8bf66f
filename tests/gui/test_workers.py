"""Workers: results, errors and progress arrive on the UI thread; owners that are gone get
nothing; the pool stops on close; a poller never runs twice at once."""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWidget

from app.hub import Notification
from app.workers import Jobs, Poller
from easymo_core.errors import EasymoError


def test_result_and_progress_arrive_on_the_ui_thread(qtbot: Any, jobs: Jobs) -> None:
    seen: dict[str, Any] = {}
    ui = QApplication.instance().thread()  # type: ignore[union-attr]

    def work(progress: Any) -> int:
        seen["worker_thread"] = threading.current_thread().name
        progress(1, 3)
        return 42

    def on_result(value: int) -> None:
        seen["result"] = value
        seen["on_ui"] = QThread.currentThread() is ui

    jobs.submit(work, on_result=on_result, on_progress=lambda v: seen.setdefault("p", v))
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 42 and seen["on_ui"]
    assert seen["p"] == (1, 3)
    assert seen["worker_thread"] != threading.main_thread().name


def test_unhandled_errors_go_to_the_notification_area(qtbot: Any, jobs: Jobs, hub: Any) -> None:
    notes: list[Notification] = []
    hub.notify.connect(notes.append)

    def boom() -> None:
        raise EasymoError("the API said no", hint="try later")

    jobs.submit(boom, name="sync templates")
    qtbot.waitUntil(lambda: bool(notes), timeout=5000)
    assert notes[0].level == "error"
    assert notes[0].title == "sync templates failed"
    assert notes[0].text == "the API said no" and notes[0].hint == "try later"


def test_callbacks_of_a_deleted_owner_are_dropped(qtbot: Any, jobs: Jobs) -> None:
    owner = QWidget()
    got: list[int] = []
    gate = threading.Event()
    jobs.submit(lambda: gate.wait(5) and 1, owner=owner, on_result=got.append)
    owner.deleteLater()
    qtbot.wait(50)
    gate.set()
    qtbot.waitUntil(lambda: jobs.active == 0, timeout=5000)
    assert got == []


def test_shutdown_waits_and_refuses_new_jobs(qtbot: Any, hub: Any) -> None:
    jobs = Jobs(hub)
    jobs.submit(time.sleep, 0.2)
    start = time.perf_counter()
    assert jobs.shutdown(2000)
    assert time.perf_counter() - start < 1.0
    assert jobs.submit(time.sleep, 0) is None


def test_poller_never_overlaps(qtbot: Any, jobs: Jobs) -> None:
    running = 0
    worst = 0
    calls = 0
    lock = threading.Lock()

    def slow() -> None:
        nonlocal running, worst, calls
        with lock:
            running += 1
            worst = max(worst, running)
            calls += 1
        time.sleep(0.08)
        with lock:
            running -= 1

    poller = Poller(jobs, slow, lambda _r: None, interval_ms=10, name="test")
    poller.start()
    qtbot.waitUntil(lambda: calls >= 4, timeout=5000)
    poller.stop()
    assert worst == 1
