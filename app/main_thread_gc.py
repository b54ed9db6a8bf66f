"""Python's cyclic garbage collector, run on the UI thread only.

Left automatic, the collector runs in whichever thread happens to allocate past its
threshold: a worker thread then destroys a Qt object that lived on the UI thread. Its
destructor takes Qt's signal-slot lock and waits for the GIL while the UI thread holds the
GIL and waits for that lock: the console freezes for good (seen in the test suite as a
worker's template sync against a page being built). So automatic collection is off while
the console runs, and a timer on the UI thread collects each generation when the
allocation counts pass the usual thresholds (the recipe pyqtgraph ships as
``GarbageCollector``).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadGC(QObject):
    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        gc.disable()
        self.timer.start()

    def check(self) -> None:
        l0, l1, l2 = gc.get_count()
        if l0 > self.threshold[0]:
            gc.collect(0)
            if l1 > self.threshold[1]:
                gc.collect(1)
                if l2 > self.threshold[2]:
                    gc.collect(2)

    def stop(self) -> None:
        """Back to automatic collection (tests, and a QApplication going away)."""
        self.timer.stop()
        gc.collect()
        gc.enable()


def install(app: QObject) -> MainThreadGC:
    """Once per application: the collector lives as the application's child."""
    existing = app.findChild(MainThreadGC)
    if isinstance(existing, MainThreadGC):
        if not existing.timer.isActive():
            existing.threshold = gc.get_threshold()
            gc.disable()
            existing.timer.start()
        return existing
    return MainThreadGC(app)
