"""The base of every error a user can cause.

Each error carries a one-line message and a hint naming what to do. The CLI prints
``message`` (and ``hint``) and exits 1; the console shows them in a banner. Neither
ever shows a stack trace for an :class:`EasymoError`.
"""

from __future__ import annotations


class EasymoError(Exception):
    """An error the user can act on."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint

    def __str__(self) -> str:
        return self.one_line()

    def one_line(self) -> str:
        """The message and the hint as one line, for the CLI and status bars."""
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(EasymoError):
    """A profile, setting or environment variable is missing or invalid."""


class SecretsError(EasymoError):
    """The keyring cannot store or return a secret."""


class DatabaseError(EasymoError):
    """The database cannot be opened, is corrupt, read-only or of another version."""


class PermissionRefused(EasymoError):
    """The database refused an action to the login's role ("your role viewer cannot send
    messages"): a grant is missing, not a fault; running it again cannot help."""

    def __init__(self, role: str, action: str, *, login: str = "", hint: str = "") -> None:
        super().__init__(f"your role {role} cannot {action}", hint=hint)
        self.role, self.action, self.login = role, action, login
