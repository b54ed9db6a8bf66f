"""Inbound media fetched once into a private cache, checked against its checksum, pruned."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.media_rules import check_message_file
from easymo_core.config import sandbox_defaults as sd
from easymo_core.media.cache import MediaCache, MediaIntegrityError
from easymo_core.media.inbound import InboundMedia, inbound_media
from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.server import SandboxServer
from tests.media.files import pdf_bytes, png_bytes, write


class Counting:
    """The client, counting the times it is asked (a cache hit asks nothing)."""

    def __init__(self, client: CloudAPIClient) -> None:
        self.client, self.calls = client, 0

    def media_info(self, media_id: str):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.client.media_info(media_id)

    def download_media(self, url: str, *, max_bytes: int) -> bytes:
        return self.client.download_media(url, max_bytes=max_bytes)


@pytest.fixture(scope="module")
def client() -> Iterator[CloudAPIClient]:
    server = SandboxServer(SandboxConfig(port=0, webhook_url=None))
    server.start()
    with CloudAPIClient(access_token=sd.SANDBOX_TOKEN, phone_number_id=sd.SANDBOX_PHONE_NUMBER_ID,
                        waba_id=sd.SANDBOX_WABA_ID, base_url=server.base_url) as c:
        yield c
    server.stop()


def _uploaded(client: CloudAPIClient, path: Path, kind: str) -> InboundMedia:
    media_id = client.upload_media(check_message_file(kind, path))
    mime = check_message_file(kind, path).mime_type
    return InboundMedia(kind, media_id, mime, hashlib.sha256(path.read_bytes()).hexdigest(),
                        caption=None, filename="../../evil name.exe")


def test_inbound_media_is_read_from_the_stored_payload() -> None:
    media = inbound_media({"type": "document", "document": {
        "id": "123", "mime_type": "application/pdf", "sha256": "ab", "filename": "a.pdf", "caption": "c"}})
    assert media == InboundMedia("document", "123", "application/pdf", "ab", "c", "a.pdf")
    assert inbound_media({"type": "audio", "audio": {"id": "9", "mime_type": "audio/ogg", "voice": True}}
                         ).voice  # type: ignore[union-attr]
    assert inbound_media({"type": "text", "text": {"body": "hi"}}) is None
    assert inbound_media({"type": "image", "image": {}}) is None and inbound_media(None) is None


def test_fetched_once_named_by_id_private_and_checked(client: CloudAPIClient, tmp_path: Path) -> None:
    source = Counting(client)
    cache = MediaCache(tmp_path / "media", source)
    pdf = write(tmp_path / "in.pdf", pdf_bytes())
    media = _uploaded(client, pdf, "document")
    got = cache.fetch(media)
    assert got.path.read_bytes() == pdf.read_bytes() and got.size == pdf.stat().st_size
    assert got.path.name == f"{media.media_id}.pdf"  # never the sender's own file name
    if sys.platform != "win32":
        assert stat.S_IMODE(got.path.stat().st_mode) == 0o600
    assert cache.fetch(media) == got and source.calls == 1  # the second look asks Meta nothing
    tampered = InboundMedia("image", client.upload_media(
        check_message_file("image", write(tmp_path / "a.png", png_bytes()))), "image/png", "00" * 32,
        None, None)
    with pytest.raises(MediaIntegrityError, match="does not match its checksum"):
        cache.fetch(tampered)
    assert cache.cached(tampered) is None and not list((tmp_path / "media").glob("*.part"))
    with pytest.raises(MediaIntegrityError, match="not one Meta gives"):
        cache.fetch(InboundMedia("image", "../x", "image/png", None, None, None))


def test_pruned_by_age_then_oldest_first_under_the_cap(tmp_path: Path) -> None:
    now = [1_000_000.0]
    cache = MediaCache(tmp_path, source=None, max_bytes=250, max_age_s=100,  # type: ignore[arg-type]
                       clock=lambda: now[0])
    for name, age in (("old.png", 500), ("a.png", 30), ("b.png", 20), ("c.png", 10)):
        path = tmp_path / name
        path.write_bytes(b"x" * 100)
        os.utime(path, (now[0] - age, now[0] - age))
    assert cache.prune() == 2  # old.png by age, then a.png (the oldest) to get under 250 bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.png", "c.png"]
