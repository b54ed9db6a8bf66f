"""Recording changes to configuration (profiles, secrets) into the profile's database.

Those commands change files and the keyring, not the database; the entry goes to the
profile's database when it is reachable and at the current schema. When it is not (a new
profile whose database is not created yet, a server down), the change still stands and the
caller says that it was not recorded: a missing audit row must not undo a profile edit.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import exc

from easymo_core.audit.record import record
from easymo_core.config.profile import Profile
from easymo_core.errors import EasymoError
from easymo_core.storage import migrate
from easymo_core.storage.engine import sqlite_file
from easymo_core.storage.open import open_database

log = logging.getLogger(__name__)


def record_for_profile(
    profile: Profile, *, action: str, target: str = "", detail: dict[str, Any] | None = None
) -> str | None:
    """Record ``action`` in ``profile``'s database; None when recorded, else why not."""
    if not profile.db_url:
        return f"profile {profile.name!r} has no database"
    file = sqlite_file(profile.db_url)
    if file is not None and file != ":memory:" and not Path(file).expanduser().exists():
        # Opening it would create an empty file where the user has not asked for one.
        return f"the database of profile {profile.name!r} does not exist yet"
    try:
        db = open_database(profile, check_schema=False)
    except EasymoError as err:
        return err.one_line()
    try:
        status = migrate.status(db)
        if status.state != "current":
            return status.describe()
        db.transaction(lambda conn: record(
            conn, action=action, target=target, detail=detail, profile=profile.name,
            waba_id=profile.waba_id,
        ))
    except EasymoError as err:
        return err.one_line()
    except exc.DBAPIError as err:
        log.info("audit entry not recorded", exc_info=True)
        return str(getattr(err, "orig", None) or err).splitlines()[0]
    finally:
        db.dispose()
    return None


def record_profile_saved(profile: Profile, *, existed: bool, secrets: list[str]) -> str | None:
    """A profile saved (added, or edited when it ``existed``) with the secrets named set
    along with it, as the console's Settings page does; None when recorded, else why not."""
    problem = record_for_profile(profile, action="profile.edit" if existed else "profile.add",
                                 target=profile.name, detail=_described(profile))
    for kind in secrets if problem is None else []:
        problem = record_for_profile(profile, action="secret.set", target=profile.name,
                                     detail={"secret": kind})
    return problem


def record_profile_removed(profile: Profile) -> str | None:
    """A profile and its secrets removed; None when recorded, else why not."""
    problem = record_for_profile(profile, action="profile.remove", target=profile.name)
    if problem is None:
        problem = record_for_profile(profile, action="secret.delete", target=profile.name,
                                     detail={"secrets": ["token", "app-secret"]})
    return problem


def _described(profile: Profile) -> dict[str, Any]:
    """What identifies a profile, without its URL (which may carry a login's password)."""
    return {"phone_number_id": profile.phone_number_id, "waba_id": profile.waba_id,
            "graph_url": profile.graph_url}
