"""A crash that is no Python exception (a signal from Qt or a C extension) leaves every
thread's stack in the crash log, appended, so the next start does not lose it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

CRASH = (
    "import sys, faulthandler; from pathlib import Path; "
    "from easymo_core.logs import enable_crash_log; "
    "print(enable_crash_log(Path(sys.argv[1]), 'easymo-test'), flush=True); "
    "faulthandler._sigsegv()"
)


def _crash(path: Path, *python_flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *python_flags, "-c", CRASH, str(path)],
                          capture_output=True, text=True, timeout=60)


def test_a_crash_appends_its_stacks_to_the_crash_log(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "crash.log"
    for _ in range(2):
        run = _crash(path)
        assert run.returncode == -signal.SIGSEGV
        assert run.stdout.strip() == str(path)
    text = path.read_text()
    assert text.count("--- easymo-test started") == 2  # the second start kept the first crash
    assert text.count("Fatal Python error: Segmentation fault") == 2
    assert "Current thread" in text or "Thread 0x" in text


def test_stacks_asked_for_on_stderr_stay_there(tmp_path: Path) -> None:
    path = tmp_path / "crash.log"
    run = _crash(path, "-X", "faulthandler")
    assert run.stdout.strip() == "None" and not path.exists()
    assert "Segmentation fault" in run.stderr


def test_an_unwritable_log_directory_is_no_reason_not_to_start(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from easymo_core.logs import enable_crash_log; "
         "print(enable_crash_log(Path(sys.argv[1]), 'x'))", str(blocker / "crash.log")],
        capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "None"
