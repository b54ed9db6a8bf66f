"""Open a profile's database, checked against the code's schema version."""

from __future__ import annotations

from easymo_core.config.profile import Profile
from easymo_core.errors import ConfigError
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database


def login_password(profile: Profile) -> str | None:
    """The keyring's (or EASYMO_DB_PASSWORD's) password for the login a PostgreSQL URL names
    without one; None for SQLite, a URL that still carries its password, or none stored."""
    from sqlalchemy.engine import make_url

    from easymo_core.secrets import db_password

    try:
        url = make_url(profile.db_url)
    except Exception:
        return None  # Database() explains a malformed URL
    if url.get_backend_name() != "postgresql" or not url.username or url.password:
        return None
    return db_password(profile)


def open_database(profile: Profile, *, check_schema: bool = True) -> Database:
    """The database of ``profile``; the sandbox's is created and upgraded on first use."""
    if not profile.db_url:
        raise ConfigError(
            f"profile {profile.name!r} has no database URL",
            hint=f"run `easymo profile add {profile.name} --db-url URL` or set EASYMO_DB_URL",
        )
    db = Database(profile.db_url, password=login_password(profile))
    if check_schema:
        try:
            own = {profile.phone_number_id: profile.waba_id} if profile.waba_id else {}
            migrate.ensure_current(db, auto_upgrade=profile.is_sandbox, accounts=own)
        except BaseException:
            db.dispose()
            raise
    return db
