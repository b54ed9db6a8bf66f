"""Template header samples through Meta's Resumable Upload API: the client against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.errors import GraphAPIError
from easymo_core.cloudapi.media_rules import check_header_sample
from easymo_core.config import sandbox_defaults as sd
from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.server import SandboxServer
from tests.media.files import pdf_bytes, png_bytes, write


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(SandboxConfig(port=0, webhook_url=None))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[CloudAPIClient]:
    with CloudAPIClient(access_token=sd.SANDBOX_TOKEN, phone_number_id=sd.SANDBOX_PHONE_NUMBER_ID,
                        waba_id=sd.SANDBOX_WABA_ID, base_url=sandbox.base_url) as c:
        yield c


def test_a_sample_uploads_in_parts_and_yields_a_handle_for_the_same_bytes(
        sandbox: SandboxServer, client: CloudAPIClient, tmp_path: Path) -> None:
    data = png_bytes(40, 30)
    sample = check_header_sample("IMAGE", write(tmp_path / "banner.png", data))
    handle = client.upload_sample(sd.SANDBOX_APP_ID, sample, part=100)
    stored = sandbox.runtime.uploads.live(handle)
    assert stored is not None and stored.data == data and stored.file_type == "image/png"
    assert stored.file_name == "banner.png"


def test_an_interrupted_upload_resumes_from_the_offset_the_server_reports(
        sandbox: SandboxServer, client: CloudAPIClient, tmp_path: Path) -> None:
    data = pdf_bytes("resumed")
    sample = check_header_sample("DOCUMENT", write(tmp_path / "terms.pdf", data))
    session = client.start_upload(sd.SANDBOX_APP_ID, sample)
    assert client.upload_part(session, data[:50], 0) is None  # then the connection "dropped"
    assert client.upload_offset(session) == 50
    with pytest.raises(GraphAPIError, match="does not match the 50 bytes received"):
        client.upload_part(session, data[10:], 10)  # a wrong offset is refused, not appended
    handle = client.upload_sample(sd.SANDBOX_APP_ID, sample, session=session)
    stored = sandbox.runtime.uploads.live(handle)
    assert stored is not None and stored.data == data


def test_the_upload_api_refuses_what_meta_refuses(sandbox: SandboxServer) -> None:
    base = f"{sandbox.base_url}/{sd.SANDBOX_GRAPH_VERSION}"
    auth = {"Authorization": f"OAuth {sd.SANDBOX_TOKEN}"}
    ok = {"file_name": "a.png", "file_length": "10", "file_type": "image/png"}
    with httpx.Client(timeout=10) as http:
        assert http.post(f"{base}/{sd.SANDBOX_APP_ID}/uploads", params=ok, headers=auth).status_code == 200
        gif = http.post(f"{base}/{sd.SANDBOX_APP_ID}/uploads", params={**ok, "file_type": "image/gif"},
                        headers=auth)
        assert gif.status_code == 400 and gif.json()["error"]["code"] == 100
        assert http.post(f"{base}/{sd.SANDBOX_APP_ID}/uploads", params=ok).status_code == 401
        wrong = http.post(f"{base}/{sd.SANDBOX_APP_ID}/uploads", params=ok,
                          headers={"Authorization": "OAuth nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == 190
        other_app = http.post(f"{base}/999/uploads", params=ok, headers=auth)
        assert other_app.status_code == 400 and other_app.json()["error"]["code"] == 100
        gone = http.get(f"{base}/upload:bm9uZQ", headers=auth)
        assert gone.status_code == 400 and "does not exist" in gone.json()["error"]["message"]


def test_handles_expire_and_must_fit_the_header(sandbox: SandboxServer, client: CloudAPIClient,
                                              tmp_path: Path) -> None:
    store = sandbox.runtime.uploads
    png = check_header_sample("IMAGE", write(tmp_path / "b.png", png_bytes()))
    handle = client.upload_sample(sd.SANDBOX_APP_ID, png)
    assert handle.startswith("4::aW1hZ2UvcG5n:") and handle.endswith(f":{sd.SANDBOX_APP_ID}")
    header = {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": [handle]}}
    assert store.header_handle_problem([header]) == (
        "the header sample is a image/png file; a DOCUMENT header takes application/pdf")
    assert store.header_handle_problem([{**header, "format": "IMAGE"}]) is None
    stored = store.handles[handle]
    store.handles[handle] = stored.__class__(stored.file_name, stored.file_type, stored.data,
                                             store.clock() - 1)
    assert store.live(handle) is None
    assert "expired" in (store.header_handle_problem([{**header, "format": "IMAGE"}]) or "")


def test_the_sandbox_refuses_a_template_whose_sample_does_not_fit_its_header(
        client: CloudAPIClient, tmp_path: Path) -> None:
    handle = client.upload_sample(sd.SANDBOX_APP_ID,
                                  check_header_sample("IMAGE", write(tmp_path / "c.png", png_bytes())))
    definition = {"name": "receipt_doc", "language": "en_US", "category": "UTILITY", "components": [
        {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": [handle]}},
        {"type": "BODY", "text": "Your receipt is attached above, thank you for shopping with us."}]}
    with pytest.raises(GraphAPIError, match="a DOCUMENT header takes application/pdf") as err:
        client.create_template(definition)
    assert err.value.code == 100
