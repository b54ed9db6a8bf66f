"""`easymo templates list|sync|show|create|delete`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from easymo_core.cli.context import acts, emit_json, print_table, state
from easymo_core.errors import EasymoError
from easymo_core.templates.model import TemplateDefinition
from easymo_core.templates.render import render_preview


@click.group()
def templates() -> None:
    """Message templates: the local copy, sync with Meta, create and delete."""


@templates.command("list")
@click.option("--status", help="APPROVED, PENDING, REJECTED, PAUSED, ...")
@click.option("--category", help="MARKETING, UTILITY or AUTHENTICATION")
@click.option("--lang", "language", help="Language code, e.g. en_US")
@click.option("--json", "as_json", is_flag=True)
def list_(status: str | None, category: str | None, language: str | None, as_json: bool) -> None:
    """List templates in the local copy (run `sync` first to refresh it)."""
    records = state().services().templates.list(status=status, category=category, language=language)
    if as_json:
        emit_json(
            [
                {
                    "name": r.name,
                    "language": r.language,
                    "category": r.category,
                    "status": r.status,
                    "quality": r.quality_score,
                    "rejected_reason": r.rejected_reason,
                    "id": r.meta_id,
                    "updated_at": r.updated_at.isoformat(),
                }
                for r in records
            ]
        )
        return
    if not records:
        click.echo("no templates in the local copy; run `easymo templates sync`")
        return
    print_table(
        ["name", "language", "category", "status", "quality", "updated"],
        [
            [
                r.name,
                r.language,
                r.category,
                r.status,
                r.quality_score or "",
                r.updated_at.strftime("%Y-%m-%d %H:%M"),
            ]
            for r in records
        ],
    )


@templates.command()
@acts("sync templates")
def sync() -> None:
    """Fetch every template from Meta into the local copy."""
    result = state().services().templates.sync()
    click.echo(f"{result.total} templates synced")
    for change in result.changes:
        click.echo(f"  {change.describe()}")


@templates.command()
@click.argument("name")
@click.option("--lang", "language", help="Language code (default: every language).")
@click.option("--json", "as_json", is_flag=True)
def show(name: str, language: str | None, as_json: bool) -> None:
    """Show a template's definition and a preview with its example values."""
    records = state().services().templates.languages(name)
    if language:
        records = [r for r in records if r.language == language]
    if not records:
        raise EasymoError(
            f"no template {name!r}" + (f" in {language}" if language else ""),
            hint="run `easymo templates sync`, then `easymo templates list`",
        )
    if as_json:
        emit_json([r.definition.to_graph() | {"status": r.status} for r in records])
        return
    for r in records:
        preview = render_preview(r.definition)
        click.echo(
            f"{r.name} ({r.language}) {r.category} {r.status}"
            + (f" quality {r.quality_score}" if r.quality_score else "")
            + (f" rejected: {r.rejected_reason}" if r.rejected_reason else "")
        )
        for part in (preview.header, preview.body, preview.footer):
            if part:
                click.echo("  " + part.replace("\n", "\n  "))
        for b in preview.buttons:
            click.echo(f"  [{b.text}]" + (f" -> {b.target}" if b.target else ""))
        click.echo("")


@templates.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--header-sample", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Image, video or PDF for a media header: uploaded, its handle put in the definition.")
@acts("submit templates")
def create(file: Path, header_sample: Path | None) -> None:
    """Submit a new template (Graph JSON: name, language, category, components)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise EasymoError(f"{file} is not valid JSON ({exc})") from None
    services = state().services()
    if header_sample is not None:
        from easymo_core.templates.header_sample import upload_header_sample

        data = upload_header_sample(data, header_sample, services.profile.app_id, services.client)
    record = services.templates.create(TemplateDefinition.from_graph(data))
    click.echo(f"{record.name} ({record.language}) submitted: {record.status}, id {record.meta_id}")


@templates.command()
@click.argument("name")
@click.option("--lang", "language", help="Delete one language only.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@acts("delete templates")
def delete(name: str, language: str | None, yes: bool) -> None:
    """Delete a template at Meta and from the local copy."""
    if not yes:
        click.confirm(
            f"Delete {name}"
            + (f" ({language})" if language else " in every language")
            + " at Meta? An approved name cannot be reused for 30 days.",
            abort=True,
        )
    removed = state().services().templates.delete(name, language)
    click.echo(f"deleted {name}: {removed} language(s)")
