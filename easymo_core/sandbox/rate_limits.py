"""Meta's pacing: throughput per phone number (130429) and the per-user pair rate (131056).

Throughput is a token bucket refilled continuously; the pair rate lets a burst borrow
future time and then refuses until it is paid back. A client that paces itself never hits
either, one that bursts does, as at Meta. A refused send takes nothing.
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
    """One message to ``user``, paced as Meta paces a (business, user) pair.

    About one message per ``pair_interval`` seconds; a burst of up to ``pair_burst`` messages
    within ``pair_interval`` seconds of its first borrows the time of the messages it sends
    early, and once the burst is over every message is refused (131056) until that time is
    paid back: after 20 at once, about 2 minutes. Source: Meta's throughput page as quoted
    in ``CLOUDAPI.md`` (unverified: Meta's OpenAPI description has no figure).
    """
    if now >= user.pair_due:  # nothing owed: a new burst may start
        user.burst_started, user.burst_count = now, 1
        user.pair_due = now + config.pair_interval
        return
    if now - user.burst_started < config.pair_interval and user.burst_count < config.pair_burst:
        user.burst_count += 1
        user.pair_due += config.pair_interval
        return
    raise GraphError(
        131056,
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    )
