"""A local stand-in for the WhatsApp Business Cloud API.

Same paths, payloads, ids and error envelopes as the Graph API (the versions Meta serves), the
limits Meta enforces with Meta's codes, template review, and signed webhooks with realistic
timing and faults; plus control endpoints under ``/_sandbox/`` to drive it from tests.

    from easymo_core.sandbox.config import SandboxConfig
    from easymo_core.sandbox.server import SandboxServer

    srv = SandboxServer(SandboxConfig(port=0, webhook_url="http://127.0.0.1:8766/webhook"))
    srv.start()
    ...  # point the Cloud API client at srv.base_url with token SandboxConfig().token
    srv.stop()

Where to look: ``graph_routes`` (the Graph paths), ``validation`` and ``template_send``
(what a send must satisfy), ``sending`` (the hot path), ``lifecycle`` (statuses and user
replies), ``webhooks`` (delivery), ``review`` and ``template_rules`` (templates),
``analytics``, ``faults`` and ``control_routes``.
"""
