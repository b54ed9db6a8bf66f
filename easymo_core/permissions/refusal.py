"""The one place a database refusal becomes "your role viewer cannot send messages".

PostgreSQL refuses an action the login's role has no grant for ("permission denied for
table messages", SQLSTATE 42501, psycopg's InsufficientPrivilege, which SQLAlchemy wraps in
a ProgrammingError) and a row that row-level security keeps out ("new row violates
row-level security policy", also 42501). The caller names the action in plain words; the
role comes from the login's Access, read on a fresh connection (the refused transaction
is gone).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from easymo_core.errors import PermissionRefused
from easymo_core.permissions.identity import read_access

if TYPE_CHECKING:
    from easymo_core.roles.access import Access

log = logging.getLogger(__name__)

INSUFFICIENT_PRIVILEGE = "42501"
ADMIN_HINT = "ask an easyMO admin (`easymo db user add ... --role admin`)"
_WORDS = ("permission denied", "row-level security policy", "insufficient privilege")


def is_refusal(err: BaseException) -> bool:
    """True when ``err`` (or the driver error it wraps or was raised from) is the database
    refusing this login an action, not a fault."""
    seen: set[int] = set()
    todo: list[Any] = [err]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if getattr(e, "sqlstate", None) == INSUFFICIENT_PRIVILEGE or \
                getattr(e, "pgcode", None) == INSUFFICIENT_PRIVILEGE:
            return True
        if type(e).__name__ == "InsufficientPrivilege":
            return True
        orig = getattr(e, "orig", None)
        if orig is not None:
            todo.append(orig)
            if any(w in str(orig).lower() for w in _WORDS):
                return True
        todo.extend((e.__cause__, e.__context__))
    return False


def refused(action: str, db: Any | None, access: Access | None = None) -> PermissionRefused:
    """The refusal of ``action`` (plain words: "send messages") to the login of ``access``, or
    of ``db`` (a storage Database, read now) when the caller has no Access at hand."""
    role, login = (access.role, access.login) if access is not None else _role_of(db)
    return PermissionRefused(role, action, login=login, hint=ADMIN_HINT)


@contextmanager
def refusing(action: str, db: Any | None, *, access: Access | None = None,
             also: tuple[str, ...] = ()) -> Iterator[None]:
    """Run the block if the login may write at all; a database refusal inside it (row-level
    security keeping out another account's row, a grant missing) becomes a PermissionRefused
    for ``action``. ``access``: the login's, read before (the console reads it once);
    without it the login's role is read from ``db`` first. ``also``: roles that may not write
    in general but may do this (the webhook login re-ingests its own dead letters)."""
    try:
        if access is not None:
            if not access.may_write and access.role not in also:
                raise refused(action, db, access)
        elif db is not None:
            require_write(action, db, also)
        yield
    except PermissionRefused:
        raise
    except Exception as err:
        if not is_refusal(err):
            raise
        log.info("database refused %s", action, exc_info=True)  # the driver's words, to the log
        raise refused(action, db, access) from None


def require_write(action: str, db: Any, also: tuple[str, ...] = ()) -> None:
    """Refuse ``action`` up front when the login's role may not write at all (a viewer, the
    webhook login): before a template reaches Meta or a file is uploaded, not after."""
    access = read_access(db)
    if not access.may_write and access.role not in also:
        raise refused(action, db, access)


def _role_of(db: Any | None) -> tuple[str, str]:
    if db is None:
        return "(unknown)", ""
    try:
        access = read_access(db)
    except Exception:
        log.info("could not read the login's role after a refusal", exc_info=True)
        return "(unknown)", ""
    return access.role, access.login
