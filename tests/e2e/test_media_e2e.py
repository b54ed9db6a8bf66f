"""Media end to end on the sandbox, as a user runs it from the CLI: a template with an image
header created from a PNG, approved and sent with an image; a PDF sent as a document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack, run, wait_for
from tests.media.files import pdf_bytes, png_bytes, write

pytestmark = pytest.mark.slow

PROMO = {
    "name": "promo_banner", "language": "en_US", "category": "MARKETING",
    "components": [
        {"type": "HEADER", "format": "IMAGE"},
        {"type": "BODY", "text": "Hi {{1}}, this week's offer is in the picture.",
         "example": {"body_text": [["Ana"]]}},
    ],
}






def _template_status(capsys: pytest.CaptureFixture[str]) -> str | None:
    run(capsys, "templates", "sync")
    _, out, _ = run(capsys, "templates", "list", "--json")
    return next((t["status"] for t in json.loads(out) if t["name"] == PROMO["name"]), None)


def test_an_image_header_template_from_a_png_is_approved_and_sent_with_the_image(
        cli_env: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = write(tmp_path / "banner.png", png_bytes(64, 32))
    definition = write(tmp_path / "promo.json", json.dumps(PROMO).encode())
    code, out, err = run(capsys, "templates", "create", str(definition), "--header-sample", str(png))
    assert code == 0, err
    assert "submitted: PENDING" in out
    stored = next(t for t in cli_env.sandbox.runtime.state.templates.values() if t.name == PROMO["name"])
    handle = stored.components[0]["example"]["header_handle"][0]
    uploaded = cli_env.sandbox.runtime.uploads.live(handle)  # the sample reviewers would see
    assert uploaded is not None and uploaded.data == png.read_bytes()
    wait_for(lambda: _template_status(capsys) == "APPROVED", 20, "the review")
    code, out, err = run(capsys, "send", "template", "--to", "+15550003333", "--name", PROMO["name"],
                         "--lang", "en_US", "--param", "Ana", "--header-media", str(png), "--json")
    assert code == 0, err
    sent_out = out
    assert json.loads(out)["status"] == "accepted"
    code, out, _ = run(capsys, "messages", "list", "--json")
    row = next(m for m in json.loads(out) if m["wamid"] == json.loads(sent_out)["wamid"])
    code, out, _ = run(capsys, "messages", "show", row["wamid"], "--json")
    header = json.loads(out)["message"]["payload"]["template"]["components"][0]
    assert header["type"] == "header" and header["parameters"][0]["type"] == "image"
    info = cli_env.services.client.media_info(header["parameters"][0]["image"]["id"])
    assert cli_env.services.client.download_media(info.url, max_bytes=10**6) == png.read_bytes()


def test_a_pdf_goes_out_as_a_document_with_its_caption_and_comes_back_whole(
        cli_env: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = write(tmp_path / "invoice-42.pdf", pdf_bytes("Invoice 42"))
    cli_env.control("inbound", **{"from": "15550004444", "text": "my invoice please"})
    code, out, err = run(capsys, "send", "document", "--to", "+15550004444", "--file", str(pdf),
                         "--caption", "Your invoice", "--wait", "--timeout", "20", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] in ("delivered", "read")
    code, out, _ = run(capsys, "messages", "show", result["wamid"], "--json")
    message = json.loads(out)["message"]
    assert message["type"] == "document" and message["body"] == "Your invoice"
    # What the sandbox received is the PDF, byte for byte.
    client = cli_env.services.client
    document = message["payload"]["document"]
    assert document["caption"] == "Your invoice" and document["filename"] == "invoice-42.pdf"
    info = client.media_info(document["id"])
    assert info.mime_type == "application/pdf"
    assert client.download_media(info.url, max_bytes=10**6) == pdf.read_bytes()
    code, _, err = run(capsys, "send", "image", "--to", "+15550004444", "--file", str(pdf))
    assert code == 1 and "an image message takes image/jpeg, image/png" in err and err.count("\n") == 1


def test_an_inbound_image_and_document_are_stored_and_fetched_into_the_cache(
        cli_env: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from easymo_core.media.cache import MediaCache
    from easymo_core.media.inbound import inbound_media

    photo = write(tmp_path / "cat.png", png_bytes(8, 8, (200, 120, 40)))
    base = ["sandbox", "inbound", "--url", cli_env.sandbox.base_url, "--from", "+15550005555"]
    assert run(capsys, *base, "--media", "image", "--file", str(photo), "--caption", "My cat")[0] == 0
    assert run(capsys, *base, "--media", "document", "--filename", "report.pdf")[0] == 0

    def inbound() -> list[dict[str, object]]:
        _, out, _ = run(capsys, "messages", "list", "--direction", "in", "--json")
        return [m for m in json.loads(out) if m["type"] in ("image", "document")]

    rows = wait_for(lambda: len(inbound()) == 2 and inbound(), 15, "the inbound media")
    cache = MediaCache(tmp_path / "cache", cli_env.services.client)
    by_type = {}
    for row in rows:
        _, out, _ = run(capsys, "messages", "show", str(row["wamid"]), "--json")
        media = inbound_media(json.loads(out)["message"]["payload"])
        assert media is not None
        by_type[media.kind] = (media, cache.fetch(media))
    image, image_file = by_type["image"]
    assert image.caption == "My cat" and image_file.path.read_bytes() == photo.read_bytes()
    document, document_file = by_type["document"]
    assert document.filename == "report.pdf" and document_file.path.suffix == ".pdf"
    assert document_file.path.read_bytes().startswith(b"%PDF")
