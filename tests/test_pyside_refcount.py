"""PySide6 6.12.0 drops a reference to None on every Qt call returning nothing, and the
process dies with "deallocating None". pyproject pins PySide6 below 6.12; this test fails
if an upgrade brings the leak back."""

from __future__ import annotations

import sys

import pytest

QtWidgets = pytest.importorskip("PySide6.QtWidgets")


def test_void_qt_calls_keep_none_refcount(qapp: object) -> None:
    label = QtWidgets.QLabel("x")
    label.setObjectName("warmup")
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setObjectName("probe")
        label.setText("y")
    drift = before - sys.getrefcount(None)
    # Unrelated code may briefly hold a few references; the bug loses 2,000 here.
    assert abs(drift) < 50, f"sys.getrefcount(None) drifted by {drift} over 2,000 void Qt calls"


def test_pyside_version_is_pinned_below_6_12() -> None:
    import PySide6

    major, minor = (int(x) for x in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12), f"PySide6 {PySide6.__version__} has the None-refcount bug"
