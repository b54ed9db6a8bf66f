"""`easymo secrets set token|app-secret|db-password`."""

from __future__ import annotations

import sys

import click

from easymo_core.audit import record_for_profile
from easymo_core.cli.audit_cmd import audit_note
from easymo_core.cli.context import state, stdin_is_tty
from easymo_core.secrets import set_secret


@click.group()
def secrets() -> None:
    """Access token, app secret and database password, kept in the OS keyring."""


@secrets.command("set")
@click.argument("kind", type=click.Choice(["token", "app-secret", "db-password"]))
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the value from standard input.")
def set_(kind: str, from_stdin: bool) -> None:
    """Store the access token, app secret or database password of the profile in force.

    The database password is the one of the login the profile's database URL names
    (postgresql://alice@host/db); on a server, EASYMO_DB_PASSWORD does the same."""
    from easymo_core.config.db_login import login_name
    from easymo_core.errors import SecretsError

    p = state().profile()
    login = login_name(p.db_url)
    if kind == "db-password" and not login:
        raise SecretsError(
            f"profile {p.name!r} uses no PostgreSQL login (database {p.db_url.split(':', 1)[0]}), "
            "so it has no database password to store",
            hint="give the profile a postgresql://LOGIN@HOST/DB database URL first",
        )
    if p.is_sandbox and kind != "db-password":
        raise SecretsError(
            "the sandbox profile uses fixed local values and keeps no secrets",
            hint="add a real profile with `easymo profile add NAME ...` first",
        )
    if from_stdin:
        value = sys.stdin.readline()
    elif stdin_is_tty():
        what = f"password of login {login}" if kind == "db-password" else kind
        value = click.prompt(f"{what} for profile {p.name}", hide_input=True)
    else:
        raise click.UsageError("no terminal to prompt on: pass --stdin and pipe the value")
    set_secret(p.name, kind, value)  # type: ignore[arg-type]
    audit_note("secret.set", record_for_profile(p, action="secret.set", target=p.name,
                                                detail={"secret": kind}))  # the name, never the value
    whose = f" (login {login})" if kind == "db-password" else ""
    click.echo(f"{kind} stored in the OS keyring for profile {p.name!r}{whose}")
