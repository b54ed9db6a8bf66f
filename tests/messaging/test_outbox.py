"""The outbox logic both send paths share is a module of its own: no import circle."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import easymo_core.messaging as messaging
from easymo_core.messaging.bulk import _alive

PACKAGE = Path(messaging.__file__).parent


def _imports(module: str) -> set[str]:
    """Every easymo_core module a messaging module imports, at the top or inside a function."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("easymo_core.")}


def test_batch_and_outbox_never_import_the_processor() -> None:
    for module in ("batch", "outbox"):
        assert not {m for m in _imports(module) if "messaging.processor" in m}, module
    assert not {m for m in _imports("outbox") if "messaging.batch" in m}


def test_a_bulk_owner_is_alive_while_its_process_runs() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert _alive(child.pid) is False
    assert _alive(os.getpid()) is True
