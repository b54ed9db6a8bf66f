"""The composer's Media tab: an image, video, document or voice note from a file or a link.

The file is checked against Meta's types and sizes as soon as it is chosen (its first bytes and
its size: fast enough for the UI thread); the upload and the send happen in the worker that
runs the sender, through the processor like every message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.models.preview_data import PreviewMessage
from app.views.composer_forms import _ANY_NUMBER, Issue, MessageForm, Sender
from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.media_rules import MediaFile, check_message_file
from easymo_core.cloudapi.payloads import media_message

KINDS = (("Image", "image"), ("Video", "video"), ("Document", "document"), ("Audio", "audio"))
_HEADER = {"image": "IMAGE", "video": "VIDEO", "document": "DOCUMENT"}
_FILTERS = {
    "image": "Images (*.jpg *.jpeg *.png)",
    "video": "Videos (*.mp4 *.3gp)",
    "document": "Documents (*.pdf *.txt *.doc *.docx *.xls *.xlsx *.ppt *.pptx)",
    "audio": "Audio (*.aac *.amr *.mp3 *.m4a *.ogg *.opus)",
}


class MediaForm(MessageForm):
    kind = "media"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName("Media type")
        for label, kind in KINDS:
            self.kind_box.addItem(label, kind)
        self.field("type", "Type", self.kind_box)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.file = QLineEdit()
        self.file.setPlaceholderText("A file on this computer")
        self.file.setAccessibleName("File")
        self.choose = QPushButton("Choose…")
        self.choose.setToolTip("Pick the file to send; it is checked, then uploaded when you send")
        self.choose.clicked.connect(self.pick_file)
        line.addWidget(self.file, 1)
        line.addWidget(self.choose)
        self.field("file", "File", row)
        self.link = QLineEdit()
        self.link.setPlaceholderText("https://… (instead of a file)")
        self.link.setAccessibleName("Link")
        self.field("link", "Or a public link", self.link)
        self.caption = QLineEdit()
        self.caption.setPlaceholderText("Optional text under the media")
        self.caption.setAccessibleName("Caption")
        self.caption_error = self.field("caption", "Caption", self.caption)
        self.filename = QLineEdit()
        self.filename.setPlaceholderText("Default: the file's own name")
        self.filename.setAccessibleName("File name the customer sees")
        self.field("filename", "File name the customer sees", self.filename)
        self.finish()
        for edit in (self.file, self.link, self.caption, self.filename):
            edit.textChanged.connect(self.changed)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    # -- fields ------------------------------------------------------------------------
    @property
    def media_kind(self) -> str:
        return str(self.kind_box.currentData())

    def _kind_changed(self) -> None:
        kind = self.media_kind
        # Audio takes no caption, only documents a file name (Meta's media objects).
        self.caption.setEnabled(kind != "audio")
        self.filename.setEnabled(kind == "document")
        self.changed.emit()

    def pick_file(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Choose the file to send", str(Path.home()),
                                                  _FILTERS[self.media_kind] + ";;All files (*)")
        if path:
            self.file.setText(path)
            self.touched = True

    def checked_file(self) -> MediaFile | None:
        """The chosen file checked for this kind; PayloadError when it does not fit."""
        text = self.file.text().strip()
        return check_message_file(self.media_kind, text) if text else None

    # -- the form's contract ---------------------------------------------------------
    def validate(self) -> list[Issue]:
        kind, link = self.media_kind, self.link.text().strip()
        if not self.file.text().strip() and not link:
            return [Issue("file", "Choose a file or give a link")]
        if self.file.text().strip() and link:
            return [Issue("link", "Give a file or a link, not both")]
        try:
            checked = self.checked_file()
            media_message(_ANY_NUMBER, kind, media_id="0" if checked else None, link=link or None,
                          caption=self._caption(), filename=self._filename(checked))
        except PayloadError as exc:
            return [Issue(exc.field if exc.field in ("caption", "filename", "link") else "file", exc.message)]
        return []

    def _caption(self) -> str | None:
        return (self.caption.text() or None) if self.media_kind != "audio" else None

    def _filename(self, checked: MediaFile | None) -> str | None:
        if self.media_kind != "document":
            return None
        return self.filename.text().strip() or (checked.name if checked else None)

    def preview(self) -> PreviewMessage:
        kind = self.media_kind
        path = self.file.text().strip()
        name = self.filename.text().strip() or (Path(path).name if path else None)
        if kind == "audio":
            shown = f"🎤 {name}" if name else ""
            return PreviewMessage(body=shown, placeholder="Choose an audio file to preview it")
        if not path and not self.link.text().strip():
            return PreviewMessage(placeholder=f"Choose a {kind} to preview it")
        return PreviewMessage(header_media=_HEADER[kind],  # type: ignore[arg-type]
                              media_path=path if kind == "image" and path else None,
                              media_name=name if kind == "document" else None,
                              body=self._caption() or "")

    def send_call(self) -> Sender:
        kind, link = self.media_kind, self.link.text().strip() or None
        checked = None if link else self.checked_file()
        caption, filename = self._caption(), self._filename(checked)

        def send(processor: Any, to: str) -> Any:
            # Runs in the worker: the upload is network, like the send after it.
            media_id = processor.client.upload_media(checked) if checked is not None else None
            return processor.send_media(
                to, kind, media_id=media_id, link=link, caption=caption, filename=filename,
                source="composer")

        return send

