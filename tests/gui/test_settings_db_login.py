"""Settings: the database URL never shows a password; the login's password is typed into a
write-only field and goes to the keyring; a URL that still carries one is saved without it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from app.session import check_connection
from app.views.settings_page import SettingsPage
from easymo_core.config import Profile, ProfileStore
from easymo_core.secrets.store import SERVICE
from tests.conftest import MemoryKeyring

pytest.importorskip("PySide6.QtWidgets")


@pytest.fixture
def page(qtbot: Any, jobs: Any, hub: Any, memory_keyring: MemoryKeyring) -> SettingsPage:
    ProfileStore().save(Profile(name="team", phone_number_id="1", waba_id="2",
                                db_url="postgresql://alice:pw-inline-9@db.example:5432/easymo"))
    p = SettingsPage(jobs, hub, check_connection, store=ProfileStore())
    qtbot.addWidget(p)
    p.resize(1100, 900)
    p.show()
    return p


def _select(page: SettingsPage, name: str) -> None:
    for row in range(page.profiles.count()):
        if page.profiles.item(row).text().startswith(name):
            page.profiles.setCurrentRow(row)
            return
    raise AssertionError(name)


def test_url_is_masked_and_saving_moves_the_password(qtbot: Any, page: SettingsPage,
                                                     memory_keyring: MemoryKeyring) -> None:
    _select(page, "team")
    assert page.db_url.text() == "postgresql://alice:***@db.example:5432/easymo"
    for widget in page.findChildren(QLineEdit):
        assert "pw-inline-9" not in widget.text()
    assert page.db_password.isVisibleTo(page)
    qtbot.waitUntil(lambda: "profile file" in page.db_password_state.text(), timeout=5_000)
    page.save()
    qtbot.waitUntil(lambda: "stored in the OS keyring" in page.db_password_state.text(), timeout=5_000)
    store = ProfileStore()
    assert store.get("team").db_url == "postgresql://alice@db.example:5432/easymo"
    assert "pw-inline-9" not in store.path.read_text()
    assert memory_keyring.store[(SERVICE, "team:db-password")] == "pw-inline-9"
    assert page.db_url.text() == "postgresql://alice@db.example:5432/easymo"
    assert "login alice" in page.db_password_state.text()


def test_typed_password_goes_to_the_keyring_only(qtbot: Any, page: SettingsPage,
                                                 memory_keyring: MemoryKeyring) -> None:
    _select(page, "team")
    page.db_url.setText("postgresql://bob@db.example/easymo")
    page.db_password.setText("typed-pw-4")
    assert page.db_password.echoMode() == QLineEdit.EchoMode.Password
    page.save()
    qtbot.waitUntil(lambda: page.db_password.text() == "" and
                    "stored in the OS keyring" in page.db_password_state.text(), timeout=5_000)
    assert memory_keyring.store[(SERVICE, "team:db-password")] == "typed-pw-4"
    assert "typed-pw-4" not in ProfileStore().path.read_text()


def test_sqlite_profile_has_no_password_field(page: SettingsPage) -> None:
    _select(page, "sandbox")
    assert not page.db_password.isVisibleTo(page)
    page.db_url.setReadOnly(False)
    page.db_url.setText("postgresql://carol@db.example/easymo")
    assert page.db_password.isVisibleTo(page)


def test_editing_around_the_mask_keeps_the_stored_password(qtbot: Any, page: SettingsPage,
                                                           memory_keyring: MemoryKeyring) -> None:
    _select(page, "team")
    page.db_url.setText("postgresql://alice:***@db2.example:5432/easymo")
    page.save()
    qtbot.waitUntil(lambda: "stored in the OS keyring" in page.db_password_state.text(), timeout=5_000)
    assert ProfileStore().get("team").db_url == "postgresql://alice@db2.example:5432/easymo"
    assert memory_keyring.store[(SERVICE, "team:db-password")] == "pw-inline-9"
