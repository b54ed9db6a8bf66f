"""Compose and test: send a text, a template, reply buttons or a list to a test number,
see it as WhatsApp shows it, and follow it live to the phone and back."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import shortcuts
from app.hub import Hub
from app.models.preview import replies_of, text_preview, ticks_for
from app.models.preview_data import PreviewMessage
from app.models.timeline import Timeline
from app.resources import icon
from app.tracker import MessageTracker
from app.views.composer_forms import ButtonsForm, ListForm, MessageForm, TextForm
from app.views.composer_media_form import MediaForm
from app.views.composer_template_form import TemplateForm
from app.views.page import Page, card
from app.views.recipient import RecipientField
from app.widgets.banner import Banner
from app.widgets.bubble import MessagePreview
from app.widgets.spinner import Spinner
from app.widgets.timeline import TimelineView
from app.workers import Jobs

if TYPE_CHECKING:
    from easymo_core.services import Services

SANDBOX_USERS = ("+15550100002", "+15550100003", "+15550100004")


class ComposerPage(Page):
    def __init__(
        self,
        services: Services,
        jobs: Jobs,
        hub: Hub,
        *,
        profile_name: str,
        sandbox: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Compose",
            "Send a test message and follow it from the outbox to the phone.",
            parent,
        )
        self.services, self.jobs, self.hub = services, jobs, hub
        self.tracker: MessageTracker | None = None
        self.sent_preview: PreviewMessage | None = None
        self.showing_sent = False
        self.last_outcome: Any = None
        self._records: list[Any] | None = None
        self._sending = False
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(60)
        self._preview_timer.timeout.connect(self.refresh)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        self.body.addWidget(split, 1)

        left = QWidget()
        left.setObjectName("PageBody")
        left.setMinimumWidth(400)  # the form's tabs and fields before the preview's width
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 10, 0)
        lbox.setSpacing(10)
        self.recipient = RecipientField(profile_name,
                                        suggestions=SANDBOX_USERS if sandbox else ())
        self.recipient.changed.connect(self.schedule_refresh)
        lbox.addWidget(self.recipient)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("MessageTypes")
        # Forms are built one per event-loop turn (and at once when first needed), so
        # opening a profile never blocks the window for the whole page at a time.
        self._factories: dict[str, Any] = {
            "text": TextForm,
            "template": lambda: TemplateForm(sandbox=sandbox),
            "buttons": ButtonsForm,
            "list": ListForm,
            "media": MediaForm,
        }
        self.forms: dict[str, MessageForm] = {}
        self._scrolls: dict[str, QScrollArea] = {}
        for label, kind in (("Text", "text"), ("Template", "template"),
                            ("Reply buttons", "buttons"), ("List", "list"), ("Media", "media")):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setObjectName("PageScroll")
            self._scrolls[kind] = scroll
            self.tabs.addTab(scroll, label)
        self.form_for("text")
        QTimer.singleShot(0, self, self._build_next_form)
        self.tabs.currentChanged.connect(lambda _i: self.schedule_refresh())
        lbox.addWidget(self.tabs, 1)
        self.send_error = Banner("error", "", closable=True)
        self.send_error.hide()
        lbox.addWidget(self.send_error)
        row = QHBoxLayout()
        self.problem_hint = QLabel("")
        self.problem_hint.setObjectName("Hint")
        self.problem_hint.setWordWrap(True)
        row.addWidget(self.problem_hint, 1)
        self.spinner = Spinner(self, size=16)
        row.addWidget(self.spinner)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("SendMessage")
        self.send_button.setProperty("primary", True)
        self.send_button.setIcon(icon("send", "#ffffff", 16))
        self.send_button.setMinimumWidth(110)
        self.send_button.clicked.connect(self.send)
        self.send_button.setToolTip(shortcuts.with_key("Send to the number above", shortcuts.SEND))
        shortcuts.bind(self, shortcuts.SEND, self._send_shortcut)
        row.addWidget(self.send_button)
        lbox.addLayout(row)
        split.addWidget(left)

        right = QWidget()
        right.setObjectName("PageBody")
        rbox = QVBoxLayout(right)
        rbox.setContentsMargins(10, 0, 0, 0)
        rbox.setSpacing(10)
        frame = card()
        fbox = QVBoxLayout(frame)
        fbox.setContentsMargins(1, 1, 1, 1)
        self.preview = MessagePreview()
        pscroll = QScrollArea()
        pscroll.setWidgetResizable(True)
        pscroll.setWidget(self.preview)
        fbox.addWidget(pscroll)
        rbox.addWidget(frame, 3)
        self.timeline = TimelineView()
        rbox.addWidget(self.timeline, 2)
        split.addWidget(right)
        split.setSizes([560, 520])

        hub.template_synced.connect(lambda _r: self.load_templates())
        hub.templates_changed.connect(self.load_templates)
        self.load_templates()
        self.refresh()

    # -- forms and preview -----------------------------------------------------------
    def form_for(self, kind: str) -> MessageForm:
        form = self.forms.get(kind)
        if form is None:
            form = self._factories[kind]()
            form.setObjectName("PageBody")
            form.changed.connect(self.schedule_refresh)
            self._scrolls[kind].setWidget(form)
            self.forms[kind] = form
            if kind == "template" and self._records is not None:
                form.set_records(self._records)
        return form

    def _build_next_form(self) -> None:
        pending = [k for k in self._factories if k not in self.forms]
        if pending:
            self.form_for(pending[0])
            QTimer.singleShot(0, self, self._build_next_form)

    @property
    def text_form(self) -> TextForm:
        return self.form_for("text")  # type: ignore[return-value]

    @property
    def template_form(self) -> TemplateForm:
        return self.form_for("template")  # type: ignore[return-value]

    @property
    def buttons_form(self) -> ButtonsForm:
        return self.form_for("buttons")  # type: ignore[return-value]

    @property
    def list_form(self) -> ListForm:
        return self.form_for("list")  # type: ignore[return-value]

    @property
    def media_form(self) -> MediaForm:
        return self.form_for("media")  # type: ignore[return-value]

    def form(self) -> MessageForm:
        kind = next(k for k, s in self._scrolls.items() if s is self.tabs.currentWidget())
        return self.form_for(kind)

    def show_form(self, kind: str) -> MessageForm:
        form = self.form_for(kind)
        self.tabs.setCurrentWidget(self._scrolls[kind])
        return form

    def load_templates(self) -> None:
        self.jobs.submit(self.services.templates.list, name="load templates", owner=self,
                         on_result=self._templates_loaded, quiet=True)

    def _templates_loaded(self, records: list[Any]) -> None:
        self._records = records
        form = self.forms.get("template")
        if form is not None:
            form.set_records(records)  # type: ignore[attr-defined]

    def schedule_refresh(self) -> None:
        self.showing_sent = False
        self._preview_timer.start()

    def refresh(self) -> None:
        """Check the form and the recipient, and redraw the preview."""
        form = self.form()
        issues = [i for i in form.check() if i.is_error]
        recipient_error = self.recipient.error()
        problems = ([recipient_error] if recipient_error else []) + [i.message for i in issues]
        self.problem_hint.setText(
            "" if not problems else
            (problems[0][0].upper() + problems[0][1:])
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
        self.send_button.setEnabled(not problems and not self._sending)
        if not self.showing_sent:
            self.preview.set_message(form.preview())

    # -- sending ---------------------------------------------------------------------
    def write_actions(self) -> list[tuple[QWidget, str]]:
        return [(self.send_button, "send messages")]

    def _send_shortcut(self) -> None:
        if not self._sending:
            self.send()

    def send(self) -> None:
        self.form().touched = True
        self.refresh()
        to = self.recipient.normalized()
        if to is None or not self.send_button.isEnabled():
            return
        form = self.form()
        form.touched = True
        sender = form.send_call()
        self.sent_preview = replace(form.preview(), ticks="queued", show_sheet=False)
        self._sending = True
        self.send_button.setEnabled(False)
        self.send_button.setText("Sending…")
        self.spinner.start()
        self.send_error.hide()
        if self.tracker is not None:
            self.tracker.stop()
            self.tracker.deleteLater()
            self.tracker = None
        self.timeline.clear()
        self.timeline.title.setText("Sending…")
        self.timeline.spinner.start()
        self.showing_sent = True
        self.preview.set_message(self.sent_preview)
        self.jobs.submit(self.acting("send messages", sender), self.services.processor, to,
                         name="send message", owner=self,
                         on_result=self._sent, on_error=self._send_failed, on_done=self._done)

    def _sent(self, outcome: Any) -> None:
        self.last_outcome = outcome
        self.recipient.remember()
        self.hub.message_sent.emit(outcome.message_id, outcome)
        if outcome.error is not None:
            self.hub.error("Message not sent", outcome.error)
        self.timeline.title.setText(f"Last sent · message #{outcome.message_id}")
        self.tracker = MessageTracker(self.jobs, self.hub, self.services.messages,
                                      outcome.message_id,
                                      fallback_note=outcome.fallback_note or "", parent=self)
        self.tracker.updated.connect(self._tracked)
        self.tracker.start()

    def _send_failed(self, exc: object) -> None:
        from app.errors import describe

        message, hint = describe(exc)  # type: ignore[arg-type]
        self.send_error.set_text(f"Not sent: {message}" + (f" — {hint}" if hint else ""))
        self.send_error.show()
        self.timeline.clear()
        self.showing_sent = False
        self.refresh()

    def _done(self) -> None:
        self._sending = False
        self.spinner.stop()
        self.send_button.setText("Send")
        self.refresh() if not self.showing_sent else self.send_button.setEnabled(True)

    def _tracked(self, timeline: Timeline, detail: Any) -> None:
        self.timeline.set_timeline(timeline)
        if not self.showing_sent or self.sent_preview is None:
            return
        base = self.sent_preview
        message = getattr(detail, "message", {}) or {}
        if message.get("fallback") == "text_in_window" and message.get("body"):
            # The template went out as plain text: show what the phone got.
            base = text_preview(str(message["body"]), time=base.time)
        self.preview.set_message(
            replace(base, ticks=ticks_for(timeline.status), replies=replies_of(timeline))
        )

    def shutdown(self) -> None:
        if self.tracker is not None:
            self.tracker.stop()
