"""`easymo flows ...` run as a user runs it: exit codes, what it prints, what it stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from easymo_core.cli.context import run_guarded
from easymo_core.cli.main import cli
from tests.e2e.conftest import wait_for
from tests.flows.conftest import FlowStack
from tests.flows.helpers import ORDER_FLOW


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_guarded(cli, list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_prints_every_problem_with_its_line(tmp_path: Path) -> None:
    good = tmp_path / "order.yaml"
    good.write_text(ORDER_FLOW)
    bad = tmp_path / "bad.yaml"
    bad.write_text(ORDER_FLOW.replace("next: rate}", "next: rat}").replace("'#?\\d{4,}'", "'(unclosed'"))
    # the real entry point, once: exit codes are what scripts see
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-m", "easymo_core.cli.main", "flows", "validate", str(good)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok: order_check (5 steps, starts at ask, ends at human, done)"
    proc = subprocess.run([sys.executable, "-m", "easymo_core.cli.main", "flows", "validate", str(bad)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"{bad}:7: step 'ask' goes to unknown step 'rat'",
        f"{bad}:16: step 'details': bad regular expression '(unclosed': missing ), unterminated subpattern at position 0",
        "2 problems: the flow is refused",
    ]


def test_validate_a_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "flows", "validate", str(tmp_path / "nope.yaml"))
    assert code == 1 and "cannot read it" in err


def test_import_list_show(capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "order.yaml"
    path.write_text(ORDER_FLOW)
    base = ("--db-url", db_url, "flows")
    assert run(capsys, *base, "import", str(path))[1] == "created: order_check version 1\n"
    assert run(capsys, *base, "import", str(path))[1] == "unchanged: order_check version 1\n"
    path.write_text(ORDER_FLOW.replace("Thank you!", "Thanks a lot!"))
    assert run(capsys, *base, "import", str(path))[1] == "updated: order_check version 2\n"
    code, out, _ = run(capsys, *base, "list", "--json")
    listed = {f["name"]: f for f in json.loads(out)}
    assert listed["order_check"]["origin"] == "stored" and listed["order_check"]["version"] == 2
    assert listed["satisfaction_survey"]["origin"] == "built-in" and listed["satisfaction_survey"]["steps"] == 4
    code, out, _ = run(capsys, *base, "show", "order_check")
    assert code == 0 and out.startswith("# order_check (version 2)\n") and "Thanks a lot!" in out
    code, _, err = run(capsys, *base, "show", "nope")
    assert code == 1 and err == "error: flow 'nope' not found — `easymo flows list` shows the stored ones; `easymo flows import FILE` adds one\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps:\n  a:\n    text: hi\n")
    code, _, err = run(capsys, *base, "import", str(bad))
    assert code == 1 and f"{bad}:2: the flow has no end" in err and err.count("\n") == 1


def test_start_sends_the_first_step(capsys: pytest.CaptureFixture[str], flow_stack: FlowStack,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EASYMO_GRAPH_URL", flow_stack.sandbox.base_url)
    monkeypatch.setenv("EASYMO_DB_URL", flow_stack.db.url)
    code, _, err = run(capsys, "flows", "start", "order_check", "--to", "+15550109001")
    assert code == 1 and "has not written in the last 24 hours" in err and "--force" in err
    hello = flow_stack.write("15550109001", text="hi")
    wait_for(lambda: flow_stack.inbound_stored(hello["id"]), what="the greeting")
    code, out, err = run(capsys, "flows", "start", "satisfaction_survey", "--to", "+15550109001", "--json")
    assert code == 0, err
    started = json.loads(out)
    assert started["status"] == "active" and started["step"] == "rate" and started["message_status"] == "accepted"
    sent = flow_stack.next_flow_message("15550109001", 1)
    assert sent.wamid == started["wamid"]
    code, out, _ = run(capsys, "flows", "show", "satisfaction_survey", "--json")
    # The run is the profile's account's, as the greeting that opened the window was.
    assert [(s["contact"], s["account"]) for s in json.loads(out)["states"]] == [
        ("15550109001", flow_stack.profile.waba_id)]
    code, out, _ = run(capsys, "flows", "list")
    row = next(line for line in out.splitlines() if line.startswith("satisfaction_survey"))
    assert row.split()[-3:] == ["1", "0", "0"]  # active, completed, abandoned
    code, out, _ = run(capsys, "flows", "expire")
    assert code == 0 and out == "abandoned 0 timed-out flow states\n"
