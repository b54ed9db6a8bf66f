"""A customer's image and document in the conversation view: fetched in a worker when shown,
the image drawn inline, the document a named card that opens only on the admin's click."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices

from tests.gui.conftest import USER, control
from tests.media.files import png_bytes

pytestmark = pytest.mark.gui


def test_inbound_image_and_document_show_in_the_conversation(
        qtbot: Any, window: Any, stack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    picture = png_bytes(30, 20, (10, 120, 200))
    control(stack, "inbound", {"from": USER, "media": {
        "type": "image", "caption": "My cat", "mime_type": "image/png",
        "data_base64": base64.b64encode(picture).decode()}})
    control(stack, "inbound", {"from": USER, "media": {"type": "document", "filename": "../report.pdf"}})
    window.navigate("messages")
    page = window.page("messages")
    page.apply_filters()
    qtbot.waitUntil(lambda: any(r.type == "document" for r in page.model.rows()), timeout=15_000)
    page.select_message(next(r for r in page.model.rows() if r.type == "document").id)
    page.open_conversation()
    view = page.conversation
    qtbot.waitUntil(lambda: len(view.attachments) == 2, timeout=15_000)
    image = next(a for a in view.attachments if a.media.kind == "image")
    document = next(a for a in view.attachments if a.media.kind == "document")
    # Fetched by a worker, then shown: the picture inline, scaled, and no Open button for it.
    qtbot.waitUntil(lambda: image.path is not None and document.path is not None, timeout=15_000)
    assert image.path.read_bytes() == picture
    assert not image.picture.isHidden() and image.picture.pixmap().width() > 0
    assert image.open_button.isHidden() and "Photo" in image.title.text()
    # The document is a card: its sender's name as text, opened only when the admin clicks.
    assert "“../report.pdf”" in document.title.text() and "PDF" in document.title.text()
    assert document.path.name.endswith(".pdf") and "report" not in document.path.name
    assert opened == []
    qtbot.mouseClick(document.open_button, Qt.MouseButton.LeftButton)
    assert opened == [str(document.path)]
    saved = document.save_as(str(tmp_path / "saved.pdf"))
    assert saved is not None and saved.read_bytes() == document.path.read_bytes()
