"""Settings: profiles are created and edited, secrets go to the keyring and never come back
into a widget, and "Test connection" shows the number or the exact reason it failed."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from app.session import check_connection
from app.views.settings_page import NEW, SettingsPage
from easymo_core.config import ProfileStore, sandbox_profile
from easymo_core.secrets import get_secret
from tests.fake_secrets import fake_token


@pytest.fixture
def page(qtbot: Any, jobs: Any, hub: Any, memory_keyring: Any) -> SettingsPage:
    p = SettingsPage(jobs, hub, check_connection, store=ProfileStore())
    qtbot.addWidget(p)
    p.resize(1100, 900)
    p.show()
    return p


def select(page: SettingsPage, text: str) -> None:
    for row in range(page.profiles.count()):
        if page.profiles.item(row).text().startswith(text):
            page.profiles.setCurrentRow(row)
            return
    raise AssertionError(f"no profile {text!r} in the list")


def fill_new(page: SettingsPage, name: str, graph_url: str) -> None:
    select(page, NEW)
    page.name.setText(name)
    page.graph_url.setText(graph_url)
    page.phone_number_id.setText("100000000000001")
    page.waba_id.setText("200000000000001")
    page.db_url.setText("sqlite:////tmp/never-opened.db")


def test_sandbox_profile_is_read_only(page: SettingsPage) -> None:
    select(page, "sandbox")
    assert page.graph_url.isReadOnly() and not page.save_button.isEnabled()
    assert not page.sandbox_note.isHidden()


def test_create_profile_stores_secrets_in_the_keyring_only(
    qtbot: Any, page: SettingsPage, tmp_path: Any,
) -> None:
    fill_new(page, "staging", "https://graph.facebook.com")
    token = fake_token("secret-token-value")
    page.token.setText(token)
    page.app_secret.setText("app-secret-value-987654")
    page.save()
    qtbot.waitUntil(lambda: page.current is not None and page.current.name == "staging",
                    timeout=5_000)
    profile = ProfileStore().get("staging")
    assert profile.phone_number_id == "100000000000001"
    assert get_secret(profile, "token") == token
    # The fields are cleared and never show the stored value again.
    qtbot.waitUntil(lambda: "stored in the OS keyring" in page.token_state.text(), timeout=5_000)
    assert page.token.text() == "" and page.app_secret.text() == ""
    assert page.token.echoMode() == QLineEdit.EchoMode.Password
    files = " ".join(p.read_text() for p in tmp_path.rglob("*.toml"))
    assert token not in files and "app-secret-value" not in files
    for widget in page.findChildren(QLineEdit):
        assert token not in widget.text()


def test_invalid_settings_are_explained(page: SettingsPage) -> None:
    fill_new(page, "bad", "https://graph.facebook.com")
    page.phone_number_id.setText("not-digits")
    page.save()
    assert not page.banner.isHidden()
    assert "must be digits" in page.banner.text()


def test_connection_shows_number_quality_and_limit(qtbot: Any, page: SettingsPage,
                                                   stack: Any) -> None:
    fill_new(page, "local", stack.graph_url)
    page.token.setText("sandbox-token")
    page.test()
    qtbot.waitUntil(lambda: not page.result.isHidden(), timeout=10_000)
    assert page.r_number.text() == "+1 555 010 0001"
    assert page.r_quality.status == "GREEN"
    assert "2,000" in page.r_limit.text()  # whatsapp_business_manager_messaging_limit TIER_2K


def test_connection_failure_says_exactly_why(qtbot: Any, page: SettingsPage,
                                             stack: Any) -> None:
    fill_new(page, "local", stack.graph_url)
    page.token.setText("a-wrong-token")
    page.test()
    qtbot.waitUntil(lambda: not page.test_error.isHidden(), timeout=10_000)
    text = page.test_error.text()
    assert "token" in text.lower()
    assert "a-wrong-token" not in text


def test_unreachable_api_is_reported_without_freezing(qtbot: Any, page: SettingsPage) -> None:
    fill_new(page, "dead", "http://127.0.0.1:9")
    page.token.setText("whatever-token")
    page.test()
    assert page.test_spinner.spinning
    qtbot.waitUntil(lambda: not page.test_error.isHidden(), timeout=30_000)
    assert "127.0.0.1" in page.test_error.text()


def test_sandbox_profile_test_uses_the_running_sandbox(qtbot: Any, jobs: Any, hub: Any,
                                                      session: Any) -> None:
    def via_session(profile: Any, token: Any) -> Any:
        return session.services.phone_info()

    p = SettingsPage(jobs, hub, via_session, store=ProfileStore())
    qtbot.addWidget(p)
    select(p, "sandbox")
    p.test()
    qtbot.waitUntil(lambda: not p.result.isHidden(), timeout=10_000)
    assert p.r_name.text() == "easyMO Sandbox"
    assert sandbox_profile().is_sandbox


def test_alert_thresholds_are_saved_with_the_profile(qtbot: Any, page: SettingsPage) -> None:
    fill_new(page, "alerts", "https://graph.facebook.com")
    assert page.alert_error_rate.value() == 5.0 and page.alert_lag.value() == 120.0
    page.alert_error_rate.setValue(2.5)
    page.alert_lag.setValue(300)
    saved: list[Any] = []
    page.profile_saved.connect(saved.append)
    page.save()
    qtbot.waitUntil(lambda: bool(saved), timeout=5_000)
    profile = ProfileStore().get("alerts")
    assert (profile.alert_error_rate, profile.alert_webhook_lag_s) == (0.025, 300.0)
    assert saved[0].alert_error_rate == 0.025
    select(page, "sandbox")
    assert not page.alert_error_rate.isEnabled()
    select(page, "alerts")
    assert page.alert_error_rate.value() == 2.5 and page.alert_lag.value() == 300.0


def test_bad_alert_threshold_in_the_file_is_explained() -> None:
    from easymo_core.config import Profile
    from easymo_core.errors import ConfigError

    with pytest.raises(ConfigError, match="alert error rate"):
        Profile.from_toml_dict("x", {"alert_error_rate": 5})
