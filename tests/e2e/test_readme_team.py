"""The README's "A shared database for a team", run as written against the test PostgreSQL:
the owner's block (schema, roles, three logins, a backup), then a person's block on another
"machine" (a profile naming alice's login, her password into the keyring, her figures and
the audit log), each in a shell with `easymo` on the PATH.

Filled in as a reader would: the server's address and database (db.internal/easymo becomes
the test server and a fresh database), the passwords in the environment, and a keyring kept
in a file (this machine has no OS keyring). The logins alice, bob and receiver are the
README's: they are cluster-wide, so any left from an earlier run are dropped first and all
of them at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import _create_pg_database, _drop_pg_database
from tests.login.pg_logins import drop_login

ROOT = Path(__file__).resolve().parents[2]
LOGINS = ("alice", "bob", "receiver")
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def team_blocks(readme: str) -> list[str]:
    """The bash blocks of the team section, in order."""
    section = readme.split("## A shared database for a team", 1)[1].split("\n## ", 1)[0]
    return [part.split("```", 1)[0] for part in section.split("```bash\n")[1:]]


def _drop_logins() -> None:
    for login in LOGINS:
        drop_login(login)


@pytest.fixture
def database() -> Iterator[str]:
    _drop_logins()
    url = _create_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(url)
        _drop_logins()


def _run(block: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_readme_team_section_runs_as_written(database: str, tmp_path: Path) -> None:
    owner_block, person_block = team_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    url = make_url(database)
    server = f"{url.host}:{url.port}/{url.database}"
    owner_url = f"postgresql://{url.username}@{server}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("EASYMO_")}
    base.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{base['PATH']}",
        PYTHONPATH=str(ROOT), PYTHON_KEYRING_BACKEND="tests.e2e.file_keyring.FileKeyring",
        OWNER_PASSWORD="", ALICE_PASSWORD="alice-pw-1", BOB_PASSWORD="bob-pw-2", HOOK_PASSWORD="hook-pw-3",
    )

    owner_dir = tmp_path / "server"
    owner_dir.mkdir()
    owner_env = dict(base, EASYMO_CONFIG_DIR=str(owner_dir / "config"), EASYMO_DATA_DIR=str(owner_dir / "data"),
                     EASYMO_TEST_KEYRING_FILE=str(owner_dir / "keyring.json"))
    out = _run(owner_block.replace("postgresql://easymo@db.internal/easymo", owner_url), owner_env, owner_dir)
    listed = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] and line.split()[0] in LOGINS}
    assert set(listed) == set(LOGINS), out
    assert "viewer" in listed["bob"] and "9876543210" in listed["bob"]
    assert (owner_dir / "easymo.dump").stat().st_size > 0

    alice_dir = tmp_path / "alice"
    alice_dir.mkdir()
    alice_env = dict(base, EASYMO_CONFIG_DIR=str(alice_dir / "config"), EASYMO_DATA_DIR=str(alice_dir / "data"),
                     EASYMO_TEST_KEYRING_FILE=str(alice_dir / "keyring.json"))
    out = _run(person_block.replace("@db.internal/easymo", f"@{server}"), alice_env, alice_dir)
    assert "alice-pw-1" not in (alice_dir / "config").joinpath("profiles.toml").read_text(encoding="utf-8")
    assert "secret.set" in out, out  # her password's entry (its name), seen through her own login
