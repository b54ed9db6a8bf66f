"""The main window: first run opens the sandbox with its banner, navigation, the status bar,
profile switching, and closing within a second."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from app.main_window import NAV, MainWindow
from easymo_core.config import Profile, ProfileStore
from tests.gui.conftest import Heartbeat


def _port_open(url: str) -> bool:
    host, port = url.split("://", 1)[1].split("/", 1)[0].split(":")
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, int(port))) == 0


@pytest.mark.slow  # starts the sandbox in a process of its own
def test_first_run_opens_the_sandbox_and_closes_in_a_second(qtbot: Any) -> None:
    window = MainWindow()  # nothing configured: no profiles.toml, no keyring
    qtbot.addWidget(window)
    window.show()
    beat = Heartbeat()
    window.open_profile()
    # The window is interactive while the servers start.
    assert window.stack.currentWidget() is window.startup
    assert window.startup.spinner.spinning
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    assert beat.stop() < 0.3
    session = window.session
    assert session.profile.is_sandbox and session.stack is not None
    graph, hook = session.stack.graph_url, session.stack.webhook_url
    assert graph.startswith("http://127.0.0.1:") and hook.startswith("http://127.0.0.1:")
    assert not window.sandbox_banner.isHidden()
    assert "Sandbox profile" in window.sandbox_banner.text()
    assert window.current_key() == "templates"
    qtbot.waitUntil(lambda: window.health["api"].health == "ok", timeout=15_000)
    qtbot.waitUntil(lambda: window.health["webhook"].health == "ok", timeout=15_000)
    qtbot.waitUntil(lambda: window.health["scheduler"].health == "ok", timeout=15_000)
    assert "127.0.0.1" in window.health["webhook"].detail
    assert window.profile_switcher.current() == "sandbox"
    # Templates synced in the background on first run.
    templates = window.page("templates")
    qtbot.waitUntil(lambda: templates.model.rowCount() >= 8, timeout=15_000)
    assert _port_open(graph) and _port_open(hook)
    elapsed = window.shutdown()
    assert elapsed < 1.0, f"closing took {elapsed:.2f} s"
    assert not _port_open(graph) and not _port_open(hook)


def test_navigation_reaches_every_page(qtbot: Any, window: MainWindow) -> None:
    for key, _label in NAV:
        window.navigate(key)
        assert window.current_key() == key
        assert window.stack.currentWidget() is window.page(key)
    dashboard = window.page("dashboard")
    window.navigate("dashboard")
    qtbot.waitUntil(lambda: dashboard.tiles["sent"].value.text() != "…", timeout=10_000)


@pytest.mark.slow  # switching back starts the sandbox in a process of its own
def test_broken_profile_shows_why_and_settings_still_work(qtbot: Any, window: MainWindow,
                                                          memory_keyring: Any) -> None:
    ProfileStore().save(Profile(name="prod", phone_number_id="123", waba_id="456",
                                db_url="sqlite:////nonexistent-dir/x/y.db"))
    # Once every page is built they are frozen out of the garbage collector's walks
    # (app/main_thread_gc.py); a switch lets them go and freezes the new ones.
    qtbot.waitUntil(lambda: window._froze_pages, timeout=15_000)
    window.switch_profile("prod")
    qtbot.waitUntil(lambda: window.startup.retry_button.isVisibleTo(window.startup),
                    timeout=15_000)
    assert "prod" in window.startup.title.text()
    assert window.startup.text.text()  # the reason, in words
    assert window.session is None
    window.navigate("settings")
    assert window.stack.currentWidget() is window.page("settings")
    window.switch_profile("sandbox")
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    assert window.session.profile.name == "sandbox"
    qtbot.waitUntil(lambda: window._froze_pages and len(window.pages) >= 6, timeout=15_000)


def test_close_event_stops_everything(qtbot: Any, window: MainWindow) -> None:
    start = time.perf_counter()
    window.close()
    assert time.perf_counter() - start < 1.0
    assert window.session is None
    assert window.jobs.submit(time.sleep, 0) is None
