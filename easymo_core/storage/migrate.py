"""Schema versions: upgrade, downgrade, and the check every command runs before it works.

A database newer than the code is refused (an older easymo must not write into a schema
it does not know); an older one is upgraded only on request, except for the sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import exc

from easymo_core.errors import DatabaseError
from easymo_core.storage.engine import Database, explain_operational_error

MIGRATIONS = Path(__file__).with_name("migrations")

State = Literal["empty", "behind", "current", "ahead"]


@dataclass(frozen=True)
class SchemaStatus:
    state: State
    current: str | None
    head: str

    def describe(self) -> str:
        return {
            "empty": f"empty database (no schema); code is at {self.head}",
            "behind": f"database at {self.current}, code at {self.head}: run `easymo db upgrade`",
            "current": f"database is up to date at {self.head}",
            "ahead": f"database at {self.current} is newer than this easymo ({self.head})",
        }[self.state]


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def status(db: Database) -> SchemaStatus:
    script = ScriptDirectory.from_config(_config())
    head = head_revision()
    db.ping()
    try:
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except (exc.OperationalError, exc.DatabaseError) as err:
        raise explain_operational_error(err, db.url) from None
    if current is None:
        return SchemaStatus("empty", None, head)
    if current == head:
        return SchemaStatus("current", current, head)
    try:
        script.get_revision(current)
    except Exception:
        return SchemaStatus("ahead", current, head)
    return SchemaStatus("behind", current, head)


# config.attributes key of the {phone_number_id: waba_id} mapping migration 0011 attributes
# existing rows with (the profiles know it, the database did not).
WABA_BY_PHONE_NUMBER = "waba_by_phone_number"


def _run(db: Database, fn: str, target: str, accounts: Mapping[str, str] | None = None) -> None:
    cfg = _config()
    cfg.attributes[WABA_BY_PHONE_NUMBER] = dict(accounts or {})
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, fn)(cfg, target)
    except (exc.OperationalError, exc.DatabaseError) as err:
        raise explain_operational_error(err, db.url) from None


def upgrade(db: Database, target: str = "head", accounts: Mapping[str, str] | None = None) -> SchemaStatus:
    """``accounts``: {phone_number_id: waba_id} of every local profile, which migration 0011
    needs to tell which account existing rows belong to."""
    before = status(db)
    if before.state == "ahead":
        raise DatabaseError(
            before.describe(),
            hint="upgrade easymo (pip install -U easymo-console); nothing was changed",
        )
    _run(db, "upgrade", target, accounts)
    return status(db)


def downgrade(db: Database, target: str) -> SchemaStatus:
    _run(db, "downgrade", target)
    return status(db)


def ensure_current(
    db: Database, *, auto_upgrade: bool = False, accounts: Mapping[str, str] | None = None
) -> None:
    """Refuse to work on a database of another schema version (upgrade the sandbox's)."""
    st = status(db)
    if st.state == "current":
        return
    if st.state == "ahead":
        raise DatabaseError(st.describe(), hint="upgrade easymo; nothing was changed")
    if auto_upgrade:
        upgrade(db, accounts=accounts)
        return
    raise DatabaseError(
        st.describe() if st.state == "behind" else "the database has no easymo schema yet",
        hint="run `easymo db upgrade`",
    )
