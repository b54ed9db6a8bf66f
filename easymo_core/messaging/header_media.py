"""The media of a template's IMAGE, VIDEO or DOCUMENT header, from a file or a public link.

A file is checked against the header's format and Meta's sizes, then uploaded to the number's
media and sent by id; a link is sent as it is. Used by the CLI, the composer and bulk runs alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from easymo_core.cloudapi.media_rules import MediaFile, check_header_sample
from easymo_core.errors import EasymoError
from easymo_core.templates.params import Media
from easymo_core.templates.store import TemplateService


class MediaUploader(Protocol):
    def upload_media(self, file: MediaFile) -> str: ...


def is_link(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def header_media(value: str, *, template: str, language: str, templates: TemplateService,
                 uploader: MediaUploader) -> Media:
    """``value`` (a path or an http(s) link) as the header parameter of ``template``."""
    if is_link(value):
        return Media(link=value)
    record = templates.get(template, language)
    if record is None:
        raise EasymoError(f"template {template} ({language}) is not in the local copy",
                          hint="run `easymo templates sync`, then send again")
    header = record.definition.header
    fmt = header.format.upper() if header is not None else ""
    if fmt not in ("IMAGE", "VIDEO", "DOCUMENT"):
        raise EasymoError(f"template {template} ({language}) has no image, video or document header",
                          hint="leave out the header media, or pick a template with a media header")
    checked = check_header_sample(fmt, Path(value))
    filename = checked.name if fmt == "DOCUMENT" else None
    return Media(id=uploader.upload_media(checked), filename=filename)
