"""The `easymo` command: one click group, one module per command group."""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points

import click

from easymo_core.cli.context import CliState, run_guarded

# (module, attribute) of every command group; each lives in easymo_core/cli/<name>_cmd.py.
_GROUPS: tuple[tuple[str, str], ...] = (
    ("easymo_core.cli.profile_cmd", "profile"),
    ("easymo_core.cli.secrets_cmd", "secrets"),
    ("easymo_core.cli.db_cmd", "db"),
    ("easymo_core.cli.templates_cmd", "templates"),
    ("easymo_core.cli.send_cmd", "send"),
    ("easymo_core.cli.messages_cmd", "messages"),
    ("easymo_core.cli.webhook_cmd", "webhook"),
    ("easymo_core.cli.sandbox_cmd", "sandbox"),
    ("easymo_core.cli.stats_cmd", "stats"),
    ("easymo_core.cli.flows_cmd", "flows"),
    ("easymo_core.cli.audit_cmd", "audit"),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--profile",
    "profile_name",
    metavar="NAME",
    help="Profile to use (default: the active one, or $EASYMO_PROFILE).",
)
@click.option("--db-url", metavar="URL", help="Database URL, overriding the profile and $EASYMO_DB_URL.")
@click.option("--debug", is_flag=True, help="Verbose logs; phone numbers are shown unmasked.")
@click.version_option(package_name="easymo-console", prog_name="easymo")
@click.pass_context
def cli(ctx: click.Context, profile_name: str | None, db_url: str | None, debug: bool) -> None:
    """easyMO Console: manage WhatsApp Business templates, send and track messages."""
    ctx.obj = CliState(profile_name=profile_name, db_url=db_url, debug=debug)
    ctx.obj.setup_logging()
    ctx.call_on_close(ctx.obj.close)


for _module, _attr in _GROUPS:
    cli.add_command(getattr(importlib.import_module(_module), _attr))
# `send image|video|document|audio` join the send group from their own module.
importlib.import_module("easymo_core.cli.send_media_cmd")
# Command groups of other installed packages (``easymo bench`` from easymo_tools): registered
# as entry points, so the core names none of them and never imports the console they drive.
for _entry in entry_points(group="easymo.commands"):
    cli.add_command(_entry.load(), _entry.name)


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit 0 ok, 1 user error (one line), 2 usage."""
    sys.exit(run_guarded(cli, argv))


if __name__ == "__main__":
    main()
