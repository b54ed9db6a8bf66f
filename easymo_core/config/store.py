"""Profiles on disk: one TOML file in the user config directory.

The built-in sandbox profile is never written there unless the user customises it; it
exists on a fresh machine with no set-up at all.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from easymo_core.config import paths
from easymo_core.config import sandbox_defaults as sd
from easymo_core.config.profile import SANDBOX, Profile
from easymo_core.errors import ConfigError
from easymo_core.private_files import private_dir


def sandbox_profile(env: Mapping[str, str] | None = None) -> Profile:
    """The zero-configuration profile: local SQLite, local Cloud API stand-in."""
    db_path = paths.data_dir(env) / "sandbox.db"
    return Profile(
        name=SANDBOX,
        kind="sandbox",
        graph_url=f"http://{sd.SANDBOX_HOST}:{sd.SANDBOX_PORT}",
        graph_version=sd.SANDBOX_GRAPH_VERSION,
        phone_number_id=sd.SANDBOX_PHONE_NUMBER_ID,
        waba_id=sd.SANDBOX_WABA_ID,
        app_id=sd.SANDBOX_APP_ID,
        db_url=f"sqlite:///{db_path}",
        verify_token=sd.SANDBOX_VERIFY_TOKEN,
    )


class ProfileStore:
    """Reads and writes profiles.toml; every write is atomic (temp file + rename)."""

    def __init__(self, path: Path | None = None, env: Mapping[str, str] | None = None) -> None:
        self.env = os.environ if env is None else env
        self.path = path or paths.profiles_file(self.env)

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            with self.path.open("rb") as fh:
                return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{self.path} is not valid TOML ({exc})",
                hint="fix or remove that file; nothing was changed",
            ) from None
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror}") from None

    def _write(self, data: dict[str, Any]) -> None:
        private_dir(self.path.parent)
        # mkstemp creates the file 0600, and the rename keeps that.
        fd, tmp = tempfile.mkstemp(prefix=".profiles.", suffix=".toml", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                tomli_w.dump(data, fh)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def names(self) -> list[str]:
        stored = sorted(self._read().get("profiles", {}))
        return [SANDBOX, *[n for n in stored if n != SANDBOX]]

    def number_names(self) -> dict[str, str]:
        """Profile name by phone-number id, for menus that list numbers (a profile that no
        longer reads is left out: the menu then shows its bare id)."""
        names: dict[str, str] = {}
        try:
            profiles = self.names()
        except ConfigError:
            return names  # a corrupt file is reported where profiles are edited, not here
        for name in profiles:
            try:
                number = self.get(name).phone_number_id
            except ConfigError:
                continue
            if number:
                names.setdefault(number, name)
        return names

    def accounts(self) -> dict[str, str]:
        """WhatsApp Business Account id by phone-number id, of every real local profile that
        names both (schema migration 0011 attributes existing rows with it). Not the
        sandbox's made-up account: in a shared database it would be a second account, and
        the migration gives unattributed rows to the only account only when there is one."""
        pairs: dict[str, str] = {}
        for name in self.names():
            try:
                profile = self.get(name)
            except ConfigError:
                continue
            if not profile.is_sandbox and profile.phone_number_id and profile.waba_id:
                pairs.setdefault(profile.phone_number_id, profile.waba_id)
        return pairs

    def active_name(self) -> str:
        return str(self._read().get("active", SANDBOX))

    def get(self, name: str) -> Profile:
        data = self._read()
        stored = data.get("profiles", {})
        if name == SANDBOX:
            base = sandbox_profile(self.env)
            custom = stored.get(SANDBOX)
            if custom:
                merged = base.to_toml_dict() | custom
                return Profile.from_toml_dict(SANDBOX, merged)
            return base
        if name not in stored:
            known = ", ".join(self.names())
            raise ConfigError(
                f"unknown profile {name!r}",
                hint=f"known profiles: {known}; add one with `easymo profile add {name}`",
            )
        return Profile.from_toml_dict(name, stored[name])

    def all(self) -> list[Profile]:
        return [self.get(n) for n in self.names()]

    def save(self, profile: Profile) -> None:
        profile.validate()
        data = self._read()
        data.setdefault("profiles", {})[profile.name] = profile.to_toml_dict()
        self._write(data)

    def remove(self, name: str) -> None:
        if name == SANDBOX:
            raise ConfigError("the sandbox profile is built in and cannot be removed")
        data = self._read()
        if name not in data.get("profiles", {}):
            raise ConfigError(f"unknown profile {name!r}", hint="see `easymo profile list`")
        del data["profiles"][name]
        if data.get("active") == name:
            data["active"] = SANDBOX
        self._write(data)

    def use(self, name: str) -> None:
        self.get(name)  # refuse unknown names before writing anything
        data = self._read()
        data["active"] = name
        self._write(data)
