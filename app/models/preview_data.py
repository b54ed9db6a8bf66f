"""What the WhatsApp preview draws, as plain data (no Qt): one outgoing message and replies.

Views build it from a rendered template (``easymo_core.templates.render``), from the
composer's fields or from a stored message; the widget only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Ticks drawn under the bubble: clock, ✓, ✓✓, blue ✓✓, or a red "!".
TickState = Literal["queued", "accepted", "sent", "delivered", "read", "failed"]
ButtonKind = Literal["quick_reply", "url", "phone", "copy_code", "flow", "reply", "other"]
MediaKind = Literal["IMAGE", "VIDEO", "DOCUMENT", "LOCATION"]


@dataclass(frozen=True)
class PreviewButton:
    kind: ButtonKind
    text: str


@dataclass(frozen=True)
class PreviewRow:
    title: str
    description: str = ""


@dataclass(frozen=True)
class PreviewSection:
    title: str
    rows: tuple[PreviewRow, ...]


@dataclass(frozen=True)
class PreviewReply:
    """A message from the user under the bubble: typed text, a tapped button or list row."""

    kind: Literal["text", "button", "list"]
    text: str
    time: str = ""
    description: str = ""


@dataclass(frozen=True)
class PreviewMessage:
    body: str = ""  # WhatsApp markup: *bold* _italic_ ~strike~ ```mono```
    header_text: str | None = None
    header_media: MediaKind | None = None
    # A local picture to draw in an IMAGE header (a file the admin chose), and the name a
    # DOCUMENT header shows; without them the header is drawn as a placeholder.
    media_path: str | None = None
    media_name: str | None = None
    footer: str | None = None
    buttons: tuple[PreviewButton, ...] = ()
    list_button: str | None = None  # list messages: the text of the button opening the sheet
    sections: tuple[PreviewSection, ...] = ()
    time: str = ""
    ticks: TickState | None = None
    replies: tuple[PreviewReply, ...] = field(default=())
    show_sheet: bool = False  # draw the list's bottom sheet, as after tapping its button
    placeholder: str = ""  # shown instead of a bubble when there is nothing to draw
    date_label: str = "TODAY"  # the chip above the bubbles; "" for none (a chat's later groups)

    @property
    def is_empty(self) -> bool:
        return not (self.body or self.header_text or self.header_media or self.footer
                    or self.buttons or self.list_button)
