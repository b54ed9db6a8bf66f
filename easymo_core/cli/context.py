"""What every command shares: the chosen profile, output helpers, and error handling."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError

from easymo_core.config import Profile, ProfileStore, resolve_profile
from easymo_core.config.paths import log_dir
from easymo_core.errors import EasymoError
from easymo_core.logs import setup_logging
from easymo_core.logs.redact import redact
from easymo_core.storage.engine import Database, file_problem
from easymo_core.storage.open import open_database

log = logging.getLogger("easymo.cli")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    profile_name: str | None = None
    db_url: str | None = None
    debug: bool = False
    _profile: Profile | None = field(default=None, repr=False)
    _db: Database | None = field(default=None, repr=False)
    _services: Any = field(default=None, repr=False)

    def setup_logging(self) -> None:
        setup_logging(debug=self.debug, log_file=log_dir() / "easymo.log")

    @property
    def store(self) -> ProfileStore:
        return ProfileStore()

    def profile(self) -> Profile:
        if self._profile is None:
            self._profile = resolve_profile(self.profile_name, db_url=self.db_url)
        return self._profile

    def database(self, *, check_schema: bool = True) -> Database:
        if self._db is None:
            self._db = open_database(self.profile(), check_schema=check_schema)
        return self._db

    def services(self) -> Any:
        """Database, client and processor of the profile in force (easymo_core.services)."""
        if self._services is None:
            from easymo_core.services import Services

            self._services = Services.open(self.profile(), db=self.database())
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.client.close()
            self._services = None
        if self._db is not None:
            self._db.dispose()
            self._db = None


def state(ctx: click.Context | None = None) -> CliState:
    ctx = ctx or click.get_current_context()
    obj = ctx.find_object(CliState)
    if obj is None:  # a group invoked on its own (tests with CliRunner)
        obj = CliState()
        ctx.obj = obj
    return obj


def acts(action: str, *, also: tuple[str, ...] = ()) -> Callable[[F], F]:
    """The command does ``action`` (plain words: "send messages"); a database refusal while it
    runs reads "your role viewer cannot send messages" instead of the driver's text. Roles in
    ``also`` may run it though they may not write in general."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            from easymo_core.permissions import refusing

            st = state()
            if kwargs.get("dry_run"):  # a dry run reads only: any role may
                return fn(*args, **kwargs)
            with refusing(action, _OpenDatabase(st), also=also):
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]

    return wrap


class _OpenDatabase:
    """The command's database as it is when a refusal is met (opened lazily, so a command
    refused before it opened one still reads the role)."""

    def __init__(self, st: CliState) -> None:
        self.st = st

    @property
    def engine(self) -> Any:
        # Checked as the command itself would open it: a corrupt file, a wrong password or an
        # older schema is explained the same way before the role is read.
        return self.st.database().engine


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    click.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def run_guarded(command: click.Command, argv: list[str] | None) -> int:
    """Run the click command; user errors become one line on stderr and exit 1."""
    try:
        command.main(args=argv, prog_name="easymo", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except SystemExit as exc:  # a command that already said why, ending with a code
        return exc.code if isinstance(exc.code, int) else 1
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.ClickException as exc:
        click.echo(f"error: {redact(exc.format_message())}", err=True)
        return 1
    except EasymoError as exc:
        click.echo(f"error: {redact(_with_sandbox_hint(exc))}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except DBAPIError as exc:  # the server refused a statement mid-command (already retried if transient)
        log.info("database error", exc_info=True)  # the trace to the file, not the terminal
        from easymo_core.permissions import ADMIN_HINT, is_refusal

        if is_refusal(exc):  # a command that names no action (see `acts`): the grant is missing
            click.echo(f"error: your database login may not do this — {ADMIN_HINT}", err=True)
            return 1
        problem = file_problem(exc)
        if problem is not None:  # the file is corrupt or read-only: running again cannot help
            click.echo(f"error: {redact(problem.one_line())}", err=True)
            return 1
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        click.echo(
            f"error: the database refused a change ({redact(reason)[:200]}); what was already "
            f"recorded stays recorded: run the same command again (details in "
            f"{log_dir() / 'easymo.log'})",
            err=True,
        )
        return 1
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: log the trace to the file, show one line
        log.exception("unexpected error")
        click.echo(
            f"error: unexpected {type(exc).__name__}: {redact(str(exc))[:200]} "
            f"(details in {log_dir() / 'easymo.log'})",
            err=True,
        )
        return 1
    return 0


def stdin_is_tty() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _with_sandbox_hint(exc: EasymoError) -> str:
    """A dead local sandbox is the commonest first-run failure: say how to start it."""
    from easymo_core.cloudapi.errors import NetworkError

    line = exc.one_line()
    if isinstance(exc, NetworkError) and ("127.0.0.1" in line or "localhost" in line):
        line += " (for the sandbox profile, start `easymo sandbox serve` and `easymo webhook serve`)"
    return line
