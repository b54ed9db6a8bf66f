"""`easymo profile add` with a password in --db-url warns and moves it to the keyring when
asked; `easymo secrets set db-password` stores the login's password; `profile show` never
prints it."""

from __future__ import annotations

import pytest

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.config import ProfileStore
from easymo_core.secrets.store import SERVICE
from tests.conftest import MemoryKeyring

ADD = ["profile", "add", "team", "--phone-number-id", "1", "--waba-id", "2"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_guarded(cli, list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_inline_password_warns_and_stays(capsys: pytest.CaptureFixture[str],
                                         memory_keyring: MemoryKeyring) -> None:
    code, out, err = run(capsys, *ADD, "--db-url", "postgresql://alice:pw-inline-1@db.example/easymo")
    assert code == 0, err
    assert "warning: the database URL carries a password" in err
    assert "--password-to-keyring" in err and "secrets set db-password" in err
    assert "pw-inline-1" not in out + err
    # Without --password-to-keyring and no terminal to ask on, the URL is kept as given.
    assert ProfileStore().get("team").db_url == "postgresql://alice:pw-inline-1@db.example/easymo"


def test_password_to_keyring_moves_it(capsys: pytest.CaptureFixture[str],
                                      memory_keyring: MemoryKeyring) -> None:
    code, out, err = run(capsys, *ADD, "--db-url", "postgresql://alice:pw-moved-2@db.example/easymo",
                         "--password-to-keyring")
    assert code == 0, err
    store = ProfileStore()
    assert store.get("team").db_url == "postgresql://alice@db.example/easymo"
    assert "pw-moved-2" not in store.path.read_text()
    assert memory_keyring.store[(SERVICE, "team:db-password")] == "pw-moved-2"
    assert "in the OS keyring" in out
    code, out, err = run(capsys, "--profile", "team", "profile", "show")
    assert code == 0, err
    assert "db_login" in out and "alice" in out
    assert "pw-moved-2" not in out


def test_secrets_set_db_password(capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    assert run(capsys, *ADD, "--db-url", "postgresql://alice@db.example/easymo")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-stdin-3\n"))
    code, out, err = run(capsys, "--profile", "team", "secrets", "set", "db-password", "--stdin")
    assert code == 0, err
    assert out.strip() == "db-password stored in the OS keyring for profile 'team' (login alice)"
    assert memory_keyring.store[(SERVICE, "team:db-password")] == "pw-stdin-3"
    code, out, _ = run(capsys, "--profile", "team", "profile", "show", "--json")
    assert '"db_password": "set"' in out and "pw-stdin-3" not in out


def test_db_password_needs_a_postgresql_login(capsys: pytest.CaptureFixture[str],
                                              memory_keyring: MemoryKeyring,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    code, _, err = run(capsys, "secrets", "set", "db-password", "--stdin")
    assert code == 1
    assert err.startswith("error: profile 'sandbox' uses no PostgreSQL login")
    assert len(err.strip().splitlines()) == 1


def test_profile_edit_moves_an_existing_inline_password(capsys: pytest.CaptureFixture[str],
                                                        memory_keyring: MemoryKeyring) -> None:
    assert run(capsys, *ADD, "--db-url", "postgresql://alice:pw-old-5@db.example/easymo")[0] == 0
    code, out, err = run(capsys, "--profile", "team", "profile", "show")
    assert "profile edit team --password-to-keyring" in out and "pw-old-5" not in out
    code, out, err = run(capsys, "profile", "edit", "team", "--password-to-keyring")
    assert code == 0, err
    store = ProfileStore()
    assert store.get("team").db_url == "postgresql://alice@db.example/easymo"
    assert "pw-old-5" not in store.path.read_text()
    assert memory_keyring.store[(SERVICE, "team:db-password")] == "pw-old-5"
    code, out, err = run(capsys, "profile", "edit", "team", "--db-url",
                         "postgresql://bob:pw-new-6@db2.example/easymo")
    assert code == 0 and "warning: the database URL carries a password" in err
    assert "pw-new-6" not in out + err
