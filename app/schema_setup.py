"""The start page's "Create the tables" for a real profile whose database is empty or behind.

The console opens a real profile's database without changing it (an admin decides when a
shared database's schema changes); this is the admin deciding, from the console, what
`easymo db upgrade` does. Both functions block on the database: call them from a worker.
"""

from __future__ import annotations

from easymo_core.config import Profile
from easymo_core.config.store import ProfileStore
from easymo_core.errors import DatabaseError
from easymo_core.storage import migrate
from easymo_core.storage.migrate import SchemaStatus
from easymo_core.storage.open import open_database

# What PostgreSQL, SQLite and MySQL-likes say when the login may not create tables.
_REFUSALS = ("permission denied", "must be owner", "readonly database", "read-only",
             "insufficient privilege", "access denied")


def schema_state(profile: Profile) -> SchemaStatus | None:
    """The database's schema state, or None when it cannot even be read (a wrong URL)."""
    try:
        db = open_database(profile, check_schema=False)
    except Exception:
        return None
    try:
        return migrate.status(db)
    except Exception:
        return None
    finally:
        db.dispose()


def create_tables(profile: Profile) -> SchemaStatus:
    """Bring the schema of ``profile``'s database to this easymo's version."""
    db = open_database(profile, check_schema=False)
    try:
        return migrate.upgrade(db, accounts=ProfileStore().accounts())
    except Exception as exc:
        text = str(exc).lower()
        if any(word in text for word in _REFUSALS):
            raise DatabaseError(
                f"the database login of profile {profile.name!r} may not create tables",
                hint="ask the database's owner to run `easymo db upgrade` once, or give this "
                     "profile a login that may create tables (Settings)",
            ) from None
        raise
    finally:
        db.dispose()
