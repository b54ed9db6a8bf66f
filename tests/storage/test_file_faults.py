"""A corrupt or read-only SQLite file: one line naming the file and a way out, in the CLI and
the console alike, and the file left as it was (issue 16's fault suite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.errors import describe
from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run_guarded(cli, list(args))
    return code, capsys.readouterr().err


def _current_db(path: Path) -> None:
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()


def test_a_send_to_a_read_only_database_names_the_file(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    _current_db(path)
    before = path.read_bytes()
    url = f"sqlite:///file:{path}?mode=ro&uri=true"  # read-only even for root
    code, err = _run(capsys, "--db-url", url, "send", "text", "--to", "+15550001111", "--body", "hi")
    assert code == 1 and err.count("\n") == 1, err
    assert f"the database file {path} is read-only" in err and "writable" in err
    assert "run the same command again" not in err and "Traceback" not in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("args", [("messages", "list"),
                                  ("send", "text", "--to", "+15550001111", "--body", "hi")])
def test_a_corrupt_database_names_the_file_and_is_left_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    path = tmp_path / "easymo.db"
    garbage = b"\x13\x37 not SQLite at all " * 500
    path.write_bytes(garbage)
    code, err = _run(capsys, "--db-url", f"sqlite:///{path}", *args)
    assert code == 1 and err.count("\n") == 1, err
    assert f"the database file {path} is corrupt" in err and "backup" in err and "move it aside" in err
    assert path.read_bytes() == garbage
    # No journal or WAL beside it either.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("easymo.db")) == ["easymo.db"]


def test_the_console_tells_a_read_only_database_as_the_cli_does(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    _current_db(path)
    ro = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with pytest.raises(Exception) as caught:
            ro.transaction(lambda conn: conn.execute(text("DELETE FROM messages")))
    finally:
        ro.dispose()
    message, hint = describe(caught.value)
    assert message.startswith(f"the database file {path} is read-only") and "writable" in hint
    with pytest.raises(Exception) as caught, ro.session() as s:
        s.execute(text("DELETE FROM contacts"))
    assert describe(caught.value)[0].startswith(f"the database file {path} is read-only")
