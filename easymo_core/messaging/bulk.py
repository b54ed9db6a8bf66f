"""Bulk sends: one template to a CSV of recipients, resumable, each recipient exactly once.

CSV format (UTF-8, header row): a ``phone`` column (or ``to``), then one column per body
variable named as in the template (``1``, ``2`` ... or ``first_name`` ...), ``header.N`` for
header variables and ``button.I`` for the value of button I (URL suffix, coupon code).

A job is keyed by the CSV's content (its rows normalised: E.164 phone, then the variables by
name, in row order; not the file's bytes, so CRLF, a BOM, quoting or column order make no
new job) and the template: running the same command again after a crash or Ctrl-C resumes
it. Each recipient's idempotency key is ``bulk:<job>:<line>``, so the processor never sends
one twice, even when the crash fell between the send and the bookkeeping.

Exactly once (see docs/bulk.md): a message is marked as possibly sent only when its request
is about to be written (messaging/handoff.py). On resume, recipients never handed to the
transport are sent; those whose answer was lost wait for evidence, the key Meta echoes in
their status webhooks, for RECONCILE_WINDOW; without it they are listed for the admin, who
re-sends them (--resend-unresolved) or leaves them (--skip-unresolved). A job with an
unresolved recipient is not done.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import Connection, and_, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session

from easymo_core import audit
from easymo_core.cloudapi.errors import (
    CloudAPIError,
    GraphAPIError,
    PayloadError,
)
from easymo_core.cloudapi.phone import normalize_phone
from easymo_core.errors import EasymoError
from easymo_core.messaging.batch import DEFAULT_CONCURRENCY, TemplateRequest, halts_batch
from easymo_core.messaging.handoff import NotSent
from easymo_core.messaging.outbox import messages_t
from easymo_core.messaging.outcome import OutcomeUnknown, SendOutcome
from easymo_core.messaging.processor import MessageProcessor
from easymo_core.storage.models import BulkJob, BulkRecipient, table_of
from easymo_core.storage.types import utcnow
from easymo_core.templates.params import TemplateParams
from easymo_core.templates.variables import check_parameters

log = logging.getLogger(__name__)
Progress = Callable[["BulkProgress"], None]


# Recipients per batch, all in flight at once: recorded queued together, sent together,
# recorded together. A stop (Ctrl-C) lets the batch in flight finish. A hard crash (kill,
# power) can leave one batch queued with no answer: those recipients are reported unknown
# and reconciled from Meta's status webhooks, never sent twice; one send at a time
# bounded that to one recipient, at a whole round trip to Meta per recipient.
CHUNK = DEFAULT_CONCURRENCY
# How long another host's run, silent that long, still counts as sending a job (a chunk's
# heartbeat comes every few seconds, even when paced).
OWNER_LEASE = timedelta(minutes=2)
# How long a recipient whose answer was lost waits for evidence (a status webhook carrying
# its key) before it is listed for the admin. Meta reports "sent" within seconds; a minute
# covers a receiver's retries too. Past it, silence does not prove the message did not go:
# the receiver may be down and Meta retries its webhooks for days.
RECONCILE_WINDOW = timedelta(seconds=60)
# Recipient states that need nothing more; a job is done only when every one is in them.
SETTLED = ("sent", "failed", "skipped")


class BulkError(EasymoError):
    pass


@dataclass
class RowProblem:
    line: int
    message: str


@dataclass
class BulkRow:
    line: int
    phone: str
    params: TemplateParams
    raw: dict[str, str]


@dataclass
class BulkProgress:
    job_id: int
    total: int
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    unresolved: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    # The recipients left for the admin: (line, phone, message id or None).
    unresolved_rows: list[tuple[int, str, int | None]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped + self.unknown + self.unresolved

    @property
    def pending(self) -> int:
        return self.total - self.done


def read_csv(path: Path) -> tuple[str, list[dict[str, str]]]:
    """The file's sha256 and its rows; line numbers count the header as line 1."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BulkError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkError(f"{path} is not UTF-8 text", hint="save the CSV as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not ({"phone", "to"} & {f.strip() for f in reader.fieldnames}):
        raise BulkError(f"{path} has no 'phone' column", hint="the first row must name the columns")
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    return hashlib.sha256(data).hexdigest(), rows


def content_digest(rows: list[BulkRow]) -> str:
    """What identifies a job's recipients: each row's E.164 phone and variables by name, in
    row order. The file's bytes do not: the same list saved with CRLF line endings, a BOM,
    other quoting or its columns in another order is the same job, not one that sends
    everyone again."""
    canon = [
        [r.phone, sorted(r.params.header.items()), sorted(r.params.body.items()),
         sorted((str(k), v) for k, v in r.params.buttons.items())]
        for r in rows
    ]
    text = json.dumps(canon, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _params(raw: dict[str, str]) -> TemplateParams:
    header: dict[str, str] = {}
    body: dict[str, str] = {}
    buttons: dict[int, str] = {}
    for key, value in raw.items():
        if key in ("phone", "to", "") or value == "":
            continue
        if key.startswith("header."):
            header[key[7:]] = value
        elif key.startswith("button.") and key[7:].isdigit():
            buttons[int(key[7:])] = value
        else:
            body[key] = value
    return TemplateParams(header=header, body=body, buttons=buttons)


def validate_rows(
    processor: MessageProcessor, name: str, language: str, rows: list[dict[str, str]]
) -> tuple[list[BulkRow], list[RowProblem]]:
    """Check every row before anything is sent (this is all a dry run does)."""
    record = processor.templates.get(name, language)
    if record is None:
        processor.templates.sync()
        record = processor.templates.get(name, language)
    if record is None:
        raise BulkError(f"template {name} ({language}) does not exist", hint="run `easymo templates list`")
    if record.status != "APPROVED":
        raise BulkError(f"template {name} ({language}) is {record.status}, not APPROVED")
    good: list[BulkRow] = []
    bad: list[RowProblem] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows, start=2):
        phone_raw = raw.get("phone") or raw.get("to") or ""
        try:
            phone = normalize_phone(phone_raw if not phone_raw[:1].isdigit() else "+" + phone_raw)
        except PayloadError as exc:
            bad.append(RowProblem(i, exc.message))
            continue
        if phone in seen:
            bad.append(RowProblem(i, f"{phone} already appears on line {seen[phone]}"))
            continue
        params = _params(raw)
        problems = [p for p in check_parameters(record.definition, params) if p.is_error]
        if problems:
            bad.append(RowProblem(i, "; ".join(p.message for p in problems)))
            continue
        seen[phone] = i
        good.append(BulkRow(i, phone, params, raw))
    return good, bad


class BulkHalted(BulkError):
    """The run stopped because every further send would fail alike (token, network)."""


class BulkSender:
    def __init__(self, processor: MessageProcessor, *,
                 reconcile_window: timedelta = RECONCILE_WINDOW) -> None:
        self.processor = processor
        self.db = processor.db
        self.reconcile_window = reconcile_window

    def run(
        self,
        csv_path: Path,
        name: str,
        language: str,
        *,
        progress: Progress | None = None,
        source: str = "bulk",
        stop: Callable[[], bool] | None = None,
        again: bool = False,
        resend_unresolved: bool = False,
        skip_unresolved: bool = False,
    ) -> BulkProgress:
        digest, rows = read_csv(csv_path)
        good, bad = validate_rows(self.processor, name, language, rows)
        if bad:
            first = bad[0]
            raise BulkError(
                f"{len(bad)} row(s) of {csv_path} are invalid; line {first.line}: {first.message}",
                hint="fix them (see --dry-run for the full list); nothing was sent",
            )
        job_id = self._job(csv_path, digest, content_digest(good), name, language, good, again=again)
        try:
            return self._run(job_id, good, name, language, progress=progress, source=source,
                             stop=stop, resend_unresolved=resend_unresolved,
                             skip_unresolved=skip_unresolved)
        finally:
            self._close(job_id)

    def _run(
        self, job_id: int, good: list[BulkRow], name: str, language: str, *, progress: Progress | None,
        source: str, stop: Callable[[], bool] | None, resend_unresolved: bool, skip_unresolved: bool,
    ) -> BulkProgress:
        if resend_unresolved or skip_unresolved:
            self._decide_unresolved(job_id, resend=resend_unresolved)
        self._resolve(job_id)  # evidence that came in since the last run
        by_line = {r.line: r for r in good}
        # A second round sends again the recipients the evidence showed never reached Meta
        # (see _resolve); each recipient is re-sent so at most once.
        for _ in range(2):
            self._send_pending(job_id, by_line, name, language, progress=progress, source=source, stop=stop)
            if stop is not None and stop():
                break
            self._await_evidence(job_id, stop)
            if not any(rec.status == "pending" for rec in self._recipients(job_id)):
                break
        return self.progress(job_id)

    def _send_pending(
        self, job_id: int, by_line: dict[int, BulkRow], name: str, language: str, *,
        progress: Progress | None, source: str, stop: Callable[[], bool] | None,
    ) -> None:
        prog = self.progress(job_id)
        # "unknown" recipients go through the batch too: one never handed to the transport
        # is sent now, one that may have left answers OutcomeUnknown again, one the webhook
        # ingest linked meanwhile answers its outcome.
        todo = [rec for rec in self._recipients(job_id) if rec.status in ("pending", "unknown")]
        prog.unknown -= sum(rec.status == "unknown" for rec in todo)
        # Through the processor's batch path: the same checks and records as one send, with
        # CHUNK requests in flight at once. One send at a time waited a whole round trip
        # per recipient (136 msg/s on loopback, a few per second against Meta's RTT).
        for start in range(0, len(todo), CHUNK):
            if stop is not None and stop():
                break
            chunk = todo[start:start + CHUNK]
            requests = [
                TemplateRequest(by_line[rec.line_no].phone, name, language, by_line[rec.line_no].params,
                                idempotency_key=recipient_key(job_id, rec.line_no, rec.attempt))
                for rec in chunk
            ]
            changes = []
            answers = self.processor.send_template_batch(requests, source=source, concurrency=CHUNK)
            for rec, answer in zip(chunk, answers, strict=True):
                status, error, message_id = _recipient_state(answer)
                if status != "pending":  # pending: never left, the next run sends it
                    setattr(prog, status, getattr(prog, status) + 1)  # a counter of that name
                changes.append({"r_id": rec.id, "status": status, "error": error,
                                "message_id": message_id})
            self._set_many(job_id, changes)
            if progress:
                progress(prog)
            halted = _halt_cause(answers)
            if halted is not None:
                raise _halted(job_id, halted, self.progress(job_id))

    def progress(self, job_id: int) -> BulkProgress:
        """The job's figures as recorded, with the recipients left for the admin."""
        recipients = self._recipients(job_id)
        prog = BulkProgress(job_id=job_id, total=len(recipients))
        for rec in recipients:
            if rec.status in ("sent", "failed", "skipped", "unknown", "unresolved"):
                setattr(prog, rec.status, getattr(prog, rec.status) + 1)
            if rec.status == "unresolved":
                prog.unresolved_rows.append((rec.line_no, rec.phone, rec.message_id))
        return prog

    def _recipients(self, job_id: int) -> list[Any]:
        with self.db.session() as s:
            return list(s.execute(
                select(BulkRecipient.id, BulkRecipient.line_no, BulkRecipient.phone, BulkRecipient.status,
                       BulkRecipient.attempt, BulkRecipient.message_id)
                .where(BulkRecipient.job_id == job_id)
                .order_by(BulkRecipient.line_no)
            ).all())

    def _resolve(self, job_id: int) -> int:
        """Settle recipients whose answer was lost from what the messages table now knows:
        a wamid (the status webhook's echoed key linked it) makes them sent, or failed
        when Meta reported so; a row never handed to the transport makes them pending
        again; past the reconcile window, silence makes them unresolved. How many are
        still unknown."""
        now = self.processor.clock()
        with self.db.session() as s:
            open_ = s.execute(
                select(BulkRecipient.id, BulkRecipient.line_no, BulkRecipient.attempt, BulkRecipient.status)
                .where(BulkRecipient.job_id == job_id,
                       BulkRecipient.status.in_(("unknown", "unresolved")))
            ).all()
            if not open_:
                return 0
            keys = {recipient_key(job_id, r.line_no, r.attempt): r for r in open_}
            rows = {
                m.idempotency_key: m
                for m in s.execute(
                    select(messages_t.c.id, messages_t.c.idempotency_key, messages_t.c.wamid,
                           messages_t.c.status, messages_t.c.handed_at, messages_t.c.error_title)
                    .where(messages_t.c.idempotency_key.in_(list(keys)))
                )
            }
            left = 0
            for key, rec in keys.items():
                m = rows.get(key)
                change: dict[str, Any]
                if m is None or (m.wamid is None and (m.handed_at is None or m.status == "failed")):
                    change = {"status": "pending", "error": None, "message_id": None}  # never left
                elif m.wamid is not None:
                    failed = m.status == "failed"
                    change = {"status": "failed" if failed else "sent", "message_id": m.id,
                              "error": (m.error_title or "failed") if failed else None}
                    log.info("bulk job %s line %s: Meta's statuses name it %s", job_id, rec.line_no, m.wamid)
                elif (rec.status == "unknown" and now - m.handed_at >= self.reconcile_window
                      and rec.attempt == 0 and _statuses_came_after(s, job_id, m.id, m.handed_at)):
                    # The receiver reported statuses for this job's sends handed after this
                    # one, and none for it within the window: Meta did not take it.
                    change = {"status": "pending", "error": None, "message_id": None,
                              "attempt": rec.attempt + 1}
                    log.warning("bulk job %s line %s: no status within %g s while later sends had "
                                "theirs: sending it again", job_id, rec.line_no,
                                self.reconcile_window.total_seconds())
                elif (rec.status == "unknown" and now - m.handed_at >= self.reconcile_window
                      and now - _last_handed(s, job_id, m.handed_at) >= self.reconcile_window):
                    # Silence, and the receiver had a whole window after the job's last send
                    # to show it works: nothing proves either way.
                    change = {"status": "unresolved", "message_id": m.id,
                              "error": "answer lost, and no status webhook named it within "
                                       f"{self.reconcile_window.total_seconds():g} s"}
                else:
                    left += rec.status == "unknown"
                    continue
                s.execute(update(BulkRecipient).where(BulkRecipient.id == rec.id).values(**change))
        return left

    def _await_evidence(self, job_id: int, stop: Callable[[], bool] | None) -> None:
        """Wait, at most the reconcile window, for the status webhooks of recipients whose
        answer was lost (a receiver, here or in another process, links them by key)."""
        deadline = time.monotonic() + self.reconcile_window.total_seconds() + 1.0
        while self._resolve(job_id) and time.monotonic() < deadline:
            if stop is not None and stop():
                return
            time.sleep(0.5)

    def _decide_unresolved(self, job_id: int, *, resend: bool) -> None:
        """The admin's decision on recipients no evidence resolved: send again under a new
        key (accepting that Meta may have delivered the first), or leave them."""
        with self.db.session() as s:
            where = (BulkRecipient.job_id == job_id, BulkRecipient.status == "unresolved")
            if resend:
                s.execute(update(BulkRecipient).where(*where).values(
                    status="pending", error=None, message_id=None, attempt=BulkRecipient.attempt + 1))
            else:
                s.execute(update(BulkRecipient).where(*where).values(
                    status="skipped", error="left unresolved by the admin"))

    def _close(self, job_id: int) -> None:
        """The job's status: done only when every recipient is settled."""
        with self.db.session() as s:
            counts = {status: n for status, n in s.execute(
                select(BulkRecipient.status, func.count()).where(BulkRecipient.job_id == job_id)
                .group_by(BulkRecipient.status)
            )}
            if counts.get("pending"):
                status = "interrupted"
            elif counts.get("unknown") or counts.get("unresolved"):
                status = "unresolved"
            else:
                status = "done"
            s.execute(update(BulkJob).where(BulkJob.id == job_id).values(status=status, updated_at=utcnow()))
            profile = self.processor.profile
            audit.record(s.connection(), action="bulk.finish", target=f"bulk job {job_id}",
                         detail={"job": job_id, "status": status, "counts": counts},
                         profile=profile.name, waba_id=profile.waba_id)

    def _audit_start(self, s: Session, job: BulkJob, *, resumed: bool) -> None:
        """One entry per run, not per recipient: the recipients are in bulk_recipients."""
        profile = self.processor.profile
        audit.record(s.connection(), action="bulk.start", target=f"bulk job {job.id}",
                     detail={"job": job.id, "template": f"{job.template_name} ({job.template_language})",
                             "recipients": job.total, "csv": Path(job.csv_path).name, "resumed": resumed},
                     profile=profile.name, waba_id=profile.waba_id)

    def _job(
        self, csv_path: Path, digest: str, content: str, name: str, language: str, good: list[BulkRow],
        *, again: bool,
    ) -> int:
        now = utcnow()
        with self.db.session() as s:
            # Two runs of one CSV started together must not each make a job of it: their
            # idempotency keys would differ, and everyone would get the template twice.
            profile = self.processor.profile
            _one_at_a_time(s, f"bulk:{profile.waba_id}:{profile.name}:{content}:{name}:{language}")
            job = s.scalars(
                select(BulkJob)
                .where(
                    # A job made before content keys (migration 0009) is found by its bytes.
                    or_(BulkJob.content_sha256 == content,
                        and_(BulkJob.content_sha256.is_(None), BulkJob.csv_sha256 == digest)),
                    BulkJob.template_name == name,
                    BulkJob.template_language == language,
                    BulkJob.profile == profile.name,
                    # Profile names are each person's own: in a shared database two people's
                    # "default" may be two accounts, whose jobs never resume each other.
                    BulkJob.waba_id == profile.waba_id,
                )
                .order_by(BulkJob.id.desc())
            ).first()
            if job is not None and job.status == "done" and not again:
                # The same list twice is far more often a slip than a wish to message
                # everyone again: a repeat has to be asked for.
                raise BulkError(
                    f"job {job.id} already sent {csv_path.name} ({name}, {language}) on "
                    f"{job.updated_at:%Y-%m-%d %H:%M} UTC",
                    hint="add --again to send it to everyone once more",
                )
            if job is not None and job.status != "done":
                sender = _live_owner(job, now) if job.status == "running" else None
                if sender is not None:
                    raise BulkError(
                        f"job {job.id} ({csv_path.name}, {name}, {language}) is being sent by {sender}",
                        hint="wait for it to finish, or stop it (Ctrl-C) and run the same command "
                        "again to resume it",
                    )
                log.info("resuming bulk job %s", job.id)
                job.status = "running"
                job.owner = owner_id()
                job.content_sha256 = content
                job.updated_at = now
                self._audit_start(s, job, resumed=True)
                return job.id
            job = BulkJob(
                profile=profile.name,
                waba_id=profile.waba_id,
                template_name=name,
                template_language=language,
                csv_path=str(csv_path),
                csv_sha256=digest,
                content_sha256=content,
                total=len(good),
                status="running",
                created_at=now,
                updated_at=now,
                owner=owner_id(),
            )
            s.add(job)
            s.flush()
            s.add_all(
                [
                    BulkRecipient(
                        job_id=job.id, waba_id=profile.waba_id, line_no=r.line, phone=r.phone,
                        parameters=r.raw, status="pending",
                    )
                    for r in good
                ]
            )
            self._audit_start(s, job, resumed=False)
            return job.id

    def _set_many(self, job_id: int, changes: list[dict[str, Any]]) -> None:
        """The chunk's recipients, and the job's heartbeat, in one transaction."""
        recipients = table_of(BulkRecipient)

        def write(conn: Connection) -> None:
            conn.execute(
                update(recipients).where(recipients.c.id == bindparam("r_id")).values(
                    status=bindparam("status"), error=bindparam("error"),
                    message_id=bindparam("message_id"),
                ),
                changes,
            )
            conn.execute(update(table_of(BulkJob)).where(table_of(BulkJob).c.id == job_id)
                         .values(updated_at=utcnow()))

        self.db.transaction(write)


def _statuses_came_after(s: Session, job_id: int, message_id: int, handed_at: datetime) -> bool:
    """Whether a status webhook was ingested for one of the job's sends handed no earlier
    than ``handed_at``: proof that the receiver worked while this one's status should
    have come."""
    return s.execute(
        select(messages_t.c.id)
        .join(BulkRecipient, BulkRecipient.message_id == messages_t.c.id)
        .where(BulkRecipient.job_id == job_id, messages_t.c.id != message_id,
               messages_t.c.handed_at >= handed_at, messages_t.c.sent_at.is_not(None))
        .limit(1)
    ).first() is not None


def _last_handed(s: Session, job_id: int, at_least: datetime) -> datetime:
    """When the job's latest send was handed to the transport."""
    last = s.execute(
        select(func.max(messages_t.c.handed_at))
        .join(BulkRecipient, BulkRecipient.message_id == messages_t.c.id)
        .where(BulkRecipient.job_id == job_id)
    ).scalar()
    return max(last, at_least) if last is not None else at_least


def recipient_key(job_id: int, line: int, attempt: int = 0) -> str:
    """A recipient's idempotency key (echoed by Meta in its statuses); an admin's re-send
    of an unresolved recipient is a new attempt with a key of its own."""
    return f"bulk:{job_id}:{line}" if not attempt else f"bulk:{job_id}:{line}:{attempt}"


def _halted(job_id: int, cause: EasymoError, prog: BulkProgress) -> BulkHalted:
    left = prog.pending
    where = f"job {job_id} stopped with {left} recipient(s) not sent yet"
    if isinstance(cause, GraphAPIError) and cause.code == 190:
        return BulkHalted(
            f"the access token expired or was revoked (code 190): {where}",
            hint="store a new token with `easymo secrets set token`, then run the same command "
            "again to resume; nobody is sent twice",
        )
    if isinstance(cause, GraphAPIError):
        return BulkHalted(f"{cause.message}: {where}",
                          hint=f"{cause.hint or 'fix the profile'}; then run the same command again "
                          "to resume")
    return BulkHalted(
        f"{cause.message}: {where}",
        hint="check the network, then run the same command again to resume; sends whose answer "
        "was lost are reconciled from Meta's status webhooks, never sent twice",
    )


def _one_at_a_time(s: Session, key: str) -> None:
    """Hold, until the session commits, a lock that every run choosing a job for ``key``
    takes first, so the second one sees the job the first made."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    else:
        # A write, even of no row, takes SQLite's one write lock; a deferred transaction's
        # first SELECT would not, and two runs could both read "no job".
        s.execute(text("UPDATE bulk_jobs SET status = status WHERE id = -1"))


def _live_owner(job: BulkJob, now: datetime) -> str | None:
    """Who still sends a "running" job, or None when it may be resumed.

    On this host the owner's process tells (a run killed with SIGKILL leaves its job
    "running"); on another host, a heartbeat within OWNER_LEASE does.
    """
    if not job.owner or job.owner == owner_id():
        return None
    host, _, pid_text = job.owner.rpartition(":")
    who = f"process {pid_text} on {host}"
    if host == socket.gethostname() and pid_text.isdigit():
        return who if _alive(int(pid_text)) else None
    return who if now - job.updated_at < OWNER_LEASE else None


def owner_id() -> str:
    """This process, as a bulk job's owner (computed per call: a forked child is another)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    # psutil, not a signal-0 kill: on Windows os.kill terminates the process it asks about.
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # exists, owned by another user
        return True


def _recipient_state(answer: SendOutcome | EasymoError) -> tuple[str, str | None, int | None]:
    """A recipient's status (a BulkProgress counter, or "pending": never left, to be sent by
    the next run), error and message from its send."""
    if isinstance(answer, OutcomeUnknown):
        return "unknown", answer.message, None
    if isinstance(answer, EasymoError):  # refused before it left: template, parameters, payload
        return "failed", answer.one_line(), None
    if answer.status == "failed":
        if answer.error is not None and _not_sent_alike(answer.error):
            return "pending", None, None
        return "failed", answer.error.one_line() if answer.error else "failed", answer.message_id
    if answer.status == "queued":
        return "unknown", "answer lost; reconciled from status webhooks", answer.message_id
    return "sent", None, answer.message_id


def _not_sent_alike(error: EasymoError) -> bool:
    """A refusal that says nothing about this recipient (the token, the app, the network
    before the request left): the recipient is sent by the next run, not failed."""
    return isinstance(error, NotSent) or (isinstance(error, CloudAPIError) and halts_batch(error))


def _halt_cause(answers: list[SendOutcome | EasymoError]) -> EasymoError | None:
    """Why the batch stopped sending, if it did: the error that stopped it (an expired
    token, a dropped network), else the first message it did not send."""
    errors = [a.error if isinstance(a, SendOutcome) else a for a in answers]
    for error in errors:
        if isinstance(error, CloudAPIError) and halts_batch(error):
            return error
    return next((e for e in errors if isinstance(e, NotSent)), None)


def dry_run(
    processor: MessageProcessor, csv_path: Path, name: str, language: str
) -> tuple[int, list[RowProblem]]:
    _, rows = read_csv(csv_path)
    good, bad = validate_rows(processor, name, language, rows)
    return len(good), bad


__all__ = [
    "BulkError", "BulkHalted", "BulkProgress", "BulkSender", "RowProblem", "content_digest", "dry_run",
    "read_csv", "recipient_key",
]
