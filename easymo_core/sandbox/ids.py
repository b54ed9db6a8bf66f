"""Ids in Meta's shapes, drawn from one seeded random stream so a run can be replayed.

A real wamid is base64 of a small binary record: the user's number, a direction marker and
a hex message key. Reproducing that layout keeps clients honest: they must treat the id as
opaque, and ids of the same user share a prefix as they do at Meta.
"""

from __future__ import annotations

import base64
import random

_OUTBOUND_MARK = b"\x15\x02\x00\x11\x18\x12"  # business -> user, 9-byte key
_INBOUND_MARK = b"\x15\x02\x00\x12\x18\x14"  # user -> business, 10-byte key
_TRACE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


class IdFactory:
    """Wamids, template ids, conversation ids and trace ids from ``random.Random(seed)``."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Start the streams over: the same ids again, in the same order.

        One stream per kind of id, so that, say, creating a template or answering an error
        does not change the wamids of the messages that follow.
        """
        self._outbound = random.Random(f"{self._seed}:wamid")
        self._inbound = random.Random(f"{self._seed}:inbound")
        self._objects = random.Random(f"{self._seed}:objects")
        self._conversations = random.Random(f"{self._seed}:conversations")
        self._traces = random.Random(f"{self._seed}:trace")

    def wamid(self, wa_id: str) -> str:
        """Id of a message the business sends to ``wa_id``."""
        return _wamid(wa_id, _OUTBOUND_MARK, self._outbound.getrandbits(72).to_bytes(9, "big"))

    def inbound_wamid(self, wa_id: str) -> str:
        """Id of a message ``wa_id`` sends to the business."""
        return _wamid(wa_id, _INBOUND_MARK, self._inbound.getrandbits(80).to_bytes(10, "big"))

    def numeric_id(self) -> str:
        """A Graph object id (templates): 16 digits, never starting with 0."""
        return str(self._objects.randrange(10**15, 10**16))

    def conversation_id(self) -> str:
        return self._conversations.getrandbits(128).to_bytes(16, "big").hex()

    def fbtrace_id(self) -> str:
        return "A" + "".join(self._traces.choice(_TRACE_ALPHABET) for _ in range(22))


def _wamid(wa_id: str, mark: bytes, key: bytes) -> str:
    number = wa_id.encode("ascii")
    raw = b"\x1c\x18" + bytes([len(number)]) + number + mark + key.hex().upper().encode() + b"\x00"
    return "wamid." + base64.b64encode(raw).decode("ascii")
