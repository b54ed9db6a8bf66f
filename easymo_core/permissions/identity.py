"""Who the console or CLI is on the database: the login, its role and its accounts, in a line.

Read once when a profile opens (on a worker: it is a query); the console shows it and turns
off what the role may not do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from easymo_core.errors import ConfigError

if TYPE_CHECKING:
    from easymo_core.roles.access import Access

SQLITE_LINE = "SQLite: single user, no roles"


def read_access(db: Any) -> Access:
    """The Access of ``db``'s login (a storage Database)."""
    from easymo_core.roles.access import current_access

    with db.engine.connect() as conn:
        return current_access(conn)


def describe_access(access: Access) -> str:
    """"alice · admin · accounts 123, 456"; on SQLite "SQLite: single user, no roles"."""
    if access.role == "single-user":
        return SQLITE_LINE
    if access.accounts is None:
        accounts = "all accounts"
    elif not access.accounts:
        accounts = "no account granted"
    else:
        accounts = ("account " if len(access.accounts) == 1 else "accounts ") + ", ".join(access.accounts)
    return f"{access.login} · {access.role} · {accounts}"


def read_only_reason(access: Access) -> str | None:
    """Why this login may change nothing ("your role viewer cannot write"), or None."""
    return None if access.may_write else f"your role {access.role} cannot write"


def refuse_console(access: Access) -> None:
    """Raise ConfigError for a login the console is not for: the webhook receiver's (it may
    store events but not read the messages an admin works with), or one in no easyMO role."""
    if access.role == "webhook":
        raise ConfigError(
            f"this login ({access.login}) is for the webhook receiver: it stores webhook events "
            "and may not read messages",
            hint="open the console with your own login (postgresql://YOU@HOST/DB in the profile's "
            "database URL, then `easymo secrets set db-password`)",
        )
    if access.role == "none":
        raise ConfigError(
            f"the database login {access.login} is in no easyMO role",
            hint="ask an easyMO admin (`easymo db user add LOGIN --role admin|viewer`)",
        )
