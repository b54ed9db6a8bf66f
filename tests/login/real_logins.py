"""Logins made the way an operator makes them: `easymo db roles` then `easymo db user add`,
through the CLI, as the database owner; dropped at teardown (roles are cluster-wide)."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.config import Profile, ProfileStore
from easymo_core.secrets import set_secret
from tests.fake_secrets import fake_token
from tests.login.pg_logins import Login, drop_login, login_url, unique_login

WABA = "777000111"
PHONE = "100000000000777"


def easymo(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_guarded(cli, list(args))


@contextmanager
def cli_login(monkeypatch: pytest.MonkeyPatch, owner_url: str, role: str,
              wabas: tuple[str, ...] = (WABA,)) -> Iterator[Login]:
    """A login of ``role`` made with `easymo db user add ... --password-stdin`."""
    name, password = unique_login(role[:4]), secrets.token_urlsafe(12)
    assert easymo(monkeypatch, "--db-url", owner_url, "db", "roles") == 0
    waba_args = [a for w in wabas for a in ("--waba", w)]
    code = easymo(monkeypatch, "--db-url", owner_url, "db", "user", "add", name, "--role", role,
                  *waba_args, "--password-stdin", stdin=password + "\n")
    assert code == 0
    try:
        yield Login(name, password, login_url(owner_url, name))
    finally:
        drop_login(name)


def team_profile(login: Login, *, graph_url: str = "http://127.0.0.1:9", waba: str = WABA,
                 keyring_password: bool = True) -> Profile:
    """A real profile "team" on ``login`` (URL without password; the password and a token in
    the memory keyring). Its Graph URL is a closed local port: nothing can reach Meta."""
    profile = Profile(name="team", graph_url=graph_url, phone_number_id=PHONE, waba_id=waba,
                      db_url=login.db_url)
    ProfileStore().save(profile)
    set_secret("team", "token", fake_token("teamtoken"))
    if keyring_password:
        set_secret("team", "db-password", login.password)
    return profile
