"""Cyclic garbage is collected on the UI thread, never in a worker (app/main_thread_gc.py)."""

from __future__ import annotations

import gc
import threading
from typing import Any, ClassVar

from app.main_thread_gc import BURST, install


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
        kept.extend([i] for i in range(5 * gc.get_threshold()[0]))

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


def test_long_lived_objects_are_frozen_so_full_collections_stay_short(qapp: Any) -> None:
    from app import main_thread_gc

    collector = install(qapp)
    assert gc.get_freeze_count() > 10_000  # the modules and Qt wrappers alive at start
    main_thread_gc.thaw()
    assert gc.get_freeze_count() == 0
    main_thread_gc.freeze()
    assert gc.get_freeze_count() > 10_000
    collector.stop()
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_a_burst_of_new_objects_is_frozen_then_reclaimed_by_the_idle_collection(qtbot: Any,
                                                                                qapp: Any) -> None:
    collector = install(qapp)
    Cycle.finalized_in.clear()
    frozen = gc.get_freeze_count()
    Cycle()
    kept = [[i] for i in range(2 * BURST * gc.get_threshold()[0])]  # an import, a big query
    collector.check()
    # Not walked now (that was an 80 ms stall): set aside as long-lived.
    assert gc.get_freeze_count() > frozen + len(kept) and Cycle.finalized_in == []
    collector.full_collect()  # what the idle pointer triggers, at most every few minutes
    assert Cycle.finalized_in == [threading.main_thread().name]
    assert collector.full_collections == 1 and gc.get_freeze_count() > 0
    collector.stop()


def test_full_collection_waits_for_a_still_pointer(qapp: Any, monkeypatch: Any) -> None:
    from app import main_thread_gc

    collector = install(qapp)
    before = collector.full_collections
    monkeypatch.setattr(main_thread_gc, "FULL_EVERY_S", 0.0)
    monkeypatch.setattr(main_thread_gc, "IDLE_S", 3600.0)
    collector.check()
    assert collector.full_collections == before  # the admin may be using the window
    monkeypatch.setattr(main_thread_gc, "IDLE_S", 0.0)
    collector.check()
    assert collector.full_collections == before + 1
    collector.stop()
