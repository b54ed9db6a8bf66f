"""What the database lets this login do, said in words a user acts on."""

from easymo_core.permissions.identity import (
    SQLITE_LINE,
    describe_access,
    read_access,
    read_only_reason,
    refuse_console,
)
from easymo_core.permissions.refusal import ADMIN_HINT, is_refusal, refused, refusing

__all__ = ["ADMIN_HINT", "SQLITE_LINE", "describe_access", "is_refusal", "read_access", "read_only_reason",
           "refuse_console", "refused", "refusing"]
