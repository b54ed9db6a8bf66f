"""Access tokens and app secrets: OS keyring, or environment variables on servers."""

from easymo_core.secrets.store import SecretKind, delete_secrets, get_secret, has_secret, set_secret

__all__ = ["SecretKind", "delete_secrets", "get_secret", "has_secret", "set_secret"]
