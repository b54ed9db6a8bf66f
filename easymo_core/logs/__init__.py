"""One logging set-up for the CLI, the console and the servers, with redaction."""

from easymo_core.logs.crash import enable_crash_log
from easymo_core.logs.redact import mask_phones, redact, register_secret
from easymo_core.logs.setup import setup_logging

__all__ = ["enable_crash_log", "mask_phones", "redact", "register_secret", "setup_logging"]
