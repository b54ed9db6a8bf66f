"""Sends when the network or the token fails mid-way (issue 16's fault suite): a clear error,
everything reconciled, nobody sent twice, and a bulk job that resumes.

The client talks to the sandbox through a transport that fails on cue, as a dropped link or
an expired token would. Each test starts a sandbox and a receiver: marked slow.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from easymo_core.cloudapi.client import CloudAPIClient
from easymo_core.cloudapi.pacing import Pacer
from easymo_core.cloudapi.retry import RetryPolicy
from easymo_core.config import sandbox_defaults as sd
from easymo_core.messaging.bulk import CHUNK, BulkHalted, BulkSender
from easymo_core.messaging.processor import MessageProcessor
from easymo_core.storage.models import BulkJob, Message
from tests.e2e.conftest import Stack, wait_for
from tests.e2e.test_cli_send import TEMPLATE, sent_to, write_csv

pytestmark = pytest.mark.slow
# What the transport does with the request it is given (numbered from 1).
Plan = Callable[[int], str]  # "pass", "lost" (forwarded, answer lost), "drop" (lost, never
# forwarded), "down" (cannot connect), "expired" (code 190)
EXPIRED = {"error": {"message": "Error validating access token: Session has expired.",
                     "type": "OAuthException", "code": 190, "error_subcode": 463,
                     "fbtrace_id": "AbC"}}


class FaultyTransport(httpx.BaseTransport):
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.inner = httpx.HTTPTransport()
        self.count = 0
        self.seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/messages"):
            return self.inner.handle_request(request)
        with self._lock:
            self.count += 1
            action = self.plan(self.count)
            self.seen[action] += 1
        if action == "down":
            raise httpx.ConnectError("[Errno 101] Network is unreachable", request=request)
        if action == "drop":
            raise httpx.ReadError("connection reset by peer", request=request)
        if action == "expired":
            return httpx.Response(401, json=EXPIRED, request=request)
        response = self.inner.handle_request(request)
        response.read()
        if action == "lost":
            raise httpx.ReadError("connection reset by peer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def _processor(stack: Stack, plan: Plan) -> tuple[MessageProcessor, FaultyTransport]:
    transport = FaultyTransport(plan)
    client = CloudAPIClient(
        access_token=sd.SANDBOX_TOKEN, phone_number_id=stack.profile.phone_number_id,
        waba_id=stack.profile.waba_id, base_url=stack.sandbox.base_url,
        graph_version=stack.profile.graph_version, transport=transport,
        pacer=Pacer(1000.0, pair_burst=5),
        retry=RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0),
    )
    services = stack.services
    return MessageProcessor(services.db, client, stack.profile, services.templates, services.ingest), transport


def _phones(prefix: str, n: int) -> list[str]:
    return [f"+1555{prefix}{i:04d}" for i in range(n)]


def test_composer_send_when_the_answer_is_lost_is_reconciled_not_repeated(stack: Stack) -> None:
    processor, _ = _processor(stack, lambda n: "lost")
    outcome = processor.send_text("+15550931111", "hello", source="composer")
    if outcome.wamid is None:  # the receiver had not linked it yet
        assert outcome.status == "queued" and outcome.error is not None
        assert "may or may not have been sent" in outcome.error.message
    def linked() -> tuple[object, object] | None:
        with stack.db.session() as s:
            row = s.get(Message, outcome.message_id)
            return (row.wamid, row.handed_at) if row is not None and row.wamid else None

    wamid, handed_at = wait_for(linked, 10, "the status webhook to link the send")
    assert wamid and handed_at is not None
    assert processor.reconcile(older_than=timedelta(0)) == []
    assert sent_to(stack) == Counter({"15550931111": 1})


def test_composer_send_when_the_network_is_down_fails_clearly_and_sends_once_later(stack: Stack) -> None:
    processor, transport = _processor(stack, lambda n: "down")
    outcome = processor.send_text("+15550932222", "hello", source="composer", idempotency_key="k-down")
    assert outcome.status == "failed" and outcome.error is not None
    assert "Cannot reach" in outcome.error.message and outcome.error.hint
    transport.plan = lambda n: "pass"  # the network is back; the admin presses Send again
    again = processor.send_text("+15550932222", "hello", source="composer", idempotency_key="k-down")
    assert again.status == "accepted" and again.wamid
    assert processor.send_text("+15550932222", "hello", idempotency_key="k-down").duplicate
    assert sent_to(stack) == Counter({"15550932222": 1})


def _run_to_the_end(stack: Stack, path: Path, phones: list[str]) -> None:
    """A second run with the network and the token fine: everyone exactly once, job done."""
    processor, _ = _processor(stack, lambda n: "pass")
    # A window of some seconds: a status webhook the receiver did not take at once (a busy
    # machine) comes back after the sandbox's retry delay, as Meta's would.
    result = BulkSender(processor, reconcile_window=timedelta(seconds=5)).run(path, *TEMPLATE)
    sent = sent_to(stack)
    assert (sorted({p.lstrip("+") for p in phones} - set(sent)), [p for p, n in sent.items() if n > 1]) \
        == ([], [])
    assert (result.sent, result.unresolved, result.unknown) == (len(phones), 0, 0)
    with stack.db.session() as s:
        assert s.scalars(select(BulkJob.status)).one() == "done"


def test_bulk_when_the_network_drops_mid_send(stack: Stack, tmp_path: Path) -> None:
    """20 requests go through, the 21st reaches Meta but its answer is lost, the 22nd is lost
    on the way, then nothing connects: the run stops with what to do; the next run sends
    the ones that never left and the one lost on the way, and not the 21st again."""
    stack.services.templates.sync()
    phones = _phones("094", 50)
    path = tmp_path / "r.csv"
    write_csv(path, phones)
    plan = {21: "lost", 22: "drop"}
    processor, transport = _processor(stack, lambda n: plan.get(n, "pass" if n <= 20 else "down"))
    with pytest.raises(BulkHalted) as stopped:
        BulkSender(processor, reconcile_window=timedelta(seconds=1)).run(path, *TEMPLATE)
    line = stopped.value.one_line()
    assert "Cannot reach" in line and "not sent yet" in line and "run the same command again" in line
    # No storm: after the first refused connection only the sends already on their way (and
    # their retries) were tried.
    assert transport.seen["down"] <= 3 * CHUNK
    assert sum(sent_to(stack).values()) == 21
    with stack.db.session() as s:
        assert s.scalars(select(BulkJob.status)).one() == "interrupted"
    _run_to_the_end(stack, path, phones)


def test_bulk_when_the_token_expires_mid_send(stack: Stack, tmp_path: Path) -> None:
    """Code 190 after 20 sends: the run stops at once with a prompt to store a new token, no
    retry storm; the same command then finishes the job, nobody twice."""
    stack.services.templates.sync()
    phones = _phones("095", 50)
    path = tmp_path / "r.csv"
    write_csv(path, phones)
    processor, transport = _processor(stack, lambda n: "pass" if n <= 20 else "expired")
    with pytest.raises(BulkHalted) as stopped:
        BulkSender(processor).run(path, *TEMPLATE)
    line = stopped.value.one_line()
    assert "access token expired" in line and "`easymo secrets set token`" in line
    assert "run the same command again" in line
    # 190 is never retried, and once it came no further request was written: at most the
    # sends of that batch already past their turn saw it.
    assert 1 <= transport.seen["expired"] < CHUNK
    assert sum(sent_to(stack).values()) == 20
    with stack.db.session() as s:
        assert s.scalars(select(BulkJob.status)).one() == "interrupted"
        assert s.scalars(select(Message).where(Message.status == "failed")).all() != []
    _run_to_the_end(stack, path, phones)


def test_bulk_lost_answers_without_evidence_are_left_to_the_admin(stack: Stack, tmp_path: Path) -> None:
    """Every answer lost and no status at all (none of the requests reached Meta, and the
    receiver can show nothing): after the window they are listed, not re-sent, and the job
    is not done; the admin's --resend-unresolved sends each once, --skip-unresolved ends it."""
    stack.services.templates.sync()
    phones = _phones("096", 3)
    path = tmp_path / "r.csv"
    write_csv(path, phones)
    processor, transport = _processor(stack, lambda n: "drop")
    sender = BulkSender(processor, reconcile_window=timedelta(seconds=0.5))
    result = sender.run(path, *TEMPLATE)
    assert (result.unresolved, result.sent) == (3, 0)
    assert sorted(phone for _, phone, _ in result.unresolved_rows) == [p.lstrip("+") for p in phones]
    with stack.db.session() as s:
        assert s.scalars(select(BulkJob.status)).one() == "unresolved"
    transport.plan = lambda n: "pass"
    again = sender.run(path, *TEMPLATE)  # no decision: still listed, still nothing sent
    assert (again.unresolved, sum(sent_to(stack).values())) == (3, 0)
    done = sender.run(path, *TEMPLATE, resend_unresolved=True)
    assert (done.sent, done.unresolved) == (3, 0)
    assert sent_to(stack) == Counter({p.lstrip("+"): 1 for p in phones})
    with stack.db.session() as s:
        assert s.scalars(select(BulkJob.status)).one() == "done"


def test_bulk_unresolved_recipients_can_be_skipped(stack: Stack, tmp_path: Path) -> None:
    stack.services.templates.sync()
    phones = _phones("097", 2)
    path = tmp_path / "r.csv"
    write_csv(path, phones)
    processor, transport = _processor(stack, lambda n: "drop")
    sender = BulkSender(processor, reconcile_window=timedelta(seconds=0.5))
    assert sender.run(path, *TEMPLATE).unresolved == 2
    transport.plan = lambda n: "pass"
    result = sender.run(path, *TEMPLATE, skip_unresolved=True)
    assert (result.skipped, result.unresolved, sum(sent_to(stack).values())) == (2, 0, 0)
    with stack.db.session() as s:
        assert s.scalars(select(BulkJob.status)).one() == "done"
