"""A real profile on an empty database: the start page offers to create the tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.main_window import MainWindow
from easymo_core.config import Profile, ProfileStore


def _window(qtbot: Any, url: str, monkeypatch: Any, answers: list[bool]) -> MainWindow:
    store = ProfileStore()
    store.save(Profile(name="prod", phone_number_id="123", waba_id="456", db_url=url))
    store.use("prod")
    window = MainWindow(store=store)
    qtbot.addWidget(window)
    asked: list[str] = []

    def confirm(profile: Profile, empty: bool) -> bool:
        asked.append(profile.name)
        return answers.pop(0)

    monkeypatch.setattr(window, "confirm_create_tables", confirm)
    window.asked = asked  # type: ignore[attr-defined]
    window.show()
    return window


def test_empty_database_offers_to_create_the_tables(qtbot: Any, empty_db_url: str,
                                                     monkeypatch: Any, memory_keyring: Any) -> None:
    window = _window(qtbot, empty_db_url, monkeypatch, [False, True])
    window.open_profile()
    button = window.startup.tables_button
    qtbot.waitUntil(lambda: button.isVisibleTo(window.startup), timeout=15_000)
    assert button.text() == "Create the tables…"
    assert "no easymo schema" in window.startup.text.text()
    button.click()  # asked, and declined: nothing happens
    assert window.asked == ["prod"]  # type: ignore[attr-defined]
    from easymo_core.storage.engine import Database
    from easymo_core.storage.migrate import status

    db = Database(empty_db_url)
    assert status(db).state == "empty"
    button.click()  # asked again, and accepted
    qtbot.waitUntil(lambda: status(db).state == "current", timeout=30_000)
    db.dispose()
    # The profile opens again: past the schema now (it may stop later, at the Graph API).
    qtbot.waitUntil(lambda: "no easymo schema" not in window.startup.text.text(), timeout=15_000)
    window.shutdown()


def test_a_login_that_may_not_create_tables_is_told_so(qtbot: Any, monkeypatch: Any,
                                                       memory_keyring: Any) -> None:
    # PostgreSQL only: SQLite has no logins (and root ignores a read-only file's mode).
    from tests.conftest import _create_pg_database

    empty_db_url = _create_pg_database()
    admin = create_engine(make_url(empty_db_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    role = f"easymo_ro_{make_url(empty_db_url).database[-8:]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        conn.execute(text(f"GRANT CONNECT ON DATABASE \"{make_url(empty_db_url).database}\" TO {role}"))
    limited = make_url(empty_db_url).set(username=role, password="pw")
    try:
        window = _window(qtbot, limited.render_as_string(hide_password=False), monkeypatch, [True])
        window.open_profile()
        button = window.startup.tables_button
        qtbot.waitUntil(lambda: button.isVisibleTo(window.startup), timeout=15_000)
        button.click()
        qtbot.waitUntil(lambda: "may not create tables" in window.startup.text.text(),
                        timeout=15_000)
        assert "easymo db upgrade" in window.startup.hint.text()
        window.shutdown()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
        admin.dispose()
        # The role outlives the throw-away database: drop that first, then the role.
        from tests.conftest import _drop_pg_database, _pg_admin_url

        _drop_pg_database(empty_db_url)
        server = create_engine(make_url(_pg_admin_url()).set(drivername="postgresql+psycopg"),
                               isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        server.dispose()
