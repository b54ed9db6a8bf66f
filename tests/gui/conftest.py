"""GUI fixtures: a fast sandbox stack per test (its own data dir), windows and sessions.

The sandbox is tuned so statuses and replies come within a second: tests wait on what the
console shows, never on fixed sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("PySide6.QtWidgets")

from easymo_core.config import sandbox_profile

FAST = {
    "review_delay": 0.6,
    "sent_delay": (0.02, 0.05),
    "delivered_delay": (0.05, 0.1),
    "read_delay": (0.1, 0.2),
    "failure_rate": 0.0,
    "read_rate": 1.0,
    "reply_rate": 1.0,
    "reply_delay": (0.2, 0.4),
    "text_reply_rate": 0.0,
}
USER = "+15550100002"


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["easymo-console-tests"]


@pytest.fixture(autouse=True)
def _console_style(qapp: Any) -> Iterator[None]:
    """Tests run with the real style sheet, so what they see is what admins see, and with
    the console's UI-thread garbage collection (app/main_thread_gc.py), handed back to
    Python after each test so the core tests that follow collect as usual."""
    from app.main import make_app
    from app.main_thread_gc import install

    make_app()
    collector = install(qapp)
    yield
    collector.stop()


@pytest.fixture
def stack() -> Iterator[Any]:
    from easymo_core.runtime.sandbox_stack import SandboxStack

    s = SandboxStack(sandbox_profile(), **FAST)
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def session(stack: Any) -> Iterator[Any]:
    from app.session import ConsoleSession

    sess = ConsoleSession.open(sandbox_profile(), sandbox_stack=stack)
    try:
        yield sess
    finally:
        sess.close()


@pytest.fixture
def hub(qapp: Any) -> Any:
    from app.hub import Hub

    return Hub()


@pytest.fixture
def jobs(hub: Any) -> Iterator[Any]:
    from app.workers import Jobs

    j = Jobs(hub)
    yield j
    j.shutdown(2000)


@pytest.fixture
def window(qtbot: Any, stack: Any) -> Iterator[Any]:
    from app.main_window import MainWindow

    w = MainWindow(profile=sandbox_profile(), sandbox_stack=stack)
    qtbot.addWidget(w)
    w.show()
    w.open_profile()
    qtbot.waitUntil(lambda: w.session is not None, timeout=20_000)
    yield w
    w.shutdown()


def control(stack: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    """A call to the sandbox's /_sandbox control API (tests drive users and faults)."""
    url = f"{stack.graph_url}/_sandbox/{path}"
    response = httpx.post(url, json=body or {}, timeout=5) if body is not None else \
        httpx.get(url, timeout=5)
    response.raise_for_status()
    return response.json()


def user_writes(stack: Any, text: str = "hi", who: str = USER) -> None:
    """Opens the user's 24-hour window, as a real customer writing first would."""
    control(stack, "inbound", {"from": who, "text": text})
    time.sleep(0.3)  # the webhook lands in the database in a few ms


class Heartbeat:
    """A 10 ms QTimer; the longest gap between its ticks is the longest UI-thread stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.last = time.perf_counter()
        self.worst = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def stop(self) -> float:
        self.timer.stop()
        return self.worst
