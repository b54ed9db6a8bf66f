"""The console with a person's own login on PostgreSQL: who you are in the status bar; a
viewer's console reads but every write action is disabled with a tooltip naming the role,
a banner says so, and the scheduler's writing jobs are off (said on its light); a refusal
met mid-write reads "your role admin cannot send messages"; the webhook login is turned away
with a clear message. On SQLite: "SQLite: single user, no roles"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.main_window import MainWindow
from easymo_core.config import Profile
from easymo_core.config import sandbox_defaults as sd
from easymo_core.permissions import ADMIN_HINT
from easymo_core.secrets import set_secret
from tests.conftest import MemoryKeyring
from tests.gui.conftest import USER
from tests.login.real_logins import WABA, cli_login, team_profile


def _open(qtbot: Any, profile: Profile, stack: Any) -> MainWindow:
    set_secret(profile.name, "token", sd.SANDBOX_TOKEN)  # the local stand-in's, not a secret
    window = MainWindow(profile=profile, sandbox_stack=stack)
    qtbot.addWidget(window)
    window.resize(1360, 860)
    window.show()
    window.open_profile()
    return window


@pytest.fixture
def closing() -> Iterator[list[MainWindow]]:
    windows: list[MainWindow] = []
    yield windows
    for w in windows:
        w.shutdown()


def test_sqlite_console_says_it_has_no_roles(window: MainWindow) -> None:
    assert window.identity.text() == "SQLite: single user, no roles"
    assert window.read_only_banner.isHidden()
    assert window.page("compose").send_button.toolTip() != ""
    assert "cannot" not in window.page("compose").send_button.toolTip()


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_viewer_console_is_read_only_and_says_why(
    qtbot: Any, db_url: str, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
    stack: Any, closing: list[MainWindow],
) -> None:
    with cli_login(monkeypatch, db_url, "viewer") as viewer:
        window = _open(qtbot, team_profile(viewer, graph_url=stack.graph_url), stack)
        closing.append(window)
        qtbot.waitUntil(lambda: window.session is not None, timeout=20_000)
        assert window.session.access.role == "viewer"
        assert window.identity.text() == f"{viewer.name} · viewer · account {WABA}"
        assert not window.read_only_banner.isHidden()
        assert "Read-only: your role viewer" in window.read_only_banner.text()

        window.navigate("compose")
        composer = window.page("compose")
        composer.recipient.set_text(USER)
        composer.text_form.body.setPlainText("Hello from a viewer")
        composer.refresh()  # a valid form would enable Send: the role keeps it off
        assert not composer.send_button.isEnabled()
        assert composer.send_button.toolTip() == "Your role viewer cannot send messages"
        composer.send()  # the shortcut's path: nothing is sent
        assert composer.send_error.isHidden()

        templates = window.page("templates")
        for button, words in ((templates.new_button, "submit templates"),
                              (templates.delete_button, "delete templates"),
                              (templates.sync_button, "sync templates")):
            assert not button.isEnabled()
            assert button.toolTip() == f"Your role viewer cannot {words}"
        flows = window.page("flows")
        assert not flows.import_button.isEnabled()
        assert flows.import_button.toolTip() == "Your role viewer cannot import flows"

        scheduler = window.health["scheduler"]
        qtbot.waitUntil(lambda: "4 off: read-only" in scheduler.detail, timeout=15_000)
        assert "Template sync: off — your role viewer cannot write" in scheduler.toolTip()
        assert scheduler.health in ("ok", "busy")
        window.shutdown()


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_refusal_mid_write_is_said_in_words(
    qtbot: Any, db_url: str, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
    stack: Any, closing: list[MainWindow],
) -> None:
    """An admin of account A on a profile of account B: Send is enabled (admins write) and
    row-level security refuses the row; the composer says so, with no trace."""
    with cli_login(monkeypatch, db_url, "admin", wabas=(WABA,)) as admin:
        window = _open(qtbot, team_profile(admin, graph_url=stack.graph_url, waba="888000222"), stack)
        closing.append(window)
        qtbot.waitUntil(lambda: window.session is not None, timeout=20_000)
        assert window.read_only_banner.isHidden()
        window.navigate("compose")
        composer = window.page("compose")
        composer.recipient.set_text(USER)
        composer.text_form.body.setPlainText("Hello from account A")
        composer.refresh()
        assert composer.send_button.isEnabled()
        composer.send()
        qtbot.waitUntil(lambda: not composer.send_error.isHidden(), timeout=15_000)
        assert composer.send_error.text() == f"Not sent: your role admin cannot send messages — {ADMIN_HINT}"
        window.shutdown()


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_webhook_login_is_turned_away(
    qtbot: Any, db_url: str, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
    stack: Any, closing: list[MainWindow],
) -> None:
    with cli_login(monkeypatch, db_url, "webhook") as hook:
        window = _open(qtbot, team_profile(hook, graph_url=stack.graph_url), stack)
        closing.append(window)
        qtbot.waitUntil(lambda: window.startup.retry_button.isVisibleTo(window.startup),
                        timeout=20_000)
        assert window.session is None
        shown = window.startup.text.text()
        assert f"this login ({hook.name}) is for the webhook receiver" in shown
        assert "Traceback" not in shown
        window.shutdown()
