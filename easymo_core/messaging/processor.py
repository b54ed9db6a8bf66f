"""The message processor: the one path for every outbound message.

validate -> record (a ``queued`` row with an idempotency key) -> send -> record the wamid
(``accepted``) or the typed error (``failed``). Whoever calls it (composer, CLI, bulk, flow)
gets the same checks, the same fallbacks and the same history.

Idempotency: every send carries a key (given, or generated). A call with a key already used
never sends again: it returns the recorded outcome. The key also travels to Meta as
``biz_opaque_callback_data``, which Meta echoes in status webhooks, so a send whose answer
was lost (a crash, a dropped connection) is matched to its wamid by the ingest later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from easymo_core import audit
from easymo_core.cloudapi.errors import CloudAPIError, NetworkError, PayloadError, SendOutcomeUnknown
from easymo_core.cloudapi.interactive_payloads import ListRow, ListSection
from easymo_core.cloudapi.payloads import (
    button_message,
    list_message,
    media_message,
    text_message,
    validate_message,
)
from easymo_core.cloudapi.phone import normalize_phone
from easymo_core.config.profile import Profile
from easymo_core.errors import EasymoError
from easymo_core.messaging.admin_name import admin_for
from easymo_core.messaging.batch import DEFAULT_CONCURRENCY, TemplateRequest, send_template_batch
from easymo_core.messaging.fallback import decide
from easymo_core.messaging.handoff import HandOff, NotSent
from easymo_core.messaging.ingest import StatusIngest
from easymo_core.messaging.outbox import (
    existing_outcome,
    linked_meanwhile,
    messages_t,
    new_key,
    params_json,
    record_accepted,
    settle_accepted,
    template_payload,
)
from easymo_core.messaging.outcome import SendOutcome, TemplateRefused
from easymo_core.messaging.phone_numbers import remember
from easymo_core.storage.engine import Database
from easymo_core.storage.models import Contact
from easymo_core.storage.types import utcnow
from easymo_core.templates.params import TemplateParams
from easymo_core.templates.render import render_plain_text, render_preview
from easymo_core.templates.store import TemplateRecord, TemplateService

log = logging.getLogger(__name__)


class MessageProcessor:
    def __init__(
        self,
        db: Database,
        client: Any,
        profile: Profile,
        templates: TemplateService,
        ingest: StatusIngest | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.client = client
        self.profile = profile
        self.templates = templates
        self.ingest = ingest or StatusIngest(db)
        self.clock = clock
        # Marks each send as possibly gone just before its request is written (both paths).
        self.handoff = HandOff(db, clock)
        self._synced_for: set[str] = set()
        # phone_numbers learns this profile's (number, account) with its first send: once
        # per processor, not per message.
        self._number_recorded = False

    # -- entry points -------------------------------------------------------------------
    def send_text(
        self,
        to: str,
        body: str,
        *,
        preview_url: bool = False,
        reply_to: str | None = None,
        source: str = "cli",
        admin: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        key = idempotency_key or new_key()
        payload = text_message(
            to, body, preview_url=preview_url, reply_to=reply_to, biz_opaque_callback_data=key
        )
        return self._send(
            payload, key=key, kind="text", body=body, source=source, admin=admin, reply_to=reply_to,
            checked_key=idempotency_key,
        )

    def send_buttons(
        self,
        to: str,
        body: str,
        buttons: Sequence[tuple[str, str]],
        *,
        header: str | None = None,
        footer: str | None = None,
        reply_to: str | None = None,
        source: str = "cli",
        admin: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        key = idempotency_key or new_key()
        payload = button_message(
            to,
            body,
            list(buttons),
            header=header,
            footer=footer,
            reply_to=reply_to,
            biz_opaque_callback_data=key,
        )
        return self._send(
            payload, key=key, kind="interactive", body=body, source=source, admin=admin, reply_to=reply_to,
            checked_key=idempotency_key,
        )

    def send_list(
        self,
        to: str,
        body: str,
        button_text: str,
        sections: Sequence[ListSection | dict[str, Any]],
        *,
        header: str | None = None,
        footer: str | None = None,
        reply_to: str | None = None,
        source: str = "cli",
        admin: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        key = idempotency_key or new_key()
        payload = list_message(
            to,
            body,
            button_text,
            [_section(s) for s in sections],
            header=header,
            footer=footer,
            reply_to=reply_to,
            biz_opaque_callback_data=key,
        )
        return self._send(
            payload, key=key, kind="interactive", body=body, source=source, admin=admin, reply_to=reply_to,
            checked_key=idempotency_key,
        )

    def send_media(
        self,
        to: str,
        kind: str,
        *,
        media_id: str | None = None,
        link: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        reply_to: str | None = None,
        source: str = "cli",
        admin: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        """An image, video, document, audio or sticker already uploaded (``media_id``) or at a
        public ``link``; the caption is what the log and the conversation show."""
        key = idempotency_key or new_key()
        payload = media_message(
            to, kind, media_id=media_id, link=link, caption=caption, filename=filename,
            reply_to=reply_to, biz_opaque_callback_data=key,
        )
        return self._send(
            payload, key=key, kind=kind, body=caption or filename, source=source, admin=admin,
            reply_to=reply_to, checked_key=idempotency_key,
        )

    def send_template(
        self,
        to: str,
        name: str,
        language: str,
        params: TemplateParams | Sequence[str] | dict[str, str] | None = None,
        *,
        reply_to: str | None = None,
        source: str = "cli",
        admin: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendOutcome:
        key = idempotency_key or new_key()
        tparams = _as_params(params)
        wa_id = normalize_phone(to)
        if idempotency_key is not None:  # a key made here a moment ago cannot exist yet
            existing = self._existing(key)
            if existing is not None:
                return existing
        decision = decide(
            name,
            language,
            tparams,
            self.template_languages(name),
            self.profile.fallbacks,
            lambda: self.last_inbound(wa_id),
            self.clock(),
        )
        if decision.reason is not None:
            # INFO: the caller tells the user (the CLI's one error line, the console's banner).
            log.info("template send refused: %s", decision.reason)
            raise TemplateRefused(
                decision.reason, hint="sync templates, fix the parameters, or pick another template"
            )
        if decision.text_from is not None:
            text = render_plain_text(decision.text_from.definition, tparams)
            payload = text_message(wa_id, text, reply_to=reply_to, biz_opaque_callback_data=key)
            return self._send(
                payload,
                key=key,
                kind="text",
                body=text,
                source=source,
                admin=admin,
                reply_to=reply_to,
                template=(name, language),
                params=tparams,
                fallback=decision.fallback,
                note=decision.note,
            )
        record = decision.record
        assert record is not None
        payload = template_payload(wa_id, record, tparams, reply_to, key)
        body = render_preview(record.definition, tparams).body
        return self._send(
            payload,
            key=key,
            kind="template",
            body=body,
            source=source,
            admin=admin,
            reply_to=reply_to,
            template=(record.name, record.language),
            params=tparams,
            fallback=decision.fallback,
            note=decision.note,
        )

    def send_template_batch(
        self,
        requests: Sequence[TemplateRequest],
        *,
        source: str = "bulk",
        admin: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> list[SendOutcome | EasymoError]:
        """Many template messages with the same rules as :meth:`send_template`; see
        :mod:`easymo_core.messaging.batch`. One outcome or refusal per request, in order."""
        return send_template_batch(self, requests, source=source, admin=admin, concurrency=concurrency)

    # -- the path every message takes ---------------------------------------------------
    def _send(
        self,
        payload: dict[str, Any],
        *,
        key: str,
        kind: str,
        body: str | None,
        source: str,
        admin: str | None,
        reply_to: str | None,
        template: tuple[str, str] | None = None,
        params: TemplateParams | None = None,
        fallback: str | None = None,
        note: str | None = None,
        checked_key: str | None = None,
    ) -> SendOutcome:
        """``checked_key``: the caller's own idempotency key, still to be looked up."""
        if checked_key is not None:
            existing = self._existing(checked_key)
            if existing is not None:
                return existing
        payload = validate_message(payload)
        now = self.clock()
        row_id = self._record_queued(
            payload,
            key=key,
            kind=kind,
            body=body,
            source=source,
            admin=admin,
            reply_to=reply_to,
            template=template,
            params=params,
            fallback=fallback,
            now=now,
        )
        return self._deliver(row_id, payload, key, fallback, note)

    def _deliver(
        self, row_id: int, payload: dict[str, Any], key: str, fallback: str | None, note: str | None
    ) -> SendOutcome:
        try:
            result = self.client.send_payload(payload, idempotency_key=key, checked=True,
                                              on_wire=lambda: self.handoff.mark(row_id))
        except SendOutcomeUnknown as exc:
            unknown = SendOutcome(row_id, None, "queued", key, fallback, note, exc)
            if not self._mark(row_id, error_detail=f"outcome unknown: {exc.message}"):
                return linked_meanwhile(self.db, [unknown], [row_id])[0]
            log.warning("send %s: outcome unknown, kept queued for reconciliation", key)
            return unknown
        except (CloudAPIError, PayloadError, NotSent) as exc:
            failed = SendOutcome(row_id, None, "failed", key, fallback, note, exc)
            if not self._record_failure(row_id, exc):
                return linked_meanwhile(self.db, [failed], [row_id])[0]
            return failed
        self._record_accepted(row_id, result.wamid, payload["to"])
        return SendOutcome(row_id, result.wamid, "accepted", key, fallback, note)

    def _record_queued(
        self,
        payload: dict[str, Any],
        *,
        key: str,
        kind: str,
        body: str | None,
        source: str,
        admin: str | None,
        reply_to: str | None,
        template: tuple[str, str] | None,
        params: TemplateParams | None,
        fallback: str | None,
        now: datetime,
    ) -> int:
        values = {
            "idempotency_key": key,
            "profile": self.profile.name,
            "phone_number_id": self.profile.phone_number_id,
            "waba_id": self.profile.waba_id,
            "direction": "out",
            "contact_wa_id": payload["to"],
            "type": kind,
            "template_name": template[0] if template else None,
            "template_language": template[1] if template else None,
            "body": body,
            "payload": payload,
            "parameters": params_json(params),
            "status": "queued",
            "source": source,
            "admin": admin_for(source, admin),
            "fallback": fallback,
            "context_wamid": reply_to,
            "created_at": now,
            "updated_at": now,
            "queued_at": now,
        }

        def write(conn: Connection) -> int:
            self.record_number(conn)
            row_id = int(conn.execute(messages_t.insert().returning(messages_t.c.id), values).scalar_one())
            audit.record(conn, action="message.send", target=payload["to"], profile=self.profile.name,
                         waba_id=self.profile.waba_id, detail=_audited(row_id, key, kind, template, source))
            return row_id

        row_id = self.db.transaction(write)
        self._number_recorded = True
        return row_id

    def record_number(self, conn: Connection) -> None:
        """Upsert the profile's (phone number, account) into phone_numbers, in the caller's
        transaction, unless this processor's earlier send committed it already."""
        if not self._number_recorded:
            remember(conn, {self.profile.phone_number_id: (self.profile.waba_id, None)}, self.clock())

    def number_recorded(self) -> None:
        """The transaction that called record_number committed."""
        self._number_recorded = True

    def _record_accepted(self, row_id: int, wamid: str, wa_id: str) -> None:
        now = self.clock()
        self.db.transaction(lambda conn: record_accepted(
            conn, self.ingest, [{"b_id": row_id, "wamid": wamid}], now))
        settle_accepted(self.ingest, [wamid])

    def _record_failure(self, row_id: int, exc: EasymoError) -> bool:
        now = self.clock()
        return self._mark(
            row_id,
            status="failed",
            failed_at=now,
            error_code=getattr(exc, "code", None),
            error_title=exc.message[:256],
            error_detail=exc.hint or getattr(exc, "explanation", None),
        )

    def _mark(self, row_id: int, **values: Any) -> bool:
        """Record a send that got no wamid; False when the row has one already.

        The webhook ingest links a send whose answer was lost from the key Meta echoes in
        its statuses (StatusIngest._link_lost_answers), and the "sent" webhook usually
        comes long before a read timeout: what Meta reported then stands, not our guess.
        """
        values["updated_at"] = self.clock()
        changed = self.db.transaction(lambda conn: conn.execute(
            update(messages_t)
            .where(messages_t.c.id == row_id, messages_t.c.wamid.is_(None))
            .values(**values)
        ).rowcount)
        return bool(changed)

    # -- idempotency ------------------------------------------------------------------
    def _existing(self, key: str) -> SendOutcome | None:
        return existing_outcome(self.db, key)

    def reconcile(self, *, older_than: timedelta = timedelta(minutes=2)) -> list[dict[str, Any]]:
        """Report queued rows with no wamid: sends whose outcome is unknown.

        They are never re-sent here. Statuses carrying their key link them to a wamid
        (see StatusIngest); what remains after that is for an admin to decide.
        """
        cutoff = self.clock() - older_than
        with self.db.engine.begin() as conn:
            self.ingest.apply_pending(conn)
            rows = conn.execute(
                select(
                    messages_t.c.id,
                    messages_t.c.idempotency_key,
                    messages_t.c.contact_wa_id,
                    messages_t.c.type,
                    messages_t.c.queued_at,
                    messages_t.c.error_detail,
                )
                .where(
                    messages_t.c.status == "queued",
                    messages_t.c.wamid.is_(None),
                    messages_t.c.direction == "out",
                    messages_t.c.queued_at <= cutoff,
                )
                .order_by(messages_t.c.id)
            ).all()
        return [dict(r._mapping) for r in rows]

    # -- templates --------------------------------------------------------------------
    def template_languages(self, name: str) -> list[TemplateRecord]:
        records = self.templates.languages(name)
        if not records and name not in self._synced_for:
            # One sync before deciding: the template may be new at Meta.
            self._synced_for.add(name)
            try:
                self.templates.sync()
            except EasymoError as exc:
                log.warning("template sync before send failed: %s", exc)
            records = self.templates.languages(name)
        return records

    def last_inbound(self, wa_id: str) -> datetime | None:
        """When the contact last wrote to this profile's account (its 24-hour window)."""
        with self.db.session() as s:
            return s.scalars(
                select(Contact.last_inbound_at).where(
                    Contact.waba_id == self.profile.waba_id, Contact.wa_id == wa_id)
            ).first()


def _audited(
    row_id: int, key: str, kind: str, template: tuple[str, str] | None, source: str
) -> dict[str, Any]:
    """What the audit entry of a send says besides the recipient: the row and the key that
    find its wamid and outcome in the message log; never the text."""
    # What a reader scans for first; the long key last.
    detail: dict[str, Any] = {"type": kind}
    if template:
        detail["template"] = f"{template[0]} ({template[1]})"
    detail.update(source=source, message_id=row_id, idempotency_key=key)
    return detail


def _as_params(params: TemplateParams | Sequence[str] | dict[str, str] | None) -> TemplateParams:
    if params is None:
        return TemplateParams()
    if isinstance(params, TemplateParams):
        return params
    return TemplateParams.of(body=params)


def _section(section: ListSection | dict[str, Any]) -> ListSection:
    if isinstance(section, ListSection):
        return section
    rows = [r if isinstance(r, ListRow) else ListRow(**r) for r in section.get("rows", [])]
    return ListSection(title=section.get("title"), rows=rows)


# record_accepted and settle_accepted stay importable from here: tests and the ingest's
# callers knew them as the processor's.
__all__ = [
    "MessageProcessor", "NetworkError", "SendOutcome", "TemplateRefused", "messages_t", "record_accepted",
    "settle_accepted",
]
