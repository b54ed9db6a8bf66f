"""Upload a media header's sample for a profile: the file checked against the header's format,
then sent through Meta's Resumable Upload API with the profile's app id; returns the handle.

One function for the editor and anything else that uploads a sample from a path."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from easymo_core.cloudapi.media_rules import MediaFile, check_header_sample
from easymo_core.errors import ConfigError


class SampleUploader(Protocol):
    def upload_sample(self, app_id: str, file: MediaFile) -> str: ...


def upload_sample_file(path: str | Path, header_format: str, app_id: str, uploader: SampleUploader) -> str:
    checked = check_header_sample(header_format, path)
    if not app_id:
        raise ConfigError("this profile has no app id, which Meta's upload of template samples needs",
                          hint="find it in Meta's App Dashboard and run `easymo profile add NAME "
                               "--replace --app-id ID ...` (or set EASYMO_APP_ID)")
    return uploader.upload_sample(app_id, checked)
