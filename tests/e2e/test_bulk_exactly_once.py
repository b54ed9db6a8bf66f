"""Bulk sends exactly once, for real (issue 16): a run killed with SIGKILL and run again
leaves nobody out and sends nobody twice; the same list saved differently is the same job.

Each test starts a sandbox and a receiver: marked slow.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from easymo_core.messaging.bulk import BulkSender
from easymo_core.storage.models import BulkJob, BulkRecipient
from tests.e2e.conftest import Stack, run, wait_for
from tests.e2e.test_cli_send import TEMPLATE, sent_to, write_csv

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _driver(stack: Stack, path: Path, rate: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.bulk_driver", stack.db.url, stack.sandbox.base_url, str(path),
         str(rate)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )


def test_killed_mid_run_then_run_again_nobody_missing_nobody_twice(stack: Stack, tmp_path: Path) -> None:
    """60 recipients paced at 10/s, kill -9 2.5 s into the sending, the same run again."""
    phones = [f"+1555090{i:04d}" for i in range(60)]
    path = tmp_path / "r.csv"
    write_csv(path, phones)
    proc = _driver(stack, path, 10.0)
    try:
        wait_for(lambda: sent_to(stack) or proc.poll() is not None, 60, "the first send")
        time.sleep(2.5)
        assert proc.poll() is None, proc.communicate()[1]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = sum(sent_to(stack).values())
    assert 0 < before < len(phones)
    # The receiver links a send whose answer the kill lost from the key in its statuses.
    sender = BulkSender(stack.services.processor, reconcile_window=timedelta(seconds=10))
    result = sender.run(path, *TEMPLATE)
    sent = sent_to(stack)
    wanted = {p.lstrip("+") for p in phones}
    missing, twice = wanted - set(sent), [p for p, n in sent.items() if n > 1]
    print(f"killed after {before} sends; missing {len(missing)}, twice {len(twice)}")
    assert (sorted(missing), twice) == ([], [])
    assert (result.sent, result.unknown, result.unresolved, result.failed) == (60, 0, 0, 0)
    with stack.db.session() as s:
        assert s.scalars(select(BulkJob.status)).one() == "done"


def test_the_same_list_saved_differently_is_the_same_job(
    cli_env: Stack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CRLF line endings, a BOM, quoting or the columns in another order: one job, sent once."""
    phones = [f"+1555091{i:04d}" for i in range(5)]
    first = tmp_path / "list.csv"
    write_csv(first, phones)
    first.write_bytes(first.read_bytes().replace(b"\r\n", b"\n"))  # csv writes CRLF; start from LF
    args = ("send", "bulk", "--template", TEMPLATE[0], "--lang", TEMPLATE[1], "--csv")
    code, out, err = run(capsys, *args, str(first))
    assert code == 0 and "5 sent" in out, err
    lines = first.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    order = list(reversed(range(len(header))))
    variants = {
        "crlf.csv": ("\r\n".join(lines) + "\r\n").encode(),
        "bom-crlf.csv": ("\ufeff" + "\r\n".join(lines)).encode(),
        "bom.csv": ("\ufeff" + "\n".join(lines) + "\n").encode(),
        "quoted.csv": "\n".join(",".join(f'"{v}"' for v in line.split(",")) for line in lines).encode(),
        "columns.csv": "\n".join(",".join(r[i] for i in order) for r in [header, *rows]).encode(),
        # The phone written as a user would type it is still the same E.164 number.
        "spaced.csv": "\n".join([lines[0], *(",".join([f"+1 555 091 {r[0][-4:]}", *r[1:]]) for r in rows)]
                                ).encode(),
    }
    for name, data in variants.items():
        variant = tmp_path / name
        variant.write_bytes(data)
        assert variant.read_bytes() != first.read_bytes()
        code, out, err = run(capsys, *args, str(variant))
        assert code == 1 and "already sent" in err and "--again" in err, (name, err)
    assert Counter(sent_to(cli_env).values()) == Counter({1: 5})
    with cli_env.db.session() as s:
        assert len(s.scalars(select(BulkJob.id)).all()) == 1
        assert len(s.scalars(select(BulkRecipient.id)).all()) == 5


def test_another_list_is_another_job(cli_env: Stack, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A changed variable or another row order is another job (the content is the key)."""
    phones = [f"+1555092{i:04d}" for i in range(3)]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(first, phones)
    write_csv(second, list(reversed(phones)))
    args = ("send", "bulk", "--template", TEMPLATE[0], "--lang", TEMPLATE[1], "--csv")
    assert run(capsys, *args, str(first))[0] == 0
    code, out, err = run(capsys, *args, str(second))
    assert code == 0 and "3 sent" in out, err
    wait_for(lambda: sum(sent_to(cli_env).values()) == 6, 10, "6 sends")
