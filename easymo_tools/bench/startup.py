"""``easymo bench startup``: how fast the console opens, and how smooth it stays under load.

1. Cold start: spawn ``easymo-console`` in a fresh process (throw-away config and data
   directories, so the first-run sandbox path is what is timed) and time it until its main
   window is shown and the event loop runs, i.e. the window takes input. The baseline is a
   bare PySide6 window holding one pyqtgraph plot, started the same way in the same run.
   ratio = baseline start time / console start time (higher is better; 1.0 = as fast).
2. UI stall: in this process, open the console on an embedded sandbox, then sync templates
   through the Templates page and send 100 template messages through the processor in
   workers, while a 5 ms QTimer heartbeat records the longest gap between its ticks.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from easymo_tools.bench.report import BenchReport

START_TARGET_S = 1.0
STALL_TARGET_MS = 50.0
RUNS = 5
SENDS = 100
READY = "EASYMO-READY"

_BASELINE = f"""
import os, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication(sys.argv)
window = QMainWindow()
plot = pg.PlotWidget()
plot.plot([0, 1, 2, 3], [1, 3, 2, 4])
window.setCentralWidget(plot)
window.resize(1000, 700)
window.show()
def ready():
    print("{READY}", flush=True)
    os._exit(0)
QTimer.singleShot(0, ready)
app.exec()
"""

# The console's own start (app.main.main), reporting like the baseline once its window is shown.
_CONSOLE = f"""
import os, sys
from app.main import main
def on_shown(app, window):
    from PySide6.QtCore import QTimer
    def ready():
        print("{READY}", flush=True)
        # The measurement is taken; skip the orderly close (it is timed elsewhere).
        os._exit(0)
    QTimer.singleShot(0, ready)
sys.exit(main([], on_shown=on_shown))
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EASYMO_")}
    env["EASYMO_CONFIG_DIR"] = str(home / "config")
    env["EASYMO_DATA_DIR"] = str(home / "data")
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    root = str(Path(__file__).resolve().parents[2])  # the project root
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def time_start(code: str, timeout: float = 60.0) -> float:
    """Seconds from spawning ``python -c code`` until it prints READY."""
    with tempfile.TemporaryDirectory(prefix="easymo-bench-") as home:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code], env=_env(Path(home)),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith(READY):
                    return time.perf_counter() - start
            raise RuntimeError(f"process exited with {proc.wait()} before its window showed")
        finally:
            proc.kill()
            proc.wait(timeout)


def measure_start(runs: int = RUNS) -> tuple[list[float], list[float]]:
    """Alternate baseline and console runs so both see the same machine load."""
    base, console = [], []
    time_start(_BASELINE)  # warm the OS file cache for both: Qt libraries are shared
    for _ in range(runs):
        base.append(time_start(_BASELINE))
        console.append(time_start(_CONSOLE))
    return base, console


class _Heartbeat:
    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import QTimer

        self.interval = interval_ms / 1000
        self.last = time.perf_counter()
        self.worst = 0.0
        self.ticks = 0
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last)
        self.last = now
        self.ticks += 1

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


def measure_stall(sends: int = SENDS) -> dict[str, float]:
    """Longest UI-thread gap (ms) while syncing templates and sending ``sends`` messages."""
    home = Path(tempfile.mkdtemp(prefix="easymo-bench-"))
    os.environ["EASYMO_CONFIG_DIR"] = str(home / "config")
    os.environ["EASYMO_DATA_DIR"] = str(home / "data")
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.main import make_app
    from app.main_window import MainWindow
    from app.sandbox_process import SandboxProcess
    from easymo_core.config import sandbox_profile

    make_app()
    # As the console runs it: the sandbox's servers in their own process.
    stack = SandboxProcess(sandbox_profile(), messages_per_second=200.0, reply_rate=0.3)
    stack.start()
    window = MainWindow(profile=sandbox_profile(), sandbox_stack=stack)
    window.show()
    window.open_profile()

    def pump(until: Any, timeout: float) -> bool:
        """Run the real event loop (as app.exec() does) until ``until()`` or the timeout."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        end = time.monotonic() + timeout
        check = QTimer()
        check.setInterval(20)
        check.timeout.connect(lambda: loop.quit() if until() or time.monotonic() > end
                              else None)
        check.start()
        if not until():
            loop.exec()
        check.stop()
        return bool(until())

    try:
        pump(lambda: window.session is not None, 60)
        page = window.page("templates")
        pump(lambda: page.model.rowCount() > 0, 30)
        for key in ("compose", "dashboard", "messages", "flows"):
            window.page(key)  # every page built, as after a while of use
        pump(lambda: False, 0.5)
        assert window.session is not None, "the sandbox profile did not open"
        svc = window.session.services
        done = {"sent": 0, "failed": 0}

        def count(outcome: Any) -> None:
            done["sent" if outcome.error is None else "failed"] += 1

        def failed(_exc: Any) -> None:
            done["failed"] += 1

        beat = _Heartbeat()
        beat.start()
        started = time.perf_counter()
        page.sync()
        pump(lambda: page.sync_button.isEnabled(), 30)
        sync_s = time.perf_counter() - started
        send_start = time.perf_counter()

        def send_all(progress: Any) -> None:
            # One worker sends them in turn, as a bulk send does: the processor paces them.
            for i in range(sends):
                try:
                    progress(svc.processor.send_template(
                        f"+1555020{i:04d}", "hello_world", "en_US", None, source="bulk"))
                except Exception as exc:
                    progress(exc)

        def one(value: Any) -> None:
            failed(value) if isinstance(value, Exception) else count(value)

        window.jobs.submit(send_all, name="bench sends", on_progress=one)
        pump(lambda: done["sent"] + done["failed"] >= sends, 120)
        send_s = time.perf_counter() - send_start
        pump(lambda: False, 1.5)  # statuses arrive; the pages poll and repaint
        worst = beat.stop()
        QApplication.processEvents()
        return {
            "ui_stall_ms": worst * 1000,
            "heartbeat_ticks": float(beat.ticks),
            "sync_s": sync_s,
            "send_s": send_s,
            "sent": float(done["sent"]),
            "failed": float(done["failed"]),
        }
    finally:
        window.shutdown()
        stack.stop()


def run(runs: int = RUNS, sends: int = SENDS) -> BenchReport:
    base, console = measure_start(runs)
    base_s, console_s = statistics.median(base), statistics.median(console)
    stall = measure_stall(sends)
    figures: dict[str, Any] = {
        "console_start_s": round(console_s, 4),
        "baseline_start_s": round(base_s, 4),
        "console_start_runs_s": [round(x, 4) for x in console],
        "baseline_start_runs_s": [round(x, 4) for x in base],
        "ui_stall_ms": round(stall["ui_stall_ms"], 1),
        "template_sync_s": round(stall["sync_s"], 3),
        "send_100_s": round(stall["send_s"], 3),
        "messages_sent": int(stall["sent"]),
        "messages_failed": int(stall["failed"]),
    }
    rows = [
        ("console cold start (median)", f"{console_s * 1000:.0f} ms"),
        ("baseline: PySide6 + pyqtgraph window", f"{base_s * 1000:.0f} ms"),
        ("longest UI stall (sync + sends)", f"{stall['ui_stall_ms']:.1f} ms"),
        ("template sync", f"{stall['sync_s'] * 1000:.0f} ms"),
        (f"{sends} sends through the processor", f"{stall['send_s']:.2f} s"),
    ]
    return BenchReport(
        name="startup",
        figures=figures,
        ratio=base_s / console_s if console_s else 0.0,
        baseline="bare PySide6 window with one pyqtgraph plot",
        rows=rows,
        targets={
            "cold start < 1 s": console_s < START_TARGET_S,
            "UI stall < 50 ms": stall["ui_stall_ms"] < STALL_TARGET_MS,
        },
    )


if __name__ == "__main__":
    report = run()
    print(report.to_json() if "--json" in sys.argv else report.table())
