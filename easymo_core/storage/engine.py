"""Opening the database: URL checks, SQLite pragmas, and errors a user can act on."""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from easymo_core.errors import DatabaseError
from easymo_core.logs.redact import register_secret
from easymo_core.private_files import ensure_private_file

SQLITE_BUSY_TIMEOUT_MS = 10_000
# PostgreSQL's "deadlock detected" and "could not serialize": the transaction was rolled
# back whole and may simply run again.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
TRANSACTION_ATTEMPTS = 5

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_transient(err: BaseException) -> bool:
    """True for a failure that running the same transaction again can cure."""
    orig = getattr(err, "orig", None)
    return isinstance(err, exc.DBAPIError) and getattr(orig, "sqlstate", None) in TRANSIENT_SQLSTATES


def parse_url(url: str) -> URL:
    """Validate a database URL and pick the driver; raise DatabaseError on a bad one."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise DatabaseError(
            f"malformed database URL {safe_url(url)!r}",
            hint="use sqlite:///PATH or postgresql://USER@HOST:PORT/DBNAME",
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        if not parsed.database:
            raise DatabaseError(f"database URL {safe_url(url)!r} names no database")
    elif backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            return parsed
    else:
        raise DatabaseError(
            f"unsupported database {backend!r} in {safe_url(url)!r}",
            hint="easymo runs on SQLite and PostgreSQL",
        )
    return parsed


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (also ``sqlite:///file:PATH?mode=ro&uri=true``), or None."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        return None
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    path = parsed.database
    return path[5:] if path.startswith("file:") else path


# Errors that a retry cannot cure and a user must fix: the file itself.
_FILE_PROBLEMS = ("file is not a database", "malformed", "readonly", "read-only", "unable to open database")


def file_problem(err: BaseException) -> DatabaseError | None:
    """The explained error for a driver error about the database file (corrupt, read-only,
    cannot be opened), naming the file; None for any other error. Database.session and
    Database.transaction tag their errors with the URL this needs."""
    url = getattr(err, "easymo_db_url", None)
    low = str(getattr(err, "orig", err)).lower()
    if url is None or not any(p in low for p in _FILE_PROBLEMS):
        return None
    return explain_operational_error(err, url)


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        # WAL lets the receiver write while consoles read; NORMAL sync is safe under WAL.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.OperationalError:
        pass  # read-only files cannot switch journal mode; reads still work
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


def create_db_engine(url: str, *, password: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` with this project's settings; nothing is connected yet.

    ``password`` (PostgreSQL) goes to the driver at connect time, not into the URL: the URL is
    shown in messages and the engine's repr, the password never is."""
    parsed = parse_url(url)
    if parsed.password:
        register_secret(str(parsed.password))  # an inline password: redacted from every log line
    if parsed.get_backend_name() == "sqlite":
        # A URI filename (file:...?mode=ro) names an existing file; creating its
        # "parent" would make a stray "file:" folder in the working directory.
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            # SQLite gives its -wal and -shm files the database file's permissions.
            ensure_private_file(Path(parsed.database).expanduser())
        kwargs.setdefault(
            "connect_args", {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 5, "application_name": "easymo"})
    if password and not parsed.password:
        register_secret(password)
        kwargs["connect_args"] = {**kwargs["connect_args"], "password": password}
    return create_engine(parsed, **kwargs)


def explain_operational_error(err: BaseException, url: str) -> DatabaseError:
    """Turn a driver error into one line that says what to do."""
    text_ = (
        str(getattr(err, "orig", err)).strip().splitlines()[0] if str(err) else type(err).__name__
    )
    low = text_.lower()
    where = safe_url(url)
    file = sqlite_file(url)
    if "file is not a database" in low or "malformed" in low or "not a database" in low:
        return DatabaseError(
            f"the database file {file or where} is corrupt ({text_})",
            hint="nothing was changed; restore it from a backup, or move it aside (rename it) and "
            "run `easymo db upgrade` to create a new, empty one",
        )
    if "readonly" in low or "read-only" in low:
        return DatabaseError(
            f"the database file {file or where} is read-only ({text_})",
            hint="nothing was changed; make the file and its folder writable for this user, or "
            "point the profile at another database (--db-url)",
        )
    if "unable to open database file" in low:
        return DatabaseError(
            f"cannot open the database file of {where}",
            hint="check that the folder exists and is writable",
        )
    if (
        "connection refused" in low
        or "could not connect" in low
        or "timeout" in low
        or "timed out" in low
    ):
        return DatabaseError(
            f"cannot reach PostgreSQL at {where} ({text_})",
            hint="check that the server runs and the host and port are right",
        )
    if "password authentication failed" in low or "no password supplied" in low:
        login = _login_of(url)
        return DatabaseError(
            f"the database refused the password for login {login}" if "failed" in low
            else f"the database asks a password for login {login} and none is stored",
            hint="run `easymo secrets set db-password`",
        )
    if "authentication" in low:
        return DatabaseError(
            f"PostgreSQL refused the login for {where}",
            hint="check the user name in the database URL and the server's pg_hba.conf",
        )
    if "does not exist" in low and "database" in low:
        return DatabaseError(
            f"the PostgreSQL database of {where} does not exist ({text_})",
            hint="create it with `createdb`, then run `easymo db upgrade`",
        )
    return DatabaseError(f"database error on {where}: {text_}")


def _login_of(url: str) -> str:
    try:
        return make_url(url).username or "(none)"
    except exc.ArgumentError:
        return "(unknown)"


class Database:
    """An engine and its session factory for one URL (``password``: see create_db_engine)."""

    def __init__(self, url: str, *, password: str | None = None, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_db_engine(url, password=password, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException as err:
                session.rollback()
                if isinstance(err, exc.DBAPIError):
                    err.easymo_db_url = self.url  # type: ignore[attr-defined]  # for file_problem
                raise

    def transaction(
        self, work: Callable[[Connection], T], *, attempts: int = TRANSACTION_ATTEMPTS
    ) -> T:
        """``work`` in one transaction, run again when PostgreSQL rolled it back as a
        deadlock victim or a serialization failure.

        Writers that share rows through the analytics triggers (the hour's rollup row, a
        message that the sender and the webhook ingest both touch) can meet in opposite
        order; the server then aborts one of them, and the right answer is to run it again,
        not to fail a send or park a webhook POST for recovery. ``work`` must be safe to
        repeat: it runs from the start, on a fresh transaction.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except exc.DBAPIError as err:
                if attempt == attempts or not is_transient(err):
                    err.easymo_db_url = self.url  # type: ignore[attr-defined]  # for file_problem
                    raise
                log.info("transaction rolled back by the server (%s), attempt %d of %d",
                         getattr(err.orig, "sqlstate", "?"), attempt, attempts)
                # Jitter: the two writers must not meet again on the same beat.
                time.sleep(random.uniform(0.005, 0.02) * attempt)
        raise AssertionError("unreachable")

    def ping(self) -> None:
        """Connect once; raise DatabaseError naming the problem."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                if self.dialect == "sqlite":
                    # A corrupt file often opens fine and fails at the first real read.
                    conn.execute(text("SELECT count(*) FROM sqlite_master"))
        except (exc.OperationalError, exc.DatabaseError, exc.InterfaceError) as err:
            raise explain_operational_error(err, self.url) from None

    def dispose(self) -> None:
        self.engine.dispose()
