"""Access tokens, app secrets and database passwords: OS keyring, or environment variables
on servers."""

from easymo_core.secrets.store import (
    KINDS,
    SecretKind,
    db_password,
    delete_secrets,
    get_secret,
    has_secret,
    set_secret,
)

__all__ = ["KINDS", "SecretKind", "db_password", "delete_secrets", "get_secret", "has_secret", "set_secret"]
