"""Secrets live in the OS keyring, never in a file.

Where no usable keyring backend exists (a headless server), the error says so and names
the environment variables; it never falls back to a plain-text file. Every secret that is
read is registered with the log redactor before it is returned.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Literal

import keyring
import keyring.errors

from easymo_core.config import sandbox_defaults as sd
from easymo_core.config.profile import Profile
from easymo_core.config.resolve import SECRET_ENV
from easymo_core.errors import SecretsError
from easymo_core.logs.redact import register_secret

SecretKind = Literal["token", "app-secret", "db-password"]
SERVICE = "easymo-console"
KINDS: tuple[SecretKind, ...] = ("token", "app-secret", "db-password")
_LABEL = {"token": "access token", "app-secret": "app secret", "db-password": "database password"}
# Backends that either store nothing or store in plain text: never acceptable.
_REFUSED_BACKENDS = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


def _username(profile_name: str, kind: SecretKind) -> str:
    return f"{profile_name}:{kind}"


def _backend() -> keyring.backend.KeyringBackend:
    backend = keyring.get_keyring()
    chained = getattr(backend, "backends", None)
    candidates = list(chained) if chained is not None else [backend]
    usable = [b for b in candidates if not type(b).__module__.startswith(_REFUSED_BACKENDS)]
    if not usable:
        raise SecretsError(
            "no OS keyring is available on this machine (no Secret Service, KWallet, macOS "
            "Keychain or Windows Credential Locker)",
            hint="on a server set EASYMO_ACCESS_TOKEN, EASYMO_APP_SECRET and EASYMO_DB_PASSWORD "
            "in the environment",
        )
    return backend


def get_secret(profile: Profile, kind: SecretKind, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    from_env = env.get(SECRET_ENV[kind])
    if from_env:
        register_secret(from_env)
        return from_env
    if profile.is_sandbox and kind != "db-password":
        # Fixed, non-secret values of the local stand-in.
        return sd.SANDBOX_TOKEN if kind == "token" else sd.SANDBOX_APP_SECRET
    try:
        value = _backend().get_password(SERVICE, _username(profile.name, kind))
    except keyring.errors.KeyringError as exc:
        raise SecretsError(
            f"the OS keyring refused to read the {_LABEL[kind]} ({type(exc).__name__})",
            hint=f"unlock the keyring, or set {SECRET_ENV[kind]} in the environment",
        ) from None
    if not value:
        raise SecretsError(
            f"profile {profile.name!r} has no {_LABEL[kind]}",
            hint=f"run `easymo secrets set {kind} --profile {profile.name}` "
            f"or set {SECRET_ENV[kind]}",
        )
    register_secret(value)
    return value


def has_secret(profile: Profile, kind: SecretKind, env: Mapping[str, str] | None = None) -> bool:
    try:
        get_secret(profile, kind, env)
    except SecretsError:
        return False
    return True


def set_secret(profile_name: str, kind: SecretKind, value: str) -> None:
    value = value.strip()
    if not value:
        raise SecretsError(f"the {_LABEL[kind]} is empty; nothing was stored")
    register_secret(value)
    try:
        _backend().set_password(SERVICE, _username(profile_name, kind), value)
    except keyring.errors.KeyringError as exc:
        raise SecretsError(
            f"the OS keyring refused to store the {_LABEL[kind]} ({type(exc).__name__})",
            hint=f"unlock the keyring, or set {SECRET_ENV[kind]} in the environment",
        ) from None


def delete_secrets(profile_name: str) -> None:
    """Remove every secret of a profile; missing ones are fine."""
    backend = _backend()
    for kind in KINDS:
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            backend.delete_password(SERVICE, _username(profile_name, kind))


def db_password(profile: Profile, env: Mapping[str, str] | None = None) -> str | None:
    """The database password of ``profile``'s login (EASYMO_DB_PASSWORD, else the keyring), or
    None when neither holds one: a login the server trusts without a password (the owner on
    a local socket, say) needs none, and a missing one is the server's to refuse."""
    try:
        return get_secret(profile, "db-password", env)
    except SecretsError:
        return None
