"""The send, templates, messages and bulk commands, run as a user runs them, on the whole stack.

The CLI talks to a sandbox and a receiver started by the test (EASYMO_GRAPH_URL and
EASYMO_DB_URL point the built-in sandbox profile at them), so what a command prints can be
checked against what the sandbox saw and what the database holds.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from easymo_core.os_user import os_user
from easymo_core.storage.models import BulkJob, BulkRecipient, Message
from tests.e2e.conftest import Stack, run, wait_for

# Every test here starts the sandbox and the webhook receiver, most the CLI in a process.
pytestmark = pytest.mark.slow

TEMPLATE = ("order_update", "en_US")






def sent_to(stack: Stack) -> Counter[str]:
    """How many times the sandbox accepted a message for each recipient."""
    entries = stack.log()["entries"]
    return Counter(e["to"] for e in entries if e.get("wamid") and e.get("to"))


def write_csv(path: Path, phones: list[str], bad_lines: dict[int, dict[str, str]] | None = None) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["phone", "header.1", "1", "2", "button.1"])
        w.writeheader()
        for i, phone in enumerate(phones):
            row = {"phone": phone, "header.1": f"A{i:04d}", "1": f"Ana {i}", "2": "Friday", "button.1": f"A{i:04d}"}
            row.update((bad_lines or {}).get(i + 2, {}))  # line 1 is the header
            w.writerow(row)


def test_send_text_waits_until_read_and_messages_show_it(cli_env: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.control("inbound", **{"from": "15550001111", "text": "hello"})  # opens the 24-hour window
    code, out, err = run(capsys, "send", "text", "--to", "+15550001111", "--body", "*Hi* there", "--wait",
                         "--timeout", "20", "--json")
    assert code == 0, err
    sent = json.loads(out)
    assert sent["wamid"].startswith("wamid.") and sent["status"] == "read"
    code, out, _ = run(capsys, "messages", "show", sent["wamid"], "--json")
    shown = json.loads(out)
    assert [e["status"] for e in shown["events"]] == ["sent", "delivered", "read"]
    assert all(e["meta_ts"] for e in shown["events"])
    message = shown["message"]
    assert message["delivery_latency_ms"] is not None and message["read_latency_ms"] is not None
    code, out, _ = run(capsys, "messages", "list", "--status", "read", "--json")
    assert sent["wamid"] in {m["wamid"] for m in json.loads(out)}
    code, out, _ = run(capsys, "messages", "list")
    row = next(line for line in out.splitlines() if line.startswith(str(sent["message_id"]) + " "))
    assert code == 0 and " out " in row and " read" in row


def test_user_errors_are_one_line_with_what_to_do(cli_env: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "send", "text", "--to", "12", "--body", "x")
    assert code == 1 and err.count("\n") == 1 and "phone" in err.lower()
    code, _, err = run(capsys, "send", "template", "--to", "+15550001111", "--name", "no_such_template",
                       "--lang", "en_US")
    assert code == 1 and "no_such_template" in err and "Traceback" not in err
    code, _, err = run(capsys, "messages", "show", "wamid.nothing")
    assert code == 1 and "wamid.nothing" in err


def test_templates_sync_list_and_template_send(cli_env: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "templates", "sync")
    assert code == 0, err
    code, out, _ = run(capsys, "templates", "list", "--json")
    names = {(t["name"], t["language"]) for t in json.loads(out)}
    assert TEMPLATE in names
    code, out, err = run(capsys, "send", "template", "--to", "+15550002222", "--name", TEMPLATE[0],
                         "--lang", TEMPLATE[1], "--param", "header.1=A1", "--param", "Ana", "--param", "Friday",
                         "--param", "button.1=A1", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "accepted"


def test_bulk_dry_run_reports_bad_rows_by_line(cli_env: Stack, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.csv"
    write_csv(path, [f"+1555010{i:04d}" for i in range(6)],
              {3: {"phone": "not a phone"}, 5: {"2": ""}})
    code, out, _ = run(capsys, "send", "bulk", "--template", TEMPLATE[0], "--lang", TEMPLATE[1],
                       "--csv", str(path), "--dry-run")
    assert code == 1
    assert "line 3:" in out and "line 5:" in out and "4 row(s) ready, 2 invalid" in out
    assert sent_to(cli_env) == Counter()


def _bulk_process(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "easymo_core.cli.main", "send", "bulk", "--template", TEMPLATE[0],
         "--lang", TEMPLATE[1], "--csv", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )


def _interrupt_after(stack: Stack, proc: subprocess.Popen[str], count: int, sig: int) -> str:
    """The interrupted run's stderr."""
    wait_for(lambda: sum(sent_to(stack).values()) >= count or proc.poll() is not None, 60, "sends")
    assert proc.poll() is None, "the bulk run finished before it could be interrupted"
    proc.send_signal(sig)
    return proc.communicate(timeout=30)[1]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_bulk_interrupted_then_resumed_sends_everyone_once(
    cli_env: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str], sig: int
) -> None:
    # Every Graph answer takes 40 ms, so the run (batches of CHUNK in flight) is still
    # going when it is interrupted.
    cli_env.control("config", slow_rate=1.0, slow_seconds=0.04)
    phones = [f"+1555020{i:04d}" for i in range(240)]
    path = tmp_path / "r.csv"
    write_csv(path, phones)
    proc = _bulk_process(path)
    err = _interrupt_after(cli_env, proc, 10, sig)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
    before = sent_to(cli_env)
    assert 10 <= sum(before.values()) < len(phones)
    cli_env.control("config", slow_rate=0.0)
    code, out, err = run(capsys, "send", "bulk", "--template", TEMPLATE[0], "--lang", TEMPLATE[1],
                         "--csv", str(path), "--reconcile-window", "10")
    assert code == 0, err
    after = sent_to(cli_env)
    wanted = {p.lstrip("+") for p in phones}
    assert set(after) <= wanted and max(after.values()) == 1, "someone got the template twice"
    # SIGKILL lands while a batch is in flight: its recipients that never reached the
    # transport are sent by the second run; those whose answer was lost are linked by the
    # receiver from the key echoed in their statuses. Ctrl-C lets the batch finish.
    unknown = int(out.split(" unknown")[0].rsplit(" ", 1)[-1])
    assert (sorted(wanted - set(after)), unknown) == ([], 0)
    assert "240" in out.splitlines()[-1]


def test_bulk_resumed_after_finish_sends_nothing(cli_env: Stack, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.csv"
    write_csv(path, [f"+1555030{i:04d}" for i in range(5)])
    args = ("send", "bulk", "--template", TEMPLATE[0], "--lang", TEMPLATE[1], "--csv", str(path))
    code, out, err = run(capsys, *args)
    assert code == 0 and "5 sent" in out, err
    wait_for(lambda: sum(sent_to(cli_env).values()) == 5, 10, "5 sends")
    # The job, its recipients and its messages are the profile's account's, sent by this
    # OS user.
    with cli_env.db.session() as s:
        accounts = {*s.scalars(select(BulkJob.waba_id)), *s.scalars(select(BulkRecipient.waba_id)),
                    *s.scalars(select(Message.waba_id))}
        admins = set(s.scalars(select(Message.admin)))
    assert accounts == {cli_env.profile.waba_id} and cli_env.profile.waba_id
    assert admins == {os_user()}
    time.sleep(0.2)
    code, out, err = run(capsys, *args)
    assert code == 1 and "already sent" in err and "--again" in err
    assert sum(sent_to(cli_env).values()) == 5
    code, out, err = run(capsys, *args, "--again")
    assert code == 0 and "5 sent" in out, err
    wait_for(lambda: sum(sent_to(cli_env).values()) == 10, 10, "10 sends")


def test_a_second_run_of_a_job_still_being_sent_is_refused(
    cli_env: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An admin starts the same CSV again while the first run still sends it (in another
    terminal, thinking it died): refused, naming the process, and nobody is sent twice."""
    cli_env.control("config", slow_rate=1.0, slow_seconds=0.04)
    phones = [f"+1555060{i:04d}" for i in range(120)]
    path = tmp_path / "r.csv"
    write_csv(path, phones)
    proc = _bulk_process(path)
    try:
        wait_for(lambda: sum(sent_to(cli_env).values()) >= 10 or proc.poll() is not None, 60, "sends")
        assert proc.poll() is None, "the first run finished before the second started"
        code, _, err = run(capsys, "send", "bulk", "--template", TEMPLATE[0], "--lang", TEMPLATE[1],
                           "--csv", str(path))
        assert code == 1 and f"is being sent by process {proc.pid}" in err and "Ctrl-C" in err, err
        assert "Traceback" not in err
        cli_env.control("config", slow_rate=0.0)
        _, first_err = proc.communicate(timeout=60)
        assert proc.returncode == 0, first_err
    finally:
        if proc.poll() is None:
            proc.kill()
    sent = sent_to(cli_env)
    assert set(sent) == {p.lstrip("+") for p in phones} and max(sent.values()) == 1


def test_a_job_left_running_on_another_host_waits_for_its_lease(
    cli_env: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another host's run is judged by its heartbeat: fresh, it is still sending; silent
    past the lease, its job may be resumed here."""
    from datetime import timedelta

    from sqlalchemy import update

    from easymo_core.messaging.bulk import OWNER_LEASE
    from easymo_core.storage.models import BulkJob
    from easymo_core.storage.types import utcnow

    path = tmp_path / "r.csv"
    write_csv(path, [f"+1555070{i:04d}" for i in range(3)])
    args = ("send", "bulk", "--template", TEMPLATE[0], "--lang", TEMPLATE[1], "--csv", str(path))
    assert run(capsys, *args)[0] == 0

    def left_running(silent_for: timedelta) -> None:
        with cli_env.db.session() as s:
            s.execute(update(BulkJob).values(status="running", owner="elsewhere.example:4242",
                                             updated_at=utcnow() - silent_for))

    left_running(timedelta(seconds=5))
    code, _, err = run(capsys, *args)
    assert code == 1 and "is being sent by process 4242 on elsewhere.example" in err, err
    left_running(OWNER_LEASE + timedelta(seconds=5))
    code, out, err = run(capsys, *args)
    assert code == 0 and "3 sent" in out, err  # resumed: everyone had been sent already
    assert sum(sent_to(cli_env).values()) == 3


def test_two_runs_choosing_a_job_at_once_make_one_job(cli_env: Stack, tmp_path: Path) -> None:
    """Two runs of one CSV started at the same moment: the second must see the first's job,
    or the two would send everyone the template under different keys. The first is held
    between its look for a job and its insert of one while the second tries."""
    import threading
    from collections.abc import Iterator
    from contextlib import contextmanager

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from easymo_core.messaging.bulk import BulkSender, content_digest, read_csv, validate_rows
    from easymo_core.storage.engine import Database
    from easymo_core.storage.models import BulkJob

    path = tmp_path / "r.csv"
    write_csv(path, [f"+1555080{i:04d}" for i in range(3)])
    cli_env.services.templates.sync()
    digest, rows = read_csv(path)
    good, _ = validate_rows(cli_env.services.processor, *TEMPLATE, rows)
    first, second = BulkSender(cli_env.services.processor), BulkSender(cli_env.services.processor)
    first.db = Database(cli_env.db.url)  # two processes: two connection pools
    ids: dict[str, int] = {}
    second_done = threading.Event()

    def second_run() -> None:
        ids["second"] = second._job(path, digest, content_digest(good), *TEMPLATE, good, again=False)
        second_done.set()

    real_session = first.db.session

    @contextmanager
    def pausing_session() -> Iterator[Session]:
        with real_session() as s:
            real_add = s.add

            def add(obj: object, _warn: bool = True) -> None:  # Session.add's signature
                if isinstance(obj, BulkJob):  # the first run found no job and makes one
                    threading.Thread(target=second_run).start()
                    # A whole second for the second run to make its own job, if nothing stops it.
                    assert not second_done.wait(1.0), "the second run chose while the first was choosing"
                real_add(obj, _warn=_warn)

            s.add = add  # type: ignore[method-assign]
            yield s

    first.db.session = pausing_session  # type: ignore[method-assign]
    try:
        ids["first"] = first._job(path, digest, content_digest(good), *TEMPLATE, good, again=False)
        assert second_done.wait(30), "the second run never finished"
    finally:
        first.db.dispose()
    with cli_env.db.session() as s:
        assert s.scalar(select(func.count()).select_from(BulkJob)) == 1
    assert ids["first"] == ids["second"]
