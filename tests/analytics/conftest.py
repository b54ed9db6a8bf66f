"""Fixtures shared with the end-to-end tests (the sandbox stack)."""

from tests.e2e.conftest import stack  # noqa: F401
