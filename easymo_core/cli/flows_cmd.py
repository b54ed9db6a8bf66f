"""`easymo flows list|validate|import|show|start|expire`: conversation flows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import desc, select

from easymo_core.cli.context import acts, emit_json, print_table, state
from easymo_core.flows.errors import FlowDefinitionError
from easymo_core.flows.library import FlowLibrary
from easymo_core.flows.parse import load_flow_file


@click.group()
def flows() -> None:
    """Conversation flows: multi-step dialogues answered as contacts reply."""


def _library() -> FlowLibrary:
    return FlowLibrary(state().database())


@flows.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    """Stored and built-in flows, with how many contacts are in, done with, or left each."""
    summaries = _library().summaries()
    if as_json:
        emit_json([s.__dict__ for s in summaries])
        return
    print_table(
        ["name", "title", "version", "steps", "origin", "active", "completed", "abandoned"],
        [
            [s.name, s.title, s.version or "-", s.steps, s.origin, s.active, s.completed, s.abandoned]
            for s in summaries
        ],
    )


@flows.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check a flow definition (YAML or JSON); every problem is listed with its line."""
    try:
        definition = load_flow_file(file)
    except FlowDefinitionError as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        n = len(exc.problems)
        click.echo(f"{n} problem{'s' if n != 1 else ''}: the flow is refused", err=True)
        raise SystemExit(1) from None
    ends = [s.id for s in definition.steps.values() if s.end]
    click.echo(
        f"ok: {definition.name} ({len(definition.steps)} steps, starts at {definition.start}, "
        f"ends at {', '.join(ends)})"
    )


@flows.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@acts("import flows")
def import_(file: Path) -> None:
    """Validate FILE and store it (a new version when the name exists and it changed)."""
    definition = load_flow_file(file)  # refuses with the line before touching the database
    text = file.read_text(encoding="utf-8")
    stored, action = _library().import_text(text, source_name=str(file))
    click.echo(f"{action}: {definition.name} version {stored.version}")


@flows.command()
@click.argument("name")
@click.option("--states", "n_states", type=int, default=10, show_default=True, help="Latest states shown.")
@click.option("--json", "as_json", is_flag=True)
def show(name: str, n_states: int, as_json: bool) -> None:
    """A flow's definition and the latest contacts' progress through it."""
    library = _library()
    source, definition, version = library.source_of(name)
    rows = _latest_states(library, name, n_states) if version is not None else []
    if as_json:
        emit_json({"name": name, "version": version, "definition": definition, "states": rows})
        return
    click.echo(
        f"# {name} (version {version})" if version is not None else f"# {name} (built-in, not stored yet)"
    )
    click.echo(source.rstrip())
    if rows:
        click.echo("")
        print_table(
            ["state", "contact", "status", "step", "retries", "events", "updated"],
            [
                [
                    r["id"],
                    r["contact"],
                    r["status"],
                    r["step"],
                    r["retries"],
                    len(r["history"]),
                    r["updated_at"],
                ]
                for r in rows
            ],
        )


def _latest_states(library: FlowLibrary, name: str, limit: int) -> list[dict[str, Any]]:
    from easymo_core.flows.library import flows_t, states_t

    with library.db.engine.connect() as conn:
        found = conn.execute(
            select(states_t)
            .join(flows_t, flows_t.c.id == states_t.c.flow_id)
            .where(flows_t.c.name == name)
            .order_by(desc(states_t.c.id))
            .limit(limit)
        ).all()
    return [
        {
            "id": r.id,
            "contact": r.contact_wa_id,
            "account": r.waba_id,
            "status": r.status,
            "step": r.current_step,
            "retries": r.retries,
            "history": r.history,
            "updated_at": _ts(r.updated_at),
        }
        for r in found
    ]


def _ts(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else ""


@flows.command()
@click.argument("name")
@click.option("--to", required=True, help="Contact in E.164, e.g. +15551234567.")
@click.option("--force", is_flag=True, help="Start even when the contact's 24-hour window looks closed.")
@click.option("--json", "as_json", is_flag=True)
@acts("start flows")
def start(name: str, to: str, force: bool, as_json: bool) -> None:
    """Start flow NAME for a contact: its first step is sent through the processor.

    The replies arrive through the webhook receiver (`easymo webhook serve`, or the
    console's), which moves the flow on.
    """
    started = state().services().flows.start(name, to, force=force)
    outcome = started.outcome
    result = {
        "state_id": started.state_id,
        "flow": started.flow,
        "step": started.step,
        "status": started.status,
        "message_status": getattr(outcome, "status", None),
        "wamid": getattr(outcome, "wamid", None),
    }
    if as_json:
        emit_json(result)
    else:
        click.echo(
            f"started {started.flow} for {to} (state {started.state_id}): step {started.step}, "
            f"message {result['message_status'] or 'not sent'} {result['wamid'] or ''}".rstrip()
        )
    if started.status == "abandoned":
        raise click.ClickException(
            f"the first message could not be sent ({getattr(outcome, 'error', None) or outcome}); "
            "the flow was abandoned"
        )


@flows.command()
@acts("expire flow runs")
def expire() -> None:
    """Abandon flows whose step timed out (the receiver does this every 30 s by itself)."""
    from easymo_core.flows.engine import FlowEngine

    n = FlowEngine(state().database(), processor=None).expire_due()
    click.echo(f"abandoned {n} timed-out flow state{'s' if n != 1 else ''}")
