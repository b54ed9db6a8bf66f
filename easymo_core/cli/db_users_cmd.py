"""`easymo db roles` and `easymo db user add|list|remove`: who may use a shared PostgreSQL."""

from __future__ import annotations

import getpass
import sys

import click

from easymo_core.audit import record
from easymo_core.cli.context import emit_json, print_table, state
from easymo_core.roles import grants as grants_mod
from easymo_core.roles import logins
from easymo_core.roles.access import GROUP_ROLES
from easymo_core.roles.errors import SQLITE
from easymo_core.storage import migrate
from easymo_core.storage.engine import Database


def _database() -> Database:
    database = state().database(check_schema=False)
    if database.dialect != "postgresql":
        raise SQLITE
    migrate.ensure_current(database)
    return database


def print_grants(applied: list[grants_mod.Grant]) -> None:
    everyone = ", ".join(GROUP_ROLES)
    rows = [[everyone, "schema (CREATE revoked from PUBLIC)", "USAGE"],
            [everyone, "database", "CONNECT"],
            [f"{grants_mod.ADMIN}, {grants_mod.WEBHOOK}", "every sequence", "USAGE"]]
    rows += [[g.role, g.table, g.describe()] for g in applied]
    print_table(["role", "object", "privileges"], rows)


@click.command("roles")
def roles() -> None:
    """Create the group roles easymo_admin, easymo_viewer, easymo_webhook and grant them."""
    database = _database()
    with database.engine.connect() as conn:
        grants_mod.require_manager(conn, "create roles")
    created = grants_mod.create_group_roles(database.engine)
    with database.engine.begin() as conn:
        applied = grants_mod.apply(conn)
        record(conn, action="roles.apply", target=", ".join(GROUP_ROLES),
               detail={"created": created, "grants": len(applied)},
               profile=state().profile().name, waba_id="")
    click.echo(f"created {', '.join(created)}" if created else "the group roles exist already")
    print_grants(applied)


@click.group("user")
def user() -> None:
    """Logins of people and of the webhook receiver (PostgreSQL)."""


@user.command("add")
@click.argument("login")
@click.option("--role", required=True, help="admin, viewer or webhook.")
@click.option("--waba", "wabas", multiple=True, metavar="ID",
              help="An account the login may see (repeat); none given: every account.")
@click.option("--password-stdin", "password_stdin", is_flag=True,
              help="Read the login's password from standard input (the only way to give it).")
def add(login: str, role: str, wabas: tuple[str, ...], password_stdin: bool) -> None:
    """Create LOGIN, a member of the group of --role, seeing the accounts of --waba."""
    if not password_stdin:
        raise click.UsageError("pass --password-stdin and pipe the login's password into it")
    logins.check_login_name(login)
    # Typed at a terminal, it is not echoed; piped, it is read as is.
    password = (getpass.getpass(f"password for {login}: ") if sys.stdin.isatty()
                else sys.stdin.readline().rstrip("\r\n"))
    database = _database()
    with database.engine.begin() as conn:
        info = logins.add(conn, login, role, password, wabas)
        record(conn, action="login.add", target=login, profile=state().profile().name, waba_id="",
               detail={"role": info.role, "accounts": info.as_json()["accounts"]})
    click.echo(f"login {info.login} added: role {info.role}, accounts: {info.accounts_text()}")
    if not wabas:
        click.echo("no --waba given: it sees every account, including rows of no account ('')")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(as_json: bool) -> None:
    """Every easymo login: its role, accounts and whether it can log in."""
    database = _database()
    with database.engine.connect() as conn:
        found = logins.list_all(conn)
    if as_json:
        emit_json([i.as_json() for i in found])
        return
    if not found:
        click.echo("no logins yet: add one with `easymo db user add LOGIN --role ... --password-stdin`")
        return
    print_table(["login", "role", "accounts", "can log in"],
                [[i.login, i.role, i.accounts_text(), "yes" if i.can_log_in else "no"] for i in found])


@user.command("remove")
@click.argument("login")
def remove(login: str) -> None:
    """Drop LOGIN and the accounts it was granted."""
    database = _database()
    with database.engine.begin() as conn:
        info = logins.remove(conn, login)
        record(conn, action="login.remove", target=login, profile=state().profile().name, waba_id="",
               detail={"role": info.role})
    click.echo(f"login {info.login} ({info.role}) removed")
