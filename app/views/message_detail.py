"""The log's detail pane: one message as the phone shows it, its statuses with Meta's
timestamps, latencies, the error explained, the fallback taken and the raw webhooks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.models.log_model import fmt_latency, fmt_phone
from app.models.log_preview import detail_preview
from app.models.preview_data import PreviewMessage
from app.widgets.badge import StatusBadge
from app.widgets.banner import Banner
from app.widgets.bubble import MessagePreview
from easymo_core.cloudapi.error_codes import explain

if TYPE_CHECKING:
    from easymo_core.services import Services

FALLBACKS = {
    "other_language": "Sent in another language: the template was not usable in the one asked.",
    "text_in_window": "Sent as plain text inside the 24-hour window: the template was not usable.",
}


@dataclass(frozen=True)
class LoadedDetail:
    """What the worker hands the pane: the MessageDetail and its preview, built off-thread."""

    detail: Any
    preview: PreviewMessage


def load_detail(services: Services, message_id: int) -> LoadedDetail:
    """Worker: the message, its events and replies, and the template to draw it with."""
    detail = services.messages.detail(message_id)
    m = detail.message
    template = None
    if m.get("type") == "template" and m.get("template_name"):
        try:
            template = services.templates.get(m["template_name"], m.get("template_language") or "")
        except Exception:
            template = None
    return LoadedDetail(detail, detail_preview(detail, template))


def _after(ms: int, what: str) -> str:
    # Meta's timestamps have one-second resolution: below that, say so rather than "0 ms".
    return f"within a second of {what}" if ms < 1000 else f"{fmt_latency(ms)} after {what}"


def _fmt(at: Any) -> str:
    if at is None:
        return "—"
    local = at.astimezone()
    this_year = local.year == datetime.now().year
    return local.strftime("%d %b %H:%M:%S" if this_year else "%d %b %Y %H:%M:%S")


class MessageDetailPane(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DetailPane")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.box = QVBoxLayout(body)
        self.box.setContentsMargins(4, 4, 8, 8)
        self.box.setSpacing(10)
        head = QGridLayout()
        self.heading = QLabel("Choose a message")
        self.heading.setObjectName("SectionTitle")
        self.heading.setWordWrap(True)
        self.badge = StatusBadge("")
        head.addWidget(self.heading, 0, 0)
        head.addWidget(self.badge, 0, 1, Qt.AlignmentFlag.AlignRight)
        self.sub = QLabel("")
        self.sub.setObjectName("Muted")
        self.sub.setWordWrap(True)
        self.sub.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(self.sub, 1, 0, 1, 2)
        self.box.addLayout(head)
        self.preview = MessagePreview()
        self.preview.setMinimumHeight(160)
        self.box.addWidget(self.preview)
        self.error = Banner("error", "")
        self.error.hide()
        self.box.addWidget(self.error)
        self.fallback = Banner("warning", "")
        self.fallback.hide()
        self.box.addWidget(self.fallback)
        self.statuses_title = QLabel("Statuses (Meta's timestamps)")
        self.statuses_title.setObjectName("SectionTitle")
        self.box.addWidget(self.statuses_title)
        self.statuses = QGridLayout()
        self.statuses.setHorizontalSpacing(14)
        self.statuses.setVerticalSpacing(4)
        self.box.addLayout(self.statuses)
        self.latency = QLabel("")
        self.latency.setObjectName("Muted")
        self.latency.setWordWrap(True)
        self.box.addWidget(self.latency)
        raw_title = QLabel("Raw webhook payloads")
        raw_title.setObjectName("SectionTitle")
        self.box.addWidget(raw_title)
        self.raw = QPlainTextEdit()
        self.raw.setTabChangesFocus(True)  # read only: Tab moves on to the next control
        self.raw.setObjectName("RawPayloads")
        self.raw.setReadOnly(True)
        self.raw.setMinimumHeight(140)
        self.raw.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.box.addWidget(self.raw)
        self.box.addStretch(1)
        self.setWidget(body)
        self.loaded: LoadedDetail | None = None
        self.clear()

    # -- API -------------------------------------------------------------------------
    def clear(self, text: str = "Choose a message in the log to see its history.") -> None:
        self.loaded = None
        self.heading.setText("No message chosen")
        self.sub.setText(text)
        self.badge.set_status("")
        self.preview.set_message(PreviewMessage(placeholder="No message chosen"))
        self.error.hide()
        self.fallback.hide()
        self._clear_statuses()
        self.latency.setText("")
        self.raw.setPlainText("")

    def show_loaded(self, loaded: LoadedDetail) -> None:
        self.loaded = loaded
        m = loaded.detail.message
        direction = "from" if m.get("direction") == "in" else "to"
        template = f" · {m['template_name']} ({m.get('template_language')})" if m.get("template_name") else ""
        who = fmt_phone(m.get("contact_wa_id", ""))
        self.heading.setText(f"{str(m.get('type', '')).capitalize()} {direction} {who}")
        wamid = str(m.get("wamid") or "")
        from app.models.timeline import short_id

        by = f" by {m['admin']}" if m.get("admin") else ""  # who of the team sent it
        self.sub.setText(f"#{m.get('id')}{template} · via {m.get('source')}{by}"
                         + (f"\nMeta's message id {short_id(wamid, 32)}" if wamid else ""))
        self.sub.setToolTip(wamid)
        self.badge.set_status(str(m.get("status") or ""))
        self.preview.set_message(loaded.preview)
        self._show_error(m, loaded.detail.events)
        fb = m.get("fallback")
        self.fallback.setVisible(bool(fb))
        if fb:
            self.fallback.set_text(f"Fallback taken: {FALLBACKS.get(fb, fb)}")
        self._show_statuses(m, loaded.detail.events)
        parts = []
        if m.get("delivery_latency_ms") is not None:
            parts.append(f"Delivered {_after(m['delivery_latency_ms'], 'sending')}")
        if m.get("read_latency_ms") is not None:
            parts.append(f"read {_after(m['read_latency_ms'], 'delivery')}")
        self.latency.setText(" · ".join(parts))
        self.latency.setVisible(bool(parts))
        raws = [e.get("raw") for e in loaded.detail.events if e.get("raw") is not None]
        self.raw.setPlainText("\n\n".join(json.dumps(r, indent=2, ensure_ascii=False, default=str)
                                          for r in raws)
                              or "No webhook payload stored for this message.")

    def step_statuses(self) -> list[str]:
        """The status names listed, in order (tests, accessibility)."""
        out = []
        for row in range(self.statuses.rowCount()):
            item = self.statuses.itemAtPosition(row, 0)
            if item is not None and item.widget() is not None:
                out.append(item.widget().text())  # type: ignore[union-attr]
        return out

    # -- parts -----------------------------------------------------------------------
    def _show_error(self, m: dict[str, Any], events: list[dict[str, Any]]) -> None:
        code = m.get("error_code")
        if code is None:
            code = next((e.get("error_code") for e in events if e.get("error_code")), None)
        if code is None and not m.get("error_detail"):
            self.error.hide()
            return
        title = m.get("error_title") or ""
        text = f"Error {code}: {title}" if code is not None else (m.get("error_detail") or "Failed")
        if code is not None:
            text += f"\n{explain(int(code))}"
        if m.get("error_detail") and m["error_detail"] not in text:
            text += f"\nMeta says: {m['error_detail']}"
        self.error.set_text(text)
        self.error.show()

    def _clear_statuses(self) -> None:
        while self.statuses.count():
            item = self.statuses.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()

    def _show_statuses(self, m: dict[str, Any], events: list[dict[str, Any]]) -> None:
        self._clear_statuses()
        rows: list[tuple[str, str, str]] = []
        # The console's own steps (no webhook for these), then what Meta reported.
        for key, label in (("queued", "queued"), ("accepted", "accepted"), ("received", "received")):
            if m.get(f"{key}_at") is not None:
                rows.append((label, _fmt(m[f"{key}_at"]), "easyMO" if key != "received" else ""))
        for e in events:
            extra = f"error {e['error_code']}" if e.get("error_code") else ""
            lag = ""
            if e.get("received_at") is not None and e.get("meta_ts") is not None:
                lag = f"webhook +{fmt_latency(int((e['received_at'] - e['meta_ts']).total_seconds() * 1000))}"
            rows.append((e["status"], _fmt(e["meta_ts"]), " · ".join(x for x in (lag, extra) if x)))
        if not events and m.get("direction") == "out":
            for key in ("sent", "delivered", "read", "failed"):
                if m.get(f"{key}_at") is not None:
                    rows.append((key, _fmt(m[f"{key}_at"]), "from the message row"))
        for i, (status, when, source) in enumerate(rows):
            name = QLabel(status)
            name.setObjectName("StatusName")
            at = QLabel(when)
            at.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            src = QLabel(source)
            src.setObjectName("Muted")
            src.setWordWrap(True)
            if source.startswith("webhook"):
                src.setToolTip("Meta's timestamp, and how much later its webhook reached us")
            self.statuses.addWidget(name, i, 0)
            self.statuses.addWidget(at, i, 1)
            self.statuses.addWidget(src, i, 2)
        self.statuses.setColumnStretch(2, 1)
