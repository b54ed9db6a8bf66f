"""Who is signed in to this computer: the person behind a send (``messages.admin``) and an
audit entry (``audit_log.os_user``), beside the database login."""

from __future__ import annotations

import functools
import getpass

MAX_LENGTH = 64  # messages.admin and audit_log.os_user are String(64)


@functools.cache  # asked once per process: a send at 1,000 msg/s should not ask each time
def os_user() -> str | None:
    """The OS user name, or None where the system cannot tell (no USER/LOGNAME and no
    password-database entry, as in some containers): nothing fails for want of it."""
    try:
        name = getpass.getuser()
    except Exception:  # getpass raises OSError, KeyError or ImportError depending on the platform
        return None
    return name[:MAX_LENGTH] or None
