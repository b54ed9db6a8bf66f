"""`easymo secrets set token|app-secret`."""

from __future__ import annotations

import sys

import click

from easymo_core.audit import record_for_profile
from easymo_core.cli.audit_cmd import audit_note
from easymo_core.cli.context import state, stdin_is_tty
from easymo_core.secrets import set_secret


@click.group()
def secrets() -> None:
    """Access token and app secret, kept in the OS keyring."""


@secrets.command("set")
@click.argument("kind", type=click.Choice(["token", "app-secret"]))
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the value from standard input.")
def set_(kind: str, from_stdin: bool) -> None:
    """Store the access token or app secret of the profile in force."""
    from easymo_core.errors import SecretsError

    p = state().profile()
    if p.is_sandbox:
        raise SecretsError(
            "the sandbox profile uses fixed local values and keeps no secrets",
            hint="add a real profile with `easymo profile add NAME ...` first",
        )
    if from_stdin:
        value = sys.stdin.readline()
    elif stdin_is_tty():
        value = click.prompt(f"{kind} for profile {p.name}", hide_input=True)
    else:
        raise click.UsageError("no terminal to prompt on: pass --stdin and pipe the value")
    set_secret(p.name, kind, value)  # type: ignore[arg-type]
    audit_note("secret.set", record_for_profile(p, action="secret.set", target=p.name,
                                                detail={"secret": kind}))  # the name, never the value
    click.echo(f"{kind} stored in the OS keyring for profile {p.name!r}")
