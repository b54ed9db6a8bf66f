"""A customer's image, sticker, voice note, video or document under its chat bubble.

The file is fetched by the caller's loader (a worker: never on the UI thread) only when the
attachment is shown, from the media cache. An image or sticker is drawn inline; a document,
video or voice note is a named card whose file opens only when the admin clicks "Open", or is
saved where the admin chooses. Nothing a stranger sends is opened on its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from easymo_core.media.inbound import InboundMedia

# (media, on_result(CachedMedia), on_error(Exception)): runs the fetch in a worker.
MediaLoader = Callable[[InboundMedia, Callable[[Any], None], Callable[[Exception], None]], None]
THUMB_PX = 220
_KIND_WORDS = {"image": "Photo", "sticker": "Sticker", "audio": "Voice note", "video": "Video",
               "document": "Document"}


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def describe(media: InboundMedia) -> str:
    """The card's title: what it is, and the sender's name for a document (text only)."""
    word = "Voice note" if media.kind == "audio" and media.voice else _KIND_WORDS.get(media.kind, "File")
    if media.kind == "audio" and not media.voice:
        word = "Audio"
    kind = media.mime_type.split("/")[-1].upper() if media.mime_type else ""
    name = f" “{media.filename}”" if media.filename else ""
    return f"{word}{name}" + (f" · {kind}" if kind else "")


class MediaAttachment(QFrame):
    """One inbound media item; ``load`` fetches it through the worker pool."""

    def __init__(self, media: InboundMedia, load: MediaLoader | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MediaAttachment")
        self.media = media
        self.path: Path | None = None
        self._load = load
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 6, 10, 6)
        box.setSpacing(4)
        self.title = QLabel(describe(media))
        self.title.setObjectName("FieldLabel")
        self.title.setWordWrap(True)
        # The sender's file name is shown as plain text, never as markup.
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        box.addWidget(self.title)
        self.picture = QLabel("")
        self.picture.setAccessibleName(f"{_KIND_WORDS.get(media.kind, 'File')} from the customer")
        self.picture.hide()
        box.addWidget(self.picture)
        self.status = QLabel("Loading…" if load is not None else "Not available offline")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        box.addWidget(self.status)
        if media.caption:
            caption = QLabel(media.caption)
            caption.setTextFormat(Qt.TextFormat.PlainText)
            caption.setWordWrap(True)
            box.addWidget(caption)
        row = QHBoxLayout()
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the file with the program your system chooses")
        self.open_button.clicked.connect(self.open_file)
        self.save_button = QPushButton("Save as…")
        self.save_button.clicked.connect(self.save_as)
        for b in (self.open_button, self.save_button):
            b.setEnabled(False)
            row.addWidget(b)
        row.addStretch(1)
        box.addLayout(row)
        # Images are shown, not opened: no Open button for them.
        self.open_button.setVisible(media.kind not in ("image", "sticker"))
        if load is not None:
            load(media, self._loaded, self._failed)

    def _loaded(self, cached: Any) -> None:
        self.path = Path(cached.path)
        self.status.setText(_size(int(cached.size)))
        self.save_button.setEnabled(True)
        self.open_button.setEnabled(True)
        if self.media.kind in ("image", "sticker"):
            pixmap = QPixmap(str(self.path))
            if pixmap.isNull():
                self.status.setText("The picture cannot be shown (not an image Qt can read); save it instead")
                return
            self.picture.setPixmap(pixmap.scaled(THUMB_PX, THUMB_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation))
            self.picture.show()

    def _failed(self, exc: Exception) -> None:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        hint = getattr(exc, "hint", "") or ""
        self.status.setText(f"Could not fetch it: {message}" + (f" ({hint})" if hint else ""))

    def open_file(self) -> None:
        if self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))

    def save_as(self, target: str | None = None) -> Path | None:
        if self.path is None:
            return None
        if not target:
            # Only the last part of the sender's name: never a path they chose.
            name = Path(self.media.filename).name if self.media.filename else self.path.name
            suggested = Path.home() / name
            target, _ = QFileDialog.getSaveFileName(self, "Save the file", str(suggested))
            if not target:
                return None
        try:
            shutil.copyfile(self.path, target)
        except OSError as exc:
            self.status.setText(f"Could not save it: {exc.strerror or exc} ({target})")
            return None
        self.status.setText(f"Saved to {target}")
        return Path(target)
