"""The README's sandbox walk-through, run as written: the block is read from README.md and
each command runs in a shell from the repository's root, in a throw-away home.

Two things are filled in as a reader would: WAMID (the id the last send printed), and, when
another program holds the default ports 8765/8766, two free ports instead (the servers get
``--port``, the other commands ``EASYMO_GRAPH_URL``): the commands are otherwise the README's.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def walkthrough(readme: str) -> list[str]:
    """The commands of the sandbox section's bash block, continuation lines joined."""
    section = readme.split("## The sandbox", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands, pending = [], ""
    for line in block.splitlines():
        line = line.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line.strip()
        pending = ""
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def test_walkthrough_parses_into_the_steps_in_order() -> None:
    commands = walkthrough((ROOT / "README.md").read_text(encoding="utf-8"))
    words = [" ".join(c.split()[1:3]) for c in commands if c.startswith(".venv/bin/easymo")]
    assert words.index("sandbox inbound") < words.index("send text"), "text before the window opens"
    template = next(c for c in commands if "send template" in c)
    assert "header.1=" in template and "button.1=" in template


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _any_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _free(port):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.mark.slow
def test_readme_sandbox_walkthrough_runs_as_written(tmp_path: Path) -> None:
    if not (ROOT / ".venv" / "bin" / "easymo").exists():
        pytest.fail("the walk-through runs .venv/bin/easymo: install with scripts/test first")
    commands = walkthrough((ROOT / "README.md").read_text(encoding="utf-8"))
    env = dict(os.environ, EASYMO_CONFIG_DIR=str(tmp_path / "config"),
               EASYMO_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    for var in ("EASYMO_PROFILE", "EASYMO_DB_URL", "EASYMO_GRAPH_URL", "EASYMO_ACCESS_TOKEN"):
        env.pop(var, None)
    graph, hook = 8765, 8766
    if not (_free(graph) and _free(hook)):
        graph, hook = _any_port(), _any_port()
        env["EASYMO_GRAPH_URL"] = f"http://127.0.0.1:{graph}"
    background: list[subprocess.Popen[str]] = []
    last_wamid = ""
    outputs: list[tuple[str, str, str]] = []
    try:
        for command in commands:
            command = re.sub(r"\s+#.*$", "", command)  # a trailing comment
            command = command.replace("WAMID", last_wamid)
            command = command.replace("127.0.0.1:8765", f"127.0.0.1:{graph}")
            if command.endswith("&"):
                command = command[:-1].strip()
                if graph != 8765 and "sandbox serve" in command:
                    command += f" --port {graph} --webhook-url http://127.0.0.1:{hook}/webhook"
                if hook != 8766 and "webhook serve" in command:
                    command += f" --port {hook}"
                background.append(subprocess.Popen(
                    command, shell=True, cwd=ROOT, env=env, text=True, start_new_session=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
                continue
            if command.startswith("sleep"):
                _wait_listening(graph)
                _wait_listening(hook)
            done = subprocess.run(command, shell=True, cwd=ROOT, env=env, text=True,
                                  capture_output=True, timeout=120)
            outputs.append((command, done.stdout, done.stderr))
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            assert "WARNING" not in done.stderr, done.stderr
            found = re.findall(r"wamid\.[A-Za-z0-9_=+/-]+", done.stdout)
            if found and "send " in command:
                last_wamid = found[-1]
    finally:
        for proc in background:
            # Its own session: the shell and the server it started stop together.
            os.killpg(proc.pid, signal.SIGTERM) if sys.platform != "win32" else proc.terminate()
            proc.wait(timeout=10)
    text_send = next(o for o in outputs if "send text" in o[0])
    assert "accepted" in text_send[1] and "delivered" in text_send[1]
    template_send = next(o for o in outputs if "send template" in o[0])
    assert "fallback" not in template_send[1] and "accepted" in template_send[1]
    shown = next(o for o in outputs if "messages show" in o[0])
    assert last_wamid and last_wamid in shown[1]
