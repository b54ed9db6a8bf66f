"""`easymo db upgrade|current|check`."""

from __future__ import annotations

import click

from easymo_core.cli.context import emit_json, state
from easymo_core.cli.db_users_cmd import roles, user
from easymo_core.roles import grants
from easymo_core.storage import migrate


@click.group()
def db() -> None:
    """The shared database: schema version, migrations, roles and logins."""


db.add_command(roles)
db.add_command(user)


@db.command()
@click.option("--to", "target", default="head", show_default=True, help="Target revision.")
def upgrade(target: str) -> None:
    """Create or upgrade the schema of the profile's database."""
    database = state().database(check_schema=False)
    before = migrate.status(database)
    after = migrate.upgrade(database, target, accounts=state().store.accounts())
    if before.current == after.current:
        click.echo(f"already at {after.current} ({database.dialect})")
    else:
        click.echo(f"upgraded {before.current or 'empty database'} -> {after.current} ({database.dialect})")
    # Grants are deployment state: a table this migration added is covered at once.
    applied = grants.reapply_if_set_up(database.engine)
    if applied is not None:
        click.echo(f"grants of the group roles applied again ({len(applied)} grants)")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def current(as_json: bool) -> None:
    """Show the schema revision of the database and of this easymo."""
    database = state().database(check_schema=False)
    st = migrate.status(database)
    if as_json:
        emit_json({"state": st.state, "current": st.current, "head": st.head, "dialect": database.dialect})
        return
    click.echo(f"database: {st.current or '(empty)'}  code: {st.head}  [{st.state}]")


@db.command()
def check() -> None:
    """Exit 0 when the database is up to date, 1 (with the reason) otherwise."""
    from easymo_core.errors import DatabaseError

    database = state().database(check_schema=False)
    st = migrate.status(database)
    if st.state != "current":
        raise DatabaseError(
            st.describe(),
            hint="run `easymo db upgrade`" if st.state != "ahead" else "upgrade easymo",
        )
    click.echo(st.describe())
