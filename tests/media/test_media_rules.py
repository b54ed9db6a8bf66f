"""Files are checked against Meta's media types and sizes before anything is uploaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.media_rules import (
    MB,
    check_header_sample,
    check_message_file,
    sniff_type,
)
from easymo_core.cloudapi.payloads import media_message, validate_message
from tests.media.files import pdf_bytes, png_bytes, write


def test_types_come_from_the_bytes_not_only_the_name(tmp_path: Path) -> None:
    assert sniff_type(png_bytes()) == "image/png"
    assert sniff_type(pdf_bytes()) == "application/pdf"
    assert check_message_file("image", write(tmp_path / "a.png", png_bytes())).mime_type == "image/png"
    doc = check_message_file("document", write(tmp_path / "invoice.pdf", pdf_bytes()))
    assert (doc.mime_type, doc.name, doc.size) == ("application/pdf", "invoice.pdf", len(pdf_bytes()))
    disguised = write(tmp_path / "photo.png", pdf_bytes())
    with pytest.raises(PayloadError, match=r"photo\.png is a application/pdf file; an image message takes"):
        check_message_file("image", disguised)
    # A text document has no signature: its name decides.
    assert check_message_file("document", write(tmp_path / "notes.txt", b"hi")).mime_type == "text/plain"


def test_sizes_emptiness_and_unknown_types_are_refused_with_what_to_do(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes() + b"\0" * (5 * MB))
    with pytest.raises(PayloadError, match=r"big.png is 5.0 MB; an image message takes at most 5 MB") as err:
        check_message_file("image", big)
    assert "smaller" in err.value.explanation
    with pytest.raises(PayloadError, match="is empty"):
        check_message_file("document", write(tmp_path / "empty.txt", b""))
    with pytest.raises(PayloadError, match="of a type WhatsApp does not take"):
        check_message_file("document", write(tmp_path / "run.exe", b"MZ\x90\x00"))
    with pytest.raises(PayloadError, match="is not a file"):
        check_message_file("image", tmp_path / "missing.png")
    with pytest.raises(PayloadError, match="a template IMAGE header sample takes image/jpeg, image/png"):
        check_header_sample("IMAGE", write(tmp_path / "x.pdf", pdf_bytes()))
    with pytest.raises(PayloadError, match="a TEXT header takes no media sample"):
        check_header_sample("TEXT", write(tmp_path / "y.png", png_bytes()))


def test_media_messages_as_meta_takes_them() -> None:
    p = media_message("+15551234567", "document", media_id="123", caption="Your invoice",
                      filename="invoice.pdf", biz_opaque_callback_data="k1")
    assert p["type"] == "document" and p["to"] == "15551234567"
    assert p["document"] == {"id": "123", "caption": "Your invoice", "filename": "invoice.pdf"}
    assert validate_message(p)["document"]["id"] == "123"
    assert media_message("15551234567", "image", link="https://example.com/a.png")["image"] == {
        "link": "https://example.com/a.png"}
    with pytest.raises(PayloadError, match="takes no caption"):
        media_message("15551234567", "audio", media_id="1", caption="hi")
    with pytest.raises(PayloadError, match="only a document carries a file name"):
        media_message("15551234567", "image", media_id="1", filename="a.png")
    with pytest.raises(PayloadError, match="either a link or a media id"):
        media_message("15551234567", "video")
    with pytest.raises(PayloadError, match="caption"):
        media_message("15551234567", "image", media_id="1", caption="x" * 1025)
