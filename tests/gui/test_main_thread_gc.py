"""Cyclic garbage is collected on the UI thread, never in a worker (app/main_thread_gc.py)."""

from __future__ import annotations

import gc
import threading
from typing import Any, ClassVar

from app.main_thread_gc import install


class Cycle:
    finalized_in: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.finalized_in.append(threading.current_thread().name)


def test_garbage_made_in_a_worker_is_collected_on_the_ui_thread(qtbot: Any, qapp: Any) -> None:
    collector = install(qapp)
    assert not gc.isenabled()
    Cycle.finalized_in.clear()

    kept: list[Any] = []

    def churn() -> None:
        Cycle()
        # Far past the generation-0 threshold (kept alive so the count stays there):
        # automatic collection would run right here, in this thread.
        kept.extend([i] for i in range(50 * gc.get_threshold()[0]))

    worker = threading.Thread(target=churn, name="worker")
    worker.start()
    worker.join()
    assert Cycle.finalized_in == []
    qtbot.waitUntil(lambda: Cycle.finalized_in != [], timeout=5_000)
    assert Cycle.finalized_in == [threading.main_thread().name]
    kept.clear()
    collector.stop()
    assert gc.isenabled()
    assert install(qapp) is collector and not gc.isenabled()
