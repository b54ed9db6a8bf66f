"""A profile's database URL names the login; its password lives in the keyring.

``postgresql://alice@db.example/easymo`` is what a profile stores; the engine gets the
password from the keyring (or EASYMO_DB_PASSWORD) at connect time. A URL that still carries
``alice:secret@`` keeps working, and these helpers move the password out of it.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


def inline_password(db_url: str) -> str | None:
    """The password written into ``db_url``, or None."""
    try:
        password = make_url(db_url).password
    except ArgumentError:
        return None
    return str(password) if password else None


def without_password(db_url: str) -> str:
    """``db_url`` with its inline password taken out (the login name stays)."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return db_url
    if not url.password:
        return db_url
    bare = URL.create(url.drivername, username=url.username, password=None, host=url.host,
                      port=url.port, database=url.database, query=url.query)
    return bare.render_as_string(hide_password=False)


def with_password(db_url: str, password: str) -> str:
    """``db_url`` carrying ``password`` (Settings puts a stored password back behind its mask
    before moving it to the keyring)."""
    return make_url(db_url).set(password=password).render_as_string(hide_password=False)


def login_name(db_url: str) -> str:
    """The PostgreSQL login a URL names ("" for SQLite or none)."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return ""
    return url.username or "" if url.get_backend_name() == "postgresql" else ""
