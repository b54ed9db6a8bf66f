"""Which profile is in force, after command-line options and environment variables.

Precedence: command-line option > EASYMO_* environment variable > profiles.toml > built-in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from easymo_core.config.profile import Profile
from easymo_core.config.store import ProfileStore

# Environment variables that override a profile's settings (servers and scripts).
ENV_FIELDS: dict[str, str] = {
    "EASYMO_DB_URL": "db_url",
    "EASYMO_GRAPH_URL": "graph_url",
    "EASYMO_GRAPH_VERSION": "graph_version",
    "EASYMO_PHONE_NUMBER_ID": "phone_number_id",
    "EASYMO_WABA_ID": "waba_id",
    "EASYMO_APP_ID": "app_id",
    "EASYMO_VERIFY_TOKEN": "verify_token",
}
SECRET_ENV = {"token": "EASYMO_ACCESS_TOKEN", "app-secret": "EASYMO_APP_SECRET",
              "db-password": "EASYMO_DB_PASSWORD"}


def resolve_profile(
    name: str | None = None,
    *,
    db_url: str | None = None,
    env: Mapping[str, str] | None = None,
    store: ProfileStore | None = None,
) -> Profile:
    env = os.environ if env is None else env
    store = store or ProfileStore(env=env)
    chosen = name or env.get("EASYMO_PROFILE") or store.active_name()
    profile = store.get(chosen)
    overrides = {field: env[var] for var, field in ENV_FIELDS.items() if env.get(var)}
    if db_url:
        overrides["db_url"] = db_url
    if overrides:
        profile = profile.with_overrides(**overrides)
        profile.validate()
    return profile
