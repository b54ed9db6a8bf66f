"""`easymo audit [--since TIME] [--json]`: who did what, when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from easymo_core.audit import AuditEntry, since
from easymo_core.cli.context import emit_json, print_table, state
from easymo_core.cli.since import parse_since

DEFAULT_SINCE = timedelta(days=7)


def audit_note(what: str, problem: str | None) -> None:
    """Say on stderr that a configuration change was not recorded, and why: the change
    itself is done and stays done."""
    if problem is not None:
        click.echo(f"note: {what} not recorded in the audit log ({problem})", err=True)


def _when(entry: AuditEntry) -> str:
    return entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@click.command("audit")
@click.option("--since", "since_", metavar="TIME",
              help="ISO-8601 date or time, or 30m, 24h, 7d back from now. Default: 7d.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def audit(since_: str | None, as_json: bool) -> None:
    """The audit log, newest first: sends, bulk runs, template, profile, secret, login and
    role changes, with who made them (database login, OS user, profile)."""
    start = parse_since(since_) if since_ else datetime.now(UTC) - DEFAULT_SINCE
    with state().database().engine.connect() as conn:
        entries = since(conn, start)
    if as_json:
        emit_json([e.as_dict() for e in entries])
        return
    if not entries:
        click.echo(f"no audit entries since {start.astimezone():%Y-%m-%d %H:%M}")
        return
    print_table(
        ["when", "who", "action", "target", "detail"],
        [[_when(e), e.who, e.action, e.target, e.brief()] for e in entries],
    )
