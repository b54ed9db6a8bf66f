"""`easymo send image|video|document|audio`: a file is checked against Meta's types and sizes,
uploaded to the number's media, then sent by its media id; ``--link`` sends a public URL instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from easymo_core.cli.context import acts, state
from easymo_core.cli.send_cmd import _common, _report, send


def _media_command(kind: str, *, captioned: bool) -> None:
    def command(to: str, reply_to: str | None, idempotency_key: str | None, wait: bool,
                timeout: float, as_json: bool, file: Path | None, link: str | None,
                caption: str | None = None, filename: str | None = None) -> None:
        from easymo_core.cloudapi.media_rules import check_message_file

        if (file is None) == (link is None):
            raise click.UsageError("give either --file PATH or --link URL")
        checked = check_message_file(kind, file) if file is not None else None
        services = state().services()
        media_id = services.client.upload_media(checked) if checked is not None else None
        if kind == "document" and filename is None and checked is not None:
            filename = checked.name
        out = services.processor.send_media(
            to, kind, media_id=media_id, link=link, caption=caption, filename=filename,
            reply_to=reply_to, idempotency_key=idempotency_key, source="cli",
        )
        _report(out, wait, timeout, as_json)

    options: list[Any] = [
        click.option("--file", type=click.Path(dir_okay=False, path_type=Path),
                     help="A file to upload, then send (checked against Meta's types and sizes)."),
        click.option("--link", metavar="URL", help="A public https:// URL to send instead of a file."),
    ]
    if captioned:
        options.append(click.option("--caption", help="Text under the media (at most 1,024 characters)."))
    if kind == "document":
        options.append(click.option("--filename", help="The name the recipient sees (default: the file's)."))
    for option in reversed(options):
        command = option(command)
    article = "an" if kind[0] in "aeiou" else "a"
    command.__doc__ = (f"Send {article} {kind} message: a file (uploaded first) or a link, "
                       "inside the contact's 24-hour window.")
    send.command(name=kind)(_common(acts("send messages")(command)))


for _kind in ("image", "video", "document"):
    _media_command(_kind, captioned=True)
_media_command("audio", captioned=False)
