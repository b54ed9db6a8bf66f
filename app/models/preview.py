"""PreviewMessage builders: a rendered template, a composer draft, a stored message.

Pure functions (no Qt), so the preview's content is tested without a window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from app.models.preview_data import (
    PreviewButton,
    PreviewMessage,
    PreviewReply,
    PreviewRow,
    PreviewSection,
    TickState,
)
from app.models.timeline import Timeline

BUTTON_KIND = {
    "QUICK_REPLY": "quick_reply",
    "URL": "url",
    "PHONE_NUMBER": "phone",
    "COPY_CODE": "copy_code",
    "FLOW": "flow",
}
_TICKS: dict[str, TickState] = {
    "queued": "queued",
    "accepted": "accepted",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}


def now_hhmm() -> str:
    return datetime.now().strftime("%H:%M")


def from_rendered(rendered: Any, **extra: Any) -> PreviewMessage:
    """A core RenderedMessage (easymo_core.templates.render) as a preview."""
    fmt = rendered.header_format
    media = fmt if fmt in ("IMAGE", "VIDEO", "DOCUMENT", "LOCATION") else None
    buttons = tuple(
        PreviewButton(BUTTON_KIND.get(b.kind, "other"), b.text)  # type: ignore[arg-type]
        for b in rendered.buttons
    )
    return PreviewMessage(
        body=rendered.body,
        header_text=rendered.header,
        header_media=media,
        footer=rendered.footer,
        buttons=buttons,
        time=extra.pop("time", now_hhmm()),
        **extra,
    )


def template_preview(defn: Any, params: Any = None, **extra: Any) -> PreviewMessage:
    from easymo_core.templates.render import render_preview

    return from_rendered(render_preview(defn, params), **extra)


def text_preview(body: str, **extra: Any) -> PreviewMessage:
    return PreviewMessage(body=body, time=extra.pop("time", now_hhmm()), **extra)


def buttons_preview(
    body: str, titles: Sequence[str], *, header: str | None = None, footer: str | None = None,
    **extra: Any,
) -> PreviewMessage:
    return PreviewMessage(
        body=body,
        header_text=header or None,
        footer=footer or None,
        buttons=tuple(PreviewButton("reply", t) for t in titles),
        time=extra.pop("time", now_hhmm()),
        **extra,
    )


def list_preview(
    body: str, button_text: str, sections: Iterable[tuple[str, Sequence[tuple[str, str]]]], *,
    header: str | None = None, footer: str | None = None, **extra: Any,
) -> PreviewMessage:
    return PreviewMessage(
        body=body,
        header_text=header or None,
        footer=footer or None,
        list_button=button_text or "Options",
        sections=tuple(
            PreviewSection(title, tuple(PreviewRow(t, d) for t, d in rows))
            for title, rows in sections
        ),
        time=extra.pop("time", now_hhmm()),
        **extra,
    )


def ticks_for(status: str | None) -> TickState | None:
    return _TICKS.get(status or "")


def replies_of(timeline: Timeline) -> tuple[PreviewReply, ...]:
    return tuple(
        PreviewReply(
            r.kind,
            r.text,
            r.at.strftime("%H:%M") if r.at else "",
            r.description,
        )
        for r in timeline.replies
    )
