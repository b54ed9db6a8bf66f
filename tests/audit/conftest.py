"""The e2e stack (sandbox and receiver) for the recording tests."""

from tests.e2e.conftest import cli_env, stack  # noqa: F401  (fixtures used by test_recording)
