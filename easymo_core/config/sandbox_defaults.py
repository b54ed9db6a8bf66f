"""Fixed values of the built-in sandbox profile.

These are not secrets: they only open the local stand-in for the Cloud API, which listens
on loopback. Real profiles keep their token and app secret in the OS keyring.
"""

from __future__ import annotations

SANDBOX_HOST = "127.0.0.1"
SANDBOX_PORT = 8765  # `easymo sandbox serve` and the console's embedded sandbox
WEBHOOK_PORT = 8766  # the receiver the sandbox posts its webhooks to
SANDBOX_TOKEN = "sandbox-token"
SANDBOX_APP_SECRET = "sandbox-app-secret"
SANDBOX_VERIFY_TOKEN = "sandbox-verify-token"
SANDBOX_PHONE_NUMBER_ID = "100000000000001"
SANDBOX_WABA_ID = "200000000000001"
# The Meta app whose Resumable Upload API takes template header samples.
SANDBOX_APP_ID = "300000000000001"
SANDBOX_DISPLAY_NUMBER = "+1 555 010 0001"
SANDBOX_GRAPH_VERSION = "v23.0"
SANDBOX_SEED = 7
