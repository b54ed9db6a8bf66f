"""No POSIX-only call on a path a Windows or macOS admin takes.

Scans the source of app/ and easymo_core/ (ast, not grep, so comments and strings do not
count). ``os.kill(pid, 0)`` *terminates* the process on Windows, ``select.poll`` and
``fcntl`` do not exist there: psutil and ``selectors`` do the same portably.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "easymo_core")

# module -> attributes that do not exist, or do something else, on Windows
POSIX_ONLY_ATTRIBUTES = {
    "os": {"kill", "killpg", "fork", "forkpty", "setsid", "getpgid", "setpgrp", "getuid",
           "geteuid", "chown", "mkfifo", "wait", "waitpid", "WNOHANG"},
    "select": {"poll", "epoll", "kqueue", "devpoll"},
    "signal": {"SIGKILL", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCHLD", "SIGQUIT",
               "alarm", "pause", "setitimer", "siginterrupt"},
}
POSIX_ONLY_MODULES = {"fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix"}

KNOWN: set[tuple[str, str]] = set()


def _guarded_by_import_error(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside ``try: import fcntl / except ImportError:``: the portable idiom."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                names = handler.type
                caught = names.elts if isinstance(names, ast.Tuple) else [names]
                if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
                       for n in caught):
                    return True
    return False


def posix_only_uses(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found: list[tuple[int, str]] = []
    # local name -> module, so `import os as o; o.kill` and `from os import kill` are seen too
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                aliases[alias.asname or top] = top
                if top in POSIX_ONLY_MODULES and not _guarded_by_import_error(node, parents):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            if top in POSIX_ONLY_MODULES and not _guarded_by_import_error(node, parents):
                found.append((node.lineno, f"from {node.module} import"))
            for alias in node.names:
                if alias.name in POSIX_ONLY_ATTRIBUTES.get(top, ()):
                    found.append((node.lineno, f"{top}.{alias.name}"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.attr in POSIX_ONLY_ATTRIBUTES.get(aliases.get(node.value.id, ""), ())):
            found.append((node.lineno, f"{aliases[node.value.id]}.{node.attr}"))
    return found


def test_no_posix_only_call_in_the_product() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for line, what in posix_only_uses(path.read_text(encoding="utf-8")):
                if (rel, what) not in KNOWN:
                    offenders.append(f"{rel}:{line}: {what}")
    assert not offenders, "POSIX-only calls (use psutil / selectors):\n" + "\n".join(offenders)


@pytest.mark.parametrize("source, expected", [
    ("import select\nselect.poll()", ["select.poll"]),
    ("import os as o\no.kill(1, 0)", ["os.kill"]),
    ("from os import kill", ["os.kill"]),
    ("import fcntl", ["import fcntl"]),
    ("import signal\nsignal.SIGKILL", ["signal.SIGKILL"]),
    ("def f():\n    import resource", ["import resource"]),
])
def test_the_scan_sees_each_form(source: str, expected: list[str]) -> None:
    assert [what for _line, what in posix_only_uses(source)] == expected


@pytest.mark.parametrize("source", [
    "import selectors\nselectors.DefaultSelector()",
    "import signal\nsignal.signal(signal.SIGTERM, print)",
    "try:\n    import resource\nexcept ImportError:\n    resource = None",
    "# os.kill(pid, 0) in a comment\nx = 'select.poll'",
])
def test_the_scan_lets_portable_code_pass(source: str) -> None:
    assert posix_only_uses(source) == []
