"""Bulk sends: one template to a CSV of recipients, resumable, each recipient exactly once.

CSV format (UTF-8, header row): a ``phone`` column (or ``to``), then one column per body
variable named as in the template (``1``, ``2`` ... or ``first_name`` ...), ``header.N`` for
header variables and ``button.I`` for the value of button I (URL suffix, coupon code).

A job is keyed by the CSV's content and the template: running the same command again after
a crash or Ctrl-C resumes it. Each recipient's idempotency key is ``bulk:<job>:<line>``, so
the processor never sends one twice, even when the crash fell between the send and the
bookkeeping.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.phone import normalize_phone
from easymo_core.errors import EasymoError
from easymo_core.messaging.batch import DEFAULT_CONCURRENCY, TemplateRequest
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
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped + self.unknown


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


class BulkSender:
    def __init__(self, processor: MessageProcessor) -> None:
        self.processor = processor
        self.db = processor.db

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
    ) -> BulkProgress:
        digest, rows = read_csv(csv_path)
        good, bad = validate_rows(self.processor, name, language, rows)
        if bad:
            first = bad[0]
            raise BulkError(
                f"{len(bad)} row(s) of {csv_path} are invalid; line {first.line}: {first.message}",
                hint="fix them (see --dry-run for the full list); nothing was sent",
            )
        job_id = self._job(csv_path, digest, name, language, good, again=again)
        with self.db.session() as s:
            pending = s.execute(
                select(BulkRecipient.id, BulkRecipient.line_no, BulkRecipient.phone, BulkRecipient.status)
                .where(BulkRecipient.job_id == job_id)
                .order_by(BulkRecipient.line_no)
            ).all()
        by_line = {r.line: r for r in good}
        prog = BulkProgress(job_id=job_id, total=len(pending))
        todo = []
        for rec in pending:
            if rec.status == "sent":
                prog.sent += 1
            elif rec.status == "failed":
                prog.failed += 1
            else:
                todo.append(rec)
        # Through the processor's batch path: the same checks and records as one send, with
        # CHUNK requests in flight at once. One send at a time waited a whole round trip
        # per recipient (136 msg/s on loopback, a few per second against Meta's RTT).
        for start in range(0, len(todo), CHUNK):
            if stop is not None and stop():
                break
            chunk = todo[start:start + CHUNK]
            requests = [
                TemplateRequest(by_line[rec.line_no].phone, name, language,
                                by_line[rec.line_no].params,
                                idempotency_key=f"bulk:{job_id}:{rec.line_no}")
                for rec in chunk
            ]
            changes = []
            answers = self.processor.send_template_batch(requests, source=source, concurrency=CHUNK)
            for rec, answer in zip(chunk, answers, strict=True):
                status, error, message_id = _recipient_state(answer)
                setattr(prog, status, getattr(prog, status) + 1)  # a counter of that name
                changes.append({"r_id": rec.id, "status": status, "error": error,
                                "message_id": message_id})
            self._set_many(job_id, changes)
            if progress:
                progress(prog)
        with self.db.session() as s:
            left = s.scalar(
                select(func.count())
                .select_from(BulkRecipient)
                .where(BulkRecipient.job_id == job_id, BulkRecipient.status == "pending")
            )
            s.execute(
                update(BulkJob)
                .where(BulkJob.id == job_id)
                .values(status="done" if not left else "interrupted", updated_at=utcnow())
            )
        return prog

    def _job(
        self, csv_path: Path, digest: str, name: str, language: str, good: list[BulkRow], *, again: bool
    ) -> int:
        now = utcnow()
        with self.db.session() as s:
            # Two runs of one CSV started together must not each make a job of it: their
            # idempotency keys would differ, and everyone would get the template twice.
            _one_at_a_time(s, f"bulk:{self.processor.profile.name}:{digest}:{name}:{language}")
            job = s.scalars(
                select(BulkJob)
                .where(
                    BulkJob.csv_sha256 == digest,
                    BulkJob.template_name == name,
                    BulkJob.template_language == language,
                    BulkJob.profile == self.processor.profile.name,
                )
                .order_by(BulkJob.id.desc())
            ).first()
            if job is not None and job.status == "done" and not again:
                # The same file twice is far more often a slip than a wish to message
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
                job.updated_at = now
                return job.id
            job = BulkJob(
                profile=self.processor.profile.name,
                template_name=name,
                template_language=language,
                csv_path=str(csv_path),
                csv_sha256=digest,
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
                        job_id=job.id, line_no=r.line, phone=r.phone, parameters=r.raw, status="pending"
                    )
                    for r in good
                ]
            )
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
    # psutil, not os.kill(pid, 0): on Windows that call terminates the process it asks about.
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # exists, owned by another user
        return True


def _recipient_state(answer: SendOutcome | EasymoError) -> tuple[str, str | None, int | None]:
    """A recipient's status (a BulkProgress counter), error and message from its send."""
    if isinstance(answer, OutcomeUnknown):
        return "unknown", answer.message, None
    if isinstance(answer, EasymoError):  # refused before it left: template, parameters, payload
        return "failed", answer.one_line(), None
    if answer.status == "failed":
        return "failed", answer.error.one_line() if answer.error else "failed", answer.message_id
    if answer.status == "queued":
        return "unknown", "answer lost; reconciled from status webhooks", answer.message_id
    return "sent", None, answer.message_id


def dry_run(
    processor: MessageProcessor, csv_path: Path, name: str, language: str
) -> tuple[int, list[RowProblem]]:
    _, rows = read_csv(csv_path)
    good, bad = validate_rows(processor, name, language, rows)
    return len(good), bad


__all__ = ["BulkError", "BulkProgress", "BulkSender", "RowProblem", "dry_run", "read_csv"]
