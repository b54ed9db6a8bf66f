"""Python's cyclic garbage collector, run on the UI thread only, never as a long stall.

Left automatic, the collector runs in whichever thread happens to allocate past its
threshold: a worker thread then destroys a Qt object that lived on the UI thread. Its
destructor takes Qt's signal-slot lock and waits for the GIL while the UI thread holds the
GIL and waits for that lock: the console freezes for good (seen in the test suite as a
worker's template sync against a page being built). So automatic collection is off while
the console runs, and a timer on the UI thread collects the young generations when the
allocation counts pass the usual thresholds (the recipe pyqtgraph ships as
``GarbageCollector``).

A full collection walks every object: 170-270 ms for the console's 200,000 (modules, Qt
wrappers, pages), and 55-100 ms even with the start-up objects set aside, measured on the
dashboard benchmark: a visible stall every minute of live updates. So the objects that
survive the young collections are frozen out of the collector's sight (``gc.freeze``), as
long-lived; they are let back in and collected in one go only when the admin is not using
the window (the pointer has not moved for a few seconds), at most every few minutes, and
when a profile switch drops the old session's pages.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QCursor

INTERVAL_MS = 100
# Between two checks an import or a big query can leave tens of thousands of new objects,
# and collecting them walks them all (80 ms seen). A burst that large is mostly data kept
# (modules, caches, pages): it is frozen instead, and the idle-time full collection takes
# back whatever of it died since.
BURST = 20
FULL_EVERY_S = 300.0  # a full collection at most this often
IDLE_S = 5.0  # ... and only when the pointer has been still this long


class MainThreadGC(QObject):
    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.full_collections = 0
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self._last_full = time.monotonic()
        self._pointer = QCursor.pos()
        self._still_since = time.monotonic()
        self._start()

    def _start(self) -> None:
        self.threshold = gc.get_threshold()
        gc.disable()
        gc.freeze()
        self.timer.start()

    def check(self) -> None:
        now = time.monotonic()
        pointer = QCursor.pos()
        if pointer != self._pointer:
            self._pointer, self._still_since = pointer, now
        if now - self._last_full >= FULL_EVERY_S and now - self._still_since >= IDLE_S:
            self.full_collect()
            return
        l0, l1, l2 = gc.get_count()
        if l0 > BURST * self.threshold[0]:
            gc.freeze()
        elif l0 > self.threshold[0]:
            gc.collect(0)
            if l1 > self.threshold[1]:
                gc.collect(1)
                if l2 > self.threshold[2]:
                    # Where CPython would walk everything: survivors this old are long-lived.
                    gc.freeze()

    def full_collect(self) -> None:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._last_full = time.monotonic()
        self.full_collections += 1

    def stop(self) -> None:
        """Back to automatic collection (tests, and a QApplication going away)."""
        self.timer.stop()
        gc.unfreeze()
        gc.enable()


def freeze() -> None:
    """Everything alive now is long-lived (a session's pages are built): skip it from now on."""
    gc.freeze()


def thaw() -> None:
    """Let frozen objects be collected again (their pages are gone), and collect them now."""
    gc.unfreeze()
    gc.collect()


def install(app: QObject) -> MainThreadGC:
    """Once per application: the collector lives as the application's child."""
    existing = app.findChild(MainThreadGC)
    if isinstance(existing, MainThreadGC):
        if not existing.timer.isActive():
            existing._start()
        return existing
    return MainThreadGC(app)
