"""`easymo send text|template|buttons|list|bulk`: every send goes through the processor."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import click

from easymo_core.cli.context import acts, emit_json, state
from easymo_core.messaging.outcome import SendOutcome

FINAL = ("read", "failed")


@click.group()
def send() -> None:
    """Send a message through the processor (recorded, tracked, idempotent)."""


def _common(fn: Any) -> Any:
    fn = click.option("--to", required=True, help="Recipient in E.164, e.g. +15551234567.")(fn)
    fn = click.option("--reply-to", metavar="WAMID", help="Quote this message.")(fn)
    fn = click.option(
        "--key", "idempotency_key", help="Idempotency key: a retry with the same key never sends twice."
    )(fn)
    fn = click.option("--wait", is_flag=True, help="Follow the message until delivered, read or failed.")(fn)
    fn = click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds --wait waits.")(
        fn
    )
    fn = click.option("--json", "as_json", is_flag=True)(fn)
    return fn


def _report(outcome: SendOutcome, wait: bool, timeout: float, as_json: bool) -> None:
    st = state()
    result: dict[str, Any] = {
        "message_id": outcome.message_id,
        "wamid": outcome.wamid,
        "status": outcome.status,
        "idempotency_key": outcome.idempotency_key,
        "fallback": outcome.fallback,
        "fallback_note": outcome.fallback_note,
        "duplicate": outcome.duplicate,
    }
    if outcome.error is not None:
        result["error"] = outcome.error.one_line()
    if not as_json:
        if outcome.fallback_note:
            click.echo(f"fallback: {outcome.fallback_note}")
        if outcome.duplicate:
            click.echo("already sent with this key: nothing sent again")
        click.echo(f"{outcome.status}  {outcome.wamid or '-'}")
    if wait and outcome.wamid and outcome.status not in FINAL:
        queries = st.services().messages
        deadline = time.monotonic() + timeout
        last = outcome.status
        while time.monotonic() < deadline:
            detail = queries.detail(outcome.message_id).message
            if detail["status"] != last:
                last = detail["status"]
                if not as_json:
                    click.echo(f"{last}")
            if last in FINAL:
                break
            time.sleep(0.25)
        result["status"] = last
        if last == "failed":
            detail = queries.detail(outcome.message_id).message
            result["error"] = (
                f"{detail['error_code']}: {detail.get('error_explanation') or detail['error_title']}"
            )
            if not as_json:
                click.echo(f"  error {result['error']}")
        elif last == "delivered" and not as_json:
            # Delivered is as far as the network goes: reading is up to the person.
            click.echo(f"delivered; not read within {timeout:g} s (the recipient has not opened it yet)")
        elif last not in FINAL and not as_json:
            click.echo(
                f"still {last} after {timeout:g} s (statuses arrive by webhook: is a receiver running?)"
            )
    if as_json:
        emit_json(result)
    if outcome.error is not None and not as_json:
        raise outcome.error
    if result["status"] == "failed":
        raise SystemExit(1)


@send.command()
@_common
@click.option("--body", required=True, help="Text; *bold* _italic_ ~strike~ ```mono``` kept.")
@click.option("--preview-url", is_flag=True, help="Show a link preview.")
@acts("send messages")
def text(
    to: str,
    reply_to: str | None,
    idempotency_key: str | None,
    wait: bool,
    timeout: float,
    as_json: bool,
    body: str,
    preview_url: bool,
) -> None:
    """Send a text message (inside the contact's 24-hour window)."""
    out = (
        state()
        .services()
        .processor.send_text(
            to,
            body,
            preview_url=preview_url,
            reply_to=reply_to,
            idempotency_key=idempotency_key,
            source="cli",
        )
    )
    _report(out, wait, timeout, as_json)


@send.command()
@_common
@click.option("--name", required=True, help="Template name.")
@click.option("--lang", "language", required=True, help="Language code, e.g. en_US.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="VALUE|NAME=VALUE",
    help="Body variables in order ({{1}}, {{2}} ...) or by name; header.N=V, button.I=V.",
)
@click.option("--header-media", metavar="PATH|URL",
              help="For an image, video or document header: a file (uploaded first) or a public link.")
@acts("send messages")
def template(
    to: str,
    reply_to: str | None,
    idempotency_key: str | None,
    wait: bool,
    timeout: float,
    as_json: bool,
    name: str,
    language: str,
    params: tuple[str, ...],
    header_media: str | None,
) -> None:
    """Send an approved template with its variables."""
    from easymo_core.messaging.header_media import header_media as media_for_header
    from easymo_core.templates.params import TemplateParams

    header: dict[str, str] = {}
    body: dict[str, str] = {}
    buttons: dict[int, str] = {}
    position = 0
    for p in params:
        key, sep, value = p.partition("=")
        if not sep:
            position += 1
            body[str(position)] = p
        elif key.startswith("header."):
            header[key[7:]] = value
        elif key.startswith("button.") and key[7:].isdigit():
            buttons[int(key[7:])] = value
        else:
            body[key] = value
    services = state().services()
    media = None
    if header_media is not None:
        media = media_for_header(header_media, template=name, language=language,
                                 templates=services.templates, uploader=services.client)
    out = (
        services
        .processor.send_template(
            to,
            name,
            language,
            TemplateParams(header=header, body=body, buttons=buttons, header_object=media),
            reply_to=reply_to,
            idempotency_key=idempotency_key,
            source="cli",
        )
    )
    _report(out, wait, timeout, as_json)


@send.command()
@_common
@click.option("--body", required=True)
@click.option(
    "--button", "buttons", multiple=True, required=True, metavar="ID=TITLE", help="1 to 3 reply buttons."
)
@click.option("--header")
@click.option("--footer")
@acts("send messages")
def buttons(
    to: str,
    reply_to: str | None,
    idempotency_key: str | None,
    wait: bool,
    timeout: float,
    as_json: bool,
    body: str,
    buttons: tuple[str, ...],
    header: str | None,
    footer: str | None,
) -> None:
    """Send an interactive message with reply buttons."""
    pairs = []
    for b in buttons:
        bid, sep, title = b.partition("=")
        if not sep:
            raise click.BadParameter(f"{b!r}: write ID=TITLE", param_hint="--button")
        pairs.append((bid, title))
    out = (
        state()
        .services()
        .processor.send_buttons(
            to,
            body,
            pairs,
            header=header,
            footer=footer,
            reply_to=reply_to,
            idempotency_key=idempotency_key,
            source="cli",
        )
    )
    _report(out, wait, timeout, as_json)


@send.command("list")
@_common
@click.option("--body", required=True)
@click.option("--button-text", required=True, help="Text of the button that opens the list.")
@click.option(
    "--row",
    "rows",
    multiple=True,
    required=True,
    metavar="[SECTION:]ID=TITLE[|DESCRIPTION]",
    help="A row; rows with the same SECTION go in one section.",
)
@click.option("--header")
@click.option("--footer")
def list_(
    to: str,
    reply_to: str | None,
    idempotency_key: str | None,
    wait: bool,
    timeout: float,
    as_json: bool,
    body: str,
    button_text: str,
    rows: tuple[str, ...],
    header: str | None,
    footer: str | None,
) -> None:
    """Send an interactive list message."""
    sections: dict[str | None, list[dict[str, Any]]] = {}
    for r in rows:
        section, _, rest = r.rpartition(":") if ":" in r.split("=", 1)[0] else ("", "", r)
        rid, sep, title = rest.partition("=")
        if not sep:
            raise click.BadParameter(f"{r!r}: write [SECTION:]ID=TITLE[|DESCRIPTION]", param_hint="--row")
        title, _, desc = title.partition("|")
        sections.setdefault(section or None, []).append(
            {"id": rid, "title": title, "description": desc or None}
        )
    payload = [{"title": t, "rows": rs} for t, rs in sections.items()]
    out = (
        state()
        .services()
        .processor.send_list(
            to,
            body,
            button_text,
            payload,
            header=header,
            footer=footer,
            reply_to=reply_to,
            idempotency_key=idempotency_key,
            source="cli",
        )
    )
    _report(out, wait, timeout, as_json)


@send.command()
@click.option("--template", "name", required=True)
@click.option("--lang", "language", required=True)
@click.option(
    "--csv", "csv_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Check every row, send nothing.")
@click.option("--again", is_flag=True, help="Send a CSV that an earlier job already finished once more.")
@click.option("--resend-unresolved", is_flag=True,
              help="Send again to recipients whose answer was lost and that no status webhook named.")
@click.option("--skip-unresolved", is_flag=True,
              help="Leave those recipients as they are and let the job finish.")
@click.option("--reconcile-window", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="How long a lost answer waits for its status webhook (default 60).")
@acts("run a bulk send")
def bulk(name: str, language: str, csv_path: Path, dry_run: bool, again: bool, resend_unresolved: bool,
         skip_unresolved: bool, reconcile_window: float | None) -> None:
    """Send a template to every row of a CSV (phone column + one column per variable).

    Running the same command again resumes an interrupted job: nobody gets it twice. A job
    that finished is not repeated unless --again says so. A recipient whose answer was lost
    and that no status webhook named within the reconcile window is listed, and the job
    stays unfinished until --resend-unresolved or --skip-unresolved decides.
    """
    from datetime import timedelta

    from easymo_core.messaging.bulk import RECONCILE_WINDOW, BulkProgress, BulkSender
    from easymo_core.messaging.bulk import dry_run as check

    if resend_unresolved and skip_unresolved:
        raise click.UsageError("--resend-unresolved and --skip-unresolved exclude each other")

    svc = state().services()
    if dry_run:
        ok, bad = check(svc.processor, csv_path, name, language)
        for p in bad:
            click.echo(f"line {p.line}: {p.message}")
        click.echo(f"{ok} row(s) ready, {len(bad)} invalid")
        if bad:
            raise SystemExit(1)
        return
    interrupted = {"stop": False}

    def on_sigint(signum: int, frame: Any) -> None:
        interrupted["stop"] = True  # finish the sends in flight (one batch), then stop cleanly

    previous = signal.signal(signal.SIGINT, on_sigint)
    bar: Any = None
    try:

        def progress(p: BulkProgress) -> None:
            nonlocal bar
            if bar is None:
                bar = click.progressbar(length=p.total, label=f"job {p.job_id}", show_pos=True)
                bar.__enter__()
            bar.update(p.done - bar.pos)

        window = RECONCILE_WINDOW if reconcile_window is None else timedelta(seconds=reconcile_window)
        result = BulkSender(svc.processor, reconcile_window=window).run(
            csv_path, name, language, progress=progress, stop=lambda: interrupted["stop"], again=again,
            resend_unresolved=resend_unresolved, skip_unresolved=skip_unresolved,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.__exit__(None, None, None)
    for line, phone, message_id in result.unresolved_rows:
        click.echo(f"unresolved: line {line}, {phone}" + (f" (message {message_id})" if message_id else ""))
    extra = "".join(f", {n} {what}" for n, what in ((result.unresolved, "unresolved"),
                                                    (result.skipped, "skipped")) if n)
    click.echo(
        f"job {result.job_id}: {result.sent} sent, {result.failed} failed, {result.unknown} unknown"
        f"{extra} of {result.total}"
    )
    if interrupted["stop"]:
        click.echo("interrupted: run the same command again to resume")
        raise SystemExit(130)
    if result.unresolved or result.unknown:
        click.echo(
            f"job {result.job_id} is not finished: {result.unresolved + result.unknown} answer(s) were lost "
            "and no status webhook named them; Meta may or may not have sent them. Check with the "
            "recipients or in WhatsApp Manager, then run the same command with --resend-unresolved "
            "or --skip-unresolved (a receiver that comes back later still resolves them)",
            err=True,
        )
        raise SystemExit(3)
