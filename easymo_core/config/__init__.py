"""Profiles on disk, environment overrides and the built-in sandbox profile."""

from easymo_core.config.profile import SANDBOX, Profile
from easymo_core.config.resolve import resolve_profile
from easymo_core.config.store import ProfileStore, sandbox_profile

__all__ = ["SANDBOX", "Profile", "ProfileStore", "resolve_profile", "sandbox_profile"]
