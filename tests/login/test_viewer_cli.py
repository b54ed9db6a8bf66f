"""The CLI with a person's own login: a viewer made with `easymo db user add` signs in with
the keyring's password, reads, and is refused writes in one line ("your role viewer cannot
send messages"), before anything reaches Meta."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.permissions import ADMIN_HINT
from tests.conftest import MemoryKeyring
from tests.login.real_logins import WABA, cli_login, easymo, team_profile

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
SEND = ["--profile", "team", "send", "text", "--to", "+15550100002", "--body", "hello"]


def test_viewer_send_is_refused_in_one_line(db_url: str, memory_keyring: MemoryKeyring,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with cli_login(monkeypatch, db_url, "viewer") as viewer:
        team_profile(viewer)
        capsys.readouterr()
        code = run_guarded(cli, SEND)
        out, err = capsys.readouterr()
        assert code == 1
        assert err == f"error: your role viewer cannot send messages — {ADMIN_HINT}\n"
        assert viewer.password not in out + err
        # Reading is the viewer's right.
        assert easymo(monkeypatch, "--profile", "team", "messages", "list") == 0


def test_viewer_refused_through_the_entry_point(db_url: str, memory_keyring: MemoryKeyring,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with cli_login(monkeypatch, db_url, "viewer") as viewer:
        team_profile(viewer, keyring_password=False)
        env = {**os.environ, "EASYMO_DB_PASSWORD": viewer.password,
               "EASYMO_ACCESS_TOKEN": "EAAnot0issued0by0meta000000"}
        proc = subprocess.run([sys.executable, "-m", "easymo_core.cli.main", *SEND],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 1
        assert proc.stderr == f"error: your role viewer cannot send messages — {ADMIN_HINT}\n"
        proc = subprocess.run([sys.executable, "-m", "easymo_core.cli.main", "--profile", "team",
                               "templates", "delete", "hello_world", "--yes"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 1
        assert proc.stderr.startswith("error: your role viewer cannot delete templates — ")


def test_wrong_password_is_one_line(db_url: str, memory_keyring: MemoryKeyring,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from easymo_core.secrets import set_secret

    with cli_login(monkeypatch, db_url, "viewer") as viewer:
        team_profile(viewer)
        set_secret("team", "db-password", "not-" + viewer.password)
        capsys.readouterr()
        code = run_guarded(cli, ["--profile", "team", "messages", "list"])
        _, err = capsys.readouterr()
        assert code == 1
        assert err == (f"error: the database refused the password for login {viewer.name} — "
                       "run `easymo secrets set db-password`\n")


def test_admin_of_another_account_is_refused_by_row_level_security(
    db_url: str, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An admin may write, but only its accounts' rows: a send from a profile of another
    account meets the row-level security policy mid-write, and says so in the same words."""
    with cli_login(monkeypatch, db_url, "admin", wabas=(WABA,)) as admin:
        team_profile(admin, waba="888000222")
        capsys.readouterr()
        code = run_guarded(cli, SEND)
        _, err = capsys.readouterr()
        assert code == 1
        # (the processor's bookkeeping may log a warning first; the error is the last line)
        assert err.splitlines()[-1] == f"error: your role admin cannot send messages — {ADMIN_HINT}"
        assert "Traceback" not in err
