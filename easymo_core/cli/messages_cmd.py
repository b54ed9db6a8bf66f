"""`easymo messages list|show|reconcile`: what the database holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click

from easymo_core.cli.context import acts, emit_json, print_table, state
from easymo_core.cli.since import parse_since


def _since(value: str | None) -> datetime | None:
    return parse_since(value) if value else None


def _ts(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else ""


@click.group()
def messages() -> None:
    """The message log: every outbound and inbound message with its statuses."""


@messages.command("list")
@click.option(
    "--status", type=click.Choice(["queued", "accepted", "sent", "delivered", "read", "failed", "received"])
)
@click.option("--since", help="30m, 24h, 7d or an ISO date.")
@click.option("--direction", type=click.Choice(["out", "in"]))
@click.option("--to", "contact", help="Only this contact (digits).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_(
    status: str | None,
    since: str | None,
    direction: str | None,
    contact: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List messages, newest first."""
    rows = (
        state()
        .services()
        .messages.list(status=status, since=_since(since), direction=direction, contact=contact, limit=limit)
    )
    if as_json:
        emit_json(rows)
        return
    print_table(
        ["id", "time", "dir", "to/from", "type", "status", "template", "error"],
        [
            [
                r["id"],
                _ts(r["created_at"]),
                r["direction"],
                r["contact_wa_id"],
                r["type"],
                r["status"],
                f"{r['template_name']} ({r['template_language']})" if r["template_name"] else "",
                r["error_code"] or "",
            ]
            for r in rows
        ],
    )


@messages.command()
@click.argument("wamid")
@click.option("--json", "as_json", is_flag=True)
def show(wamid: str, as_json: bool) -> None:
    """Every status of a message with Meta's timestamps, latencies, error and fallback."""
    ref: int | str = int(wamid) if wamid.isdigit() else wamid
    detail = state().services().messages.detail(ref)
    m = detail.message
    if as_json:
        emit_json({"message": m, "events": detail.events, "replies": detail.replies})
        return
    click.echo(f"{m['wamid'] or '(no wamid yet)'}  {m['direction']}  {m['type']}  to {m['contact_wa_id']}")
    if m["template_name"]:
        click.echo(f"template  {m['template_name']} ({m['template_language']})")
    if m["fallback"]:
        click.echo(f"fallback  {m['fallback']}")
    click.echo(f"status    {m['status']}  (source {m['source']})")
    for label in (
        "queued_at",
        "accepted_at",
        "sent_at",
        "delivered_at",
        "read_at",
        "failed_at",
        "received_at",
    ):
        if m[label]:
            click.echo(f"  {label[:-3]:<9} {_ts(m[label])}")
    if m["delivery_latency_ms"] is not None:
        click.echo(f"delivery latency  {m['delivery_latency_ms'] / 1000:.2f} s")
    if m["read_latency_ms"] is not None:
        click.echo(f"read latency      {m['read_latency_ms'] / 1000:.2f} s")
    if m["error_code"] or m["error_title"]:
        click.echo(f"error     {m['error_code'] or ''} {m['error_title'] or ''}")
        if m.get("error_explanation"):
            click.echo(f"          {m['error_explanation']}")
    if detail.events:
        click.echo("events (Meta's timestamps):")
        for e in detail.events:
            click.echo(
                f"  {_ts(e['meta_ts'])}  {e['status']}" + (f"  {e['error_code']}" if e["error_code"] else "")
            )
    for r in detail.replies:
        click.echo(
            f"reply {_ts(r['received_at'])}: {r['body']}" + (f" [{r['reply_id']}]" if r["reply_id"] else "")
        )


@messages.command()
@click.option("--older-than", type=int, default=120, show_default=True, help="Seconds.")
@acts("reconcile messages")
def reconcile(older_than: int) -> None:
    """Report sends whose answer was lost (never re-sent automatically)."""
    rows = state().services().processor.reconcile(older_than=timedelta(seconds=older_than))
    if not rows:
        click.echo("nothing to reconcile")
        return
    for r in rows:
        click.echo(
            f"message {r['id']} to {r['contact_wa_id']} ({r['type']}, key {r['idempotency_key']}): "
            f"outcome unknown since {_ts(r['queued_at'])}"
        )
    click.echo(
        f"{len(rows)} message(s) with unknown outcome; statuses from Meta will link them if they went out"
    )
