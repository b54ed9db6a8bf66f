"""Many template messages through the processor at once: the same rules, fewer round trips.

Every message is still decided, validated, recorded ``queued`` before it leaves and recorded
``accepted``/``failed`` after, exactly as :meth:`MessageProcessor.send_template` does it; what
changes is that the rows of a batch are written in one transaction each way and the
requests travel concurrently on the client's pool. That is what lets one console keep up
with Meta's ceiling of 1,000 messages/s per number, where one-at-a-time sends spend most of
their time waiting on commits and the network in turn.

A refused template (no fallback applies) refuses only its own message; its outcome is
``failed`` with the reason and nothing is recorded for it, as with a single send.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from easymo_core.cloudapi.errors import (
    CloudAPIError,
    ErrorFamily,
    GraphAPIError,
    NetworkError,
    RequestTimeout,
    SendOutcomeUnknown,
)
from easymo_core.cloudapi.payloads import text_message, validate_message
from easymo_core.cloudapi.phone import normalize_phone
from easymo_core.config.profile import Profile
from easymo_core.errors import EasymoError
from easymo_core.messaging.admin_name import admin_for
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
from easymo_core.messaging.outcome import OutcomeUnknown, SendOutcome, TemplateRefused
from easymo_core.storage.engine import Database
from easymo_core.templates.params import TemplateParams
from easymo_core.templates.render import render_plain_text, render_preview
from easymo_core.templates.store import TemplateRecord

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 16


class Sender(Protocol):
    """What a batch needs of the processor that sends it (MessageProcessor is one)."""

    db: Database
    client: Any
    profile: Profile
    ingest: StatusIngest
    clock: Callable[[], datetime]
    handoff: HandOff

    def template_languages(self, name: str) -> list[TemplateRecord]: ...

    def last_inbound(self, wa_id: str) -> datetime | None: ...

    def record_number(self, conn: Connection) -> None: ...

    def number_recorded(self) -> None: ...


@dataclass(frozen=True)
class TemplateRequest:
    to: str
    name: str
    language: str
    params: TemplateParams
    idempotency_key: str | None = None


@dataclass
class _Planned:
    index: int
    key: str
    payload: dict[str, Any]
    values: dict[str, Any]
    fallback: str | None
    note: str | None
    row_id: int = 0


def send_template_batch(
    processor: Sender,
    requests: Sequence[TemplateRequest],
    *,
    source: str = "bulk",
    admin: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[SendOutcome | EasymoError]:
    """One outcome per request, in order: a SendOutcome, or the error that refused it."""
    results: list[SendOutcome | EasymoError | None] = [None] * len(requests)
    keys = [r.idempotency_key or new_key() for r in requests]
    given = [k for r, k in zip(requests, keys, strict=True) if r.idempotency_key]
    existing = _existing(processor, given) if given else {}
    planned: list[_Planned] = []
    now = processor.clock()
    admin = admin_for(source, admin)
    # A batch is nearly always one template: look its languages up once, not per message.
    languages: dict[str, list[Any]] = {}
    for i, (req, key) in enumerate(zip(requests, keys, strict=True)):
        if key in existing:
            results[i] = existing[key]
            continue
        if req.name not in languages:
            languages[req.name] = processor.template_languages(req.name)
        try:
            planned.append(_plan(processor, i, req, key, source, admin, now, languages[req.name]))
        except EasymoError as exc:
            results[i] = exc
    if planned:
        # Rows are matched to requests by their unique key, not by RETURNING order: asking
        # SQLAlchemy for that order makes it insert row by row on SQLite, and this insert
        # then cost 1.5x as much (228 against 148 us a message, triggers included).
        def write(conn: Connection) -> list[tuple[str, int]]:
            processor.record_number(conn)
            return [
                (key, row_id) for row_id, key in conn.execute(
                    insert(messages_t).returning(messages_t.c.id, messages_t.c.idempotency_key),
                    [p.values for p in planned],
                )
            ]

        ids = dict(processor.db.transaction(write))
        processor.number_recorded()
        for p in planned:
            p.row_id = int(ids[p.key])
        answers = _deliver_all(processor, planned, concurrency)
        for p, outcome in zip(planned, _record(processor, planned, answers), strict=True):
            results[p.index] = outcome
        bug = next((a for a in answers if isinstance(a, Exception)
                    and not isinstance(a, EasymoError)), None)
        if bug is not None:  # recorded first (its row stays queued, outcome unknown), then raised
            raise bug
    return [r if r is not None else EasymoError("not sent") for r in results]


def _plan(
    processor: Sender, index: int, req: TemplateRequest, key: str, source: str,
    admin: str | None, now: Any, languages: list[Any],
) -> _Planned:
    wa_id = normalize_phone(req.to)
    decision = decide(
        req.name, req.language, req.params, languages,
        processor.profile.fallbacks, lambda: processor.last_inbound(wa_id), now,
    )
    if decision.reason is not None:
        raise TemplateRefused(
            decision.reason, hint="sync templates, fix the parameters, or pick another template"
        )
    if decision.text_from is not None:
        body = render_plain_text(decision.text_from.definition, req.params)
        payload = text_message(wa_id, body, biz_opaque_callback_data=key)
        kind, template = "text", (req.name, req.language)
    else:
        record = decision.record
        assert record is not None
        payload = template_payload(wa_id, record, req.params, None, key)
        body = render_preview(record.definition, req.params).body
        kind, template = "template", (record.name, record.language)
    payload = validate_message(payload)
    values = {
        "idempotency_key": key,
        "profile": processor.profile.name,
        "phone_number_id": processor.profile.phone_number_id,
        "waba_id": processor.profile.waba_id,
        "direction": "out",
        "contact_wa_id": wa_id,
        "type": kind,
        "template_name": template[0],
        "template_language": template[1],
        "body": body,
        "payload": payload,
        "parameters": params_json(req.params),
        "status": "queued",
        "source": source,
        "admin": admin,
        "fallback": decision.fallback,
        "context_wamid": None,
        "created_at": now,
        "updated_at": now,
        "queued_at": now,
    }
    return _Planned(index, key, payload, values, decision.fallback, decision.note)


def _existing(processor: Sender, keys: list[str]) -> dict[str, SendOutcome | EasymoError]:
    """Keys already used: their outcome, so a retried batch never sends twice; for a send
    still queued with no answer, the OutcomeUnknown a single send raises, for that message
    alone (a resumed bulk job meets those after a crash)."""
    with processor.db.engine.connect() as conn:
        used = set(conn.execute(
            select(messages_t.c.idempotency_key).where(messages_t.c.idempotency_key.in_(keys))
        ).scalars())
    found: dict[str, SendOutcome | EasymoError] = {}
    for key in keys:
        if key not in used:
            continue  # one query for the batch instead of a session per key
        try:
            outcome = existing_outcome(processor.db, key)
        except OutcomeUnknown as exc:
            found[key] = exc
            continue
        if outcome is not None:
            found[key] = outcome
    return found


def _deliver_all(
    processor: Sender, planned: list[_Planned], concurrency: int
) -> list[Any]:
    """The client's answer (a SendResult) or the exception, per planned message.

    Once an answer says the rest would fail alike (the token, the network), no further
    request is written: the messages still waiting for their turn end NotSent.
    """
    halt: list[CloudAPIError] = []

    def one(p: _Planned) -> Any:
        def on_wire() -> None:
            if halt:
                raise NotSent(f"not sent: the batch stopped after {halt[0].message}")
            processor.handoff.mark(p.row_id)

        try:
            return processor.client.send_payload(p.payload, idempotency_key=p.key, checked=True,
                                                 on_wire=on_wire)
        except Exception as exc:  # every answer is recorded; a bug is raised after that
            if isinstance(exc, CloudAPIError) and halts_batch(exc):
                halt.append(exc)
            return exc

    if concurrency <= 1 or len(planned) == 1:
        return [one(p) for p in planned]
    # A few long-lived workers pulling the next index, not a Future per message: at a
    # thousand messages a second the executor's per-task bookkeeping was a tenth of the
    # processor's CPU.
    answers: list[Any] = [None] * len(planned)
    indexes = itertools.count()

    def work() -> None:
        for i in iter(indexes.__next__, None):
            if i >= len(planned):
                return
            answers[i] = one(planned[i])

    workers = [threading.Thread(target=work, name=f"send-{n}", daemon=True)
               for n in range(min(concurrency, len(planned)))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers


def halts_batch(error: CloudAPIError) -> bool:
    """Whether every other send would fail as this one did: an expired or revoked token, a
    permission the app lacks, a network that no longer reaches Meta (the request could
    not even leave). Sending on would only repeat the refusal, once per message (a retry
    storm against a dead token). A lost answer (SendOutcomeUnknown) does not stop a batch:
    one slow answer says nothing of the others, and it is reconciled from the statuses."""
    if isinstance(error, NetworkError | RequestTimeout):
        return not error.request_sent
    return isinstance(error, GraphAPIError) and error.family in (
        ErrorFamily.AUTHENTICATION, ErrorFamily.PERMISSION)


def _record(processor: Sender, planned: list[_Planned], answers: list[Any]) -> list[SendOutcome]:
    now = processor.clock()
    accepted: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    unknown: list[dict[str, Any]] = []
    outcomes: list[SendOutcome] = []
    for p, answer in zip(planned, answers, strict=True):
        if isinstance(answer, SendOutcomeUnknown):
            unknown.append({"b_id": p.row_id, "detail": f"outcome unknown: {answer.message}"})
            outcomes.append(SendOutcome(p.row_id, None, "queued", p.key, p.fallback, p.note, answer))
        elif isinstance(answer, Exception) and not isinstance(answer, EasymoError):
            detail = f"outcome unknown: the send failed with {type(answer).__name__}"
            unknown.append({"b_id": p.row_id, "detail": detail})
            outcomes.append(SendOutcome(p.row_id, None, "queued", p.key, p.fallback, p.note,
                                        EasymoError(detail)))
        elif isinstance(answer, EasymoError):
            failed.append({
                "b_id": p.row_id, "code": getattr(answer, "code", None), "title": answer.message[:256],
                "detail": answer.hint or getattr(answer, "explanation", None),
            })
            outcomes.append(SendOutcome(p.row_id, None, "failed", p.key, p.fallback, p.note, answer))
        else:
            accepted.append({"b_id": p.row_id, "wamid": answer.wamid})
            outcomes.append(SendOutcome(p.row_id, answer.wamid, "accepted", p.key, p.fallback, p.note))
    def write(conn: Connection) -> None:
        # "wamid IS NULL" for failed and unknown sends, as in MessageProcessor._mark: a row
        # the webhook ingest linked meanwhile keeps what Meta reported.
        by_id = and_(messages_t.c.id == bindparam("b_id"), messages_t.c.wamid.is_(None))
        if accepted:
            record_accepted(conn, processor.ingest, accepted, now)
        if failed:
            conn.execute(
                update(messages_t).where(by_id).values(
                    status="failed", failed_at=now, updated_at=now, error_code=bindparam("code"),
                    error_title=bindparam("title"), error_detail=bindparam("detail"),
                ),
                failed,
            )
        if unknown:
            conn.execute(
                update(messages_t).where(by_id).values(updated_at=now, error_detail=bindparam("detail")),
                unknown,
            )

    processor.db.transaction(write)
    settle_accepted(processor.ingest, [a["wamid"] for a in accepted])
    if failed or unknown:
        outcomes = linked_meanwhile(processor.db, outcomes, [r["b_id"] for r in failed + unknown])
        still_unknown = {o.message_id for o in outcomes if o.wamid is None}
        unknown = [u for u in unknown if u["b_id"] in still_unknown]
    if unknown:
        log.warning("%d sends of a batch: outcome unknown, kept queued for reconciliation", len(unknown))
    return outcomes


__all__ = ["DEFAULT_CONCURRENCY", "Sender", "TemplateRequest", "halts_batch", "send_template_batch"]
