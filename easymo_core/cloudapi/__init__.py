"""Typed client for the WhatsApp Business Cloud API (Graph API over httpx).

Import from the modules themselves (this package imports nothing, so ``limits`` stays
cheap for the config and the sandbox):

- ``client.CloudAPIClient``: the operations
- ``payloads``: message builders and ``validate_message``, checked against ``limits``
- ``errors`` / ``error_codes``: typed errors, ``error_from_response``, ``explain(code)``
- ``models``: ``SendResult``, ``PhoneNumberInfo``, analytics points
- ``pacing``: throughput and pair-rate pacing; ``Pacers`` holds one pacer per phone number
- ``retry``: ``RetryPolicy``; ``phone``: ``normalize_phone``
"""
