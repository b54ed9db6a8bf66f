"""Where easyMO keeps its files: the platform's user config and data directories.

EASYMO_CONFIG_DIR and EASYMO_DATA_DIR move them (servers, tests, portable installs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "easymo"


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    override = env.get("EASYMO_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    override = env.get("EASYMO_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def profiles_file(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / "profiles.toml"


def log_dir(env: Mapping[str, str] | None = None) -> Path:
    return data_dir(env) / "logs"
