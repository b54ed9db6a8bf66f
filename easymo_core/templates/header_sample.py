"""A media header's sample: the file Meta's reviewers look at, given to a template definition as
the handle the Resumable Upload API answered (``example.header_handle``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from easymo_core.errors import EasymoError
from easymo_core.templates.sample_upload import SampleUploader, upload_sample_file


def media_header_format(definition: Mapping[str, Any]) -> str | None:
    """IMAGE, VIDEO or DOCUMENT when the Graph definition has such a header, else None."""
    for component in definition.get("components") or ():
        if isinstance(component, Mapping) and str(component.get("type", "")).upper() == "HEADER":
            fmt = str(component.get("format", "")).upper()
            return fmt if fmt in ("IMAGE", "VIDEO", "DOCUMENT") else None
    return None


def with_header_handle(definition: Mapping[str, Any], handle: str) -> dict[str, Any]:
    """A copy of ``definition`` whose media header's example is ``handle``."""
    result = copy.deepcopy(dict(definition))
    for component in result.get("components") or ():
        if str(component.get("type", "")).upper() == "HEADER":
            example = dict(component.get("example") or {})
            example["header_handle"] = [handle]
            component["example"] = example
            return result
    raise EasymoError("the template has no header to take a sample",
                      hint='add a HEADER component with "format": "IMAGE", "VIDEO" or "DOCUMENT"')


def upload_header_sample(definition: Mapping[str, Any], sample: str | Path, app_id: str,
                         uploader: SampleUploader) -> dict[str, Any]:
    """Check ``sample`` against the header's format, upload it, and return the definition
    carrying its handle; nothing is uploaded when the file does not fit."""
    fmt = media_header_format(definition)
    if fmt is None:
        raise EasymoError("a header sample needs a template whose header is IMAGE, VIDEO or DOCUMENT",
                          hint='set the HEADER component\'s "format", or leave out --header-sample')
    return with_header_handle(definition, upload_sample_file(sample, fmt, app_id, uploader))
