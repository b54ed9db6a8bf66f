"""Meta's pacing: throughput per phone number (130429) and the per-user pair rate (131056).

Both are token buckets refilled continuously, so a client that paces itself never hits
them and one that bursts does, as at Meta. A refused send takes no token.
"""

from __future__ import annotations

from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.graph_errors import GraphError
from easymo_core.sandbox.state import User


class Throughput:
    """Messages per second for the phone number; one second of burst."""

    def __init__(self) -> None:
        self._tokens = -1.0  # full on first use, whatever the configured rate is then
        self._updated = 0.0

    def take(self, config: SandboxConfig, now: float, *, refuse: bool = True) -> None:
        rate = config.messages_per_second
        tokens = rate if self._tokens < 0 else min(rate, self._tokens + (now - self._updated) * rate)
        self._updated = now
        if tokens < 1.0:
            self._tokens = tokens
            if refuse:
                raise GraphError(
                    130429,
                    f"Cloud API message throughput ({rate:g} messages per second) has been reached.",
                )
            return
        self._tokens = tokens - 1.0

    def give_back(self) -> None:
        """Return the token of a send refused by a later check."""
        self._tokens += 1.0

    def reset(self) -> None:
        self._tokens = -1.0


def take_pair_token(user: User, config: SandboxConfig, now: float) -> None:
    """One message to ``user``: ``pair_burst`` at once, then one per ``pair_interval``."""
    burst = float(config.pair_burst)
    if user.pair_updated == 0.0:
        tokens = burst
    else:
        refill = (now - user.pair_updated) / config.pair_interval if config.pair_interval > 0 else burst
        tokens = min(burst, user.pair_tokens + refill)
    user.pair_updated = now
    if tokens < 1.0:
        user.pair_tokens = tokens
        raise GraphError(
            131056,
            "Message failed to send because there were too many messages sent from this phone "
            "number to the same phone number in a short period of time.",
        )
    user.pair_tokens = tokens - 1.0
