"""The sandbox stack in a child process.

The embedded sandbox, webhook receiver and simulated users are busy Python servers. Run in
the console's own process they compete with the UI thread for the GIL, and under load the
window stutters for a few hundred milliseconds. In a child process they cost the UI
nothing; the shared SQLite database (WAL) is how their webhooks reach the console, exactly
as with a receiver on a server.

Same surface as ``easymo_core.runtime.sandbox_stack.SandboxStack``: ``start()``,
``graph_url``, ``webhook_url``, ``running``, ``stop()`` (well under a second).

The child is ``python -m app.sandbox_process``: settings arrive as one JSON line on stdin,
the URLs go back as one JSON line on stdout, and a "stop" line (or stdin closing, when
the console dies) stops it. A plain subprocess rather than multiprocessing, so it works
whatever the console's __main__ module is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from easymo_core.config.profile import Profile
from easymo_core.errors import EasymoError

log = logging.getLogger("easymo.console.sandbox")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 0.8


class SandboxStartFailed(EasymoError):
    """The sandbox child process could not start its servers."""


class SandboxProcess:
    def __init__(self, profile: Profile, **options: Any) -> None:
        self.profile = profile
        self.options = options
        self._proc: subprocess.Popen[str] | None = None
        self._graph_url = ""
        self._webhook_url = ""

    @property
    def graph_url(self) -> str:
        return self._graph_url

    @property
    def webhook_url(self) -> str:
        return self._webhook_url

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        self._proc = proc = subprocess.Popen(
            [sys.executable, "-m", "app.sandbox_process"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, text=True,
            env=env, cwd=root,
        )
        assert proc.stdin is not None and proc.stdout is not None
        settings = {"profile": {"name": self.profile.name, **self.profile.to_toml_dict()},
                    "options": self.options}
        proc.stdin.write(json.dumps(settings) + "\n")
        proc.stdin.flush()
        answer = _read_line(proc, timeout)
        if answer is None:
            self.stop()
            raise SandboxStartFailed(
                f"the sandbox did not start within {timeout:.0f} s",
                hint="see the console log; another program may hold its ports",
            )
        data = json.loads(answer) if answer.strip() else {"error": "it exited while starting"}
        if "error" in data:
            self.stop()
            raise SandboxStartFailed(f"the sandbox could not start: {data['error']}",
                                     hint=data.get("hint", "see the console log"))
        self._graph_url, self._webhook_url = data["graph_url"], data["webhook_url"]
        log.info("sandbox process %s: %s, webhooks %s", proc.pid, self._graph_url,
                 self._webhook_url)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):  # the child may be gone already
            assert proc.stdin is not None
            proc.stdin.write("stop\n")
            proc.stdin.close()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("sandbox process did not stop in %.1f s; terminating", timeout)
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(0.5)
        if proc.stdout is not None:
            proc.stdout.close()


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str | None:
    """One line of the child's stdout, or None after ``timeout`` seconds."""
    # A thread, not selectors: on Windows a selector waits on sockets only, never on a pipe.
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True,
                              name="sandbox-start-reader")
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else None


def _child() -> int:
    """``python -m app.sandbox_process``: serve until told to stop."""
    from easymo_core.runtime.sandbox_stack import SandboxStack

    # Background work: on a busy machine the console's window comes first.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    settings = json.loads(sys.stdin.readline())
    data = settings["profile"]
    profile = Profile.from_toml_dict(data.pop("name"), data)
    # JSON turned the (low, high) ranges into lists.
    options: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in settings["options"].items()
    }
    try:
        stack = SandboxStack(profile, **options)
        try:
            stack.start()
        except (EasymoError, RuntimeError):
            # The default port looked free and was taken before the server bound it (a
            # race in the stack's check-then-bind; the server reports it as RuntimeError):
            # on a second try the check sees it taken and the stack falls back to any free
            # port.
            with contextlib.suppress(Exception):
                stack.stop()
            stack = SandboxStack(profile, **options)
            stack.start()
    except EasymoError as exc:
        print(json.dumps({"error": exc.message, "hint": exc.hint}), flush=True)
        return 1
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(json.dumps({"graph_url": stack.graph_url, "webhook_url": stack.webhook_url}),
          flush=True)
    try:
        sys.stdin.readline()  # "stop", or "" when the console's end of the pipe closed
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
