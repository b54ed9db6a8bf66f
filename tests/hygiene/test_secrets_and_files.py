"""Secrets hygiene: nothing readable by other accounts, no password or short secret printed,
no bearer token sent in clear (issue 17)."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from pathlib import Path

import pytest

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.config import Profile, ProfileStore
from easymo_core.errors import ConfigError
from easymo_core.logs import redact, register_secret, setup_logging
from easymo_core.logs.crash import enable_crash_log
from easymo_core.storage.engine import Database
from tests.conftest import MemoryKeyring

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_profile_show_and_list_never_print_the_database_password(
        capsys: pytest.CaptureFixture[str], memory_keyring: MemoryKeyring) -> None:
    ProfileStore().save(Profile(name="prod", phone_number_id="1", waba_id="2",
                                db_url="postgresql://alice:hunter2pw@db.example:5432/easymo"))
    assert run_guarded(cli, ["profile", "show", "prod", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert "hunter2pw" not in json.dumps(shown)
    assert shown["db_url"] == "postgresql://alice:***@db.example:5432/easymo"
    assert run_guarded(cli, ["profile", "show", "prod"]) == 0
    assert "hunter2pw" not in capsys.readouterr().out
    assert run_guarded(cli, ["profile", "list", "--json"]) == 0
    assert "hunter2pw" not in capsys.readouterr().out


def test_short_secrets_are_redacted_too() -> None:
    register_secret("k9z")
    assert "k9z" not in redact("the app secret k9z was refused")
    assert redact("token=ab1 and secret: q") == "token=[REDACTED] and secret: [REDACTED]"


def test_a_real_profile_refuses_a_plain_http_graph_url_except_on_this_machine() -> None:
    with pytest.raises(ConfigError, match="unencrypted") as err:
        Profile(name="prod", graph_url="http://graph.example.com").validate()
    assert "https://" in (err.value.hint or "")
    for loopback in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        Profile(name="prod", graph_url=loopback).validate()
    Profile(name="prod", graph_url="https://graph.facebook.com").validate()
    Profile(name="sb", kind="sandbox", graph_url="http://127.0.0.1:8765").validate()


@posix_only
def test_profiles_database_logs_and_crash_log_are_readable_by_the_user_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = ProfileStore(path=tmp_path / "cfg" / "profiles.toml")
        store.save(Profile(name="prod", phone_number_id="1", waba_id="2"))
        assert _mode(store.path) == 0o600 and _mode(store.path.parent) == 0o700
        db_file = tmp_path / "data" / "easymo.db"
        db = Database(f"sqlite:///{db_file}")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        wal = db_file.with_name(db_file.name + "-wal")
        assert _mode(db_file) == 0o600 and (not wal.exists() or _mode(wal) == 0o600)
        db.dispose()
        log_file = tmp_path / "logs" / "console.log"
        setup_logging(log_file=log_file)
        logging.getLogger("easymo.test").warning("hello")
        assert _mode(log_file) == 0o600 and _mode(log_file.parent) == 0o700
        setup_logging()
    finally:
        os.umask(old)


@posix_only
def test_the_crash_log_is_created_user_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import faulthandler

    if faulthandler.is_enabled():
        monkeypatch.setattr(faulthandler, "is_enabled", lambda: False)
    monkeypatch.setattr(faulthandler, "enable", lambda **_kw: None)
    path = enable_crash_log(tmp_path / "logs" / "crash.log", "test")
    assert path is not None and _mode(path) == 0o600
