"""Settings of one sandbox run: identity, pacing, simulated timing and faults.

Every field has a default, from ``easymo_core.config.sandbox_defaults`` for the identity
(token, app secret, ids) and from ``easymo_core.cloudapi.limits`` for Meta's limits, so
``SandboxConfig()`` is the built-in sandbox profile. ``POST /_sandbox/config`` changes the
tunable fields of a running server through :meth:`SandboxConfig.update`.

Delays are uniform ranges ``(low, high)`` in seconds; rates are probabilities in [0, 1].
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from easymo_core.cloudapi import limits
from easymo_core.config import sandbox_defaults as defaults

DEFAULT_WEBHOOK_URL = f"http://{defaults.SANDBOX_HOST}:{defaults.WEBHOOK_PORT}/webhook"

Range = tuple[float, float]

# Meta's pair rate as the sandbox plays it (rate_limits.take_pair_token): one message per
# 6 s to a user, bursts of up to 45 within 6 s. Source: Meta's throughput page as quoted in
# CLOUDAPI.md (unverified), kept apart from the client's own pacing figures on purpose.
PAIR_INTERVAL_SECONDS = 6.0
PAIR_BURST_MAX = 45

# Graph API versions still served as the sandbox's clock (late 2026) sees them; an older
# (retired) or unreleased one is refused. Meta's OpenAPI description only fixes the shape
# ``^v[0-9]+\.[0-9]+$``; the list and the refusal (2500, as for any unknown path component)
# follow Meta's versioning page and are unverified: Graph has also been seen to upgrade
# calls to a retired version silently.
AVAILABLE_VERSIONS = ("v21.0", "v22.0", "v23.0", "v24.0", "v25.0")

# whatsapp_business_manager_messaging_limit: Meta's tiers per business portfolio (its
# messaging limits page; the OpenAPI description still lists only the deprecated
# messaging_limit_tier with TIER_50 and TIER_1K): unverified.
MESSAGING_LIMITS = ("TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED")

# Fields a running server may not change: they name the server or the account it plays.
_FIXED_FIELDS = frozenset({"host", "port", "phone_number_id", "waba_id", "app_id", "seed"})
# Fields with a closed set of values (Meta's vocabularies, and the outages a 5xx can mimic).
_CHOICES: dict[str, tuple[Any, ...]] = {
    "quality_rating": ("GREEN", "YELLOW", "RED", "NA"),
    "messaging_limit": MESSAGING_LIMITS,
    "throughput_level": ("STANDARD", "HIGH", "NOT_APPLICABLE"),
    "pricing_model": ("PMP", "CBP"),
    "error_status": (500, 502, 503, 504),
    "webhook_version": AVAILABLE_VERSIONS,
}


@dataclass
class SandboxConfig:
    """Everything the sandbox needs; mutable so control calls can retune a running server."""

    host: str = defaults.SANDBOX_HOST
    port: int = defaults.SANDBOX_PORT
    token: str = defaults.SANDBOX_TOKEN
    app_secret: str = defaults.SANDBOX_APP_SECRET
    phone_number_id: str = defaults.SANDBOX_PHONE_NUMBER_ID
    waba_id: str = defaults.SANDBOX_WABA_ID
    app_id: str = defaults.SANDBOX_APP_ID
    display_phone_number: str = defaults.SANDBOX_DISPLAY_NUMBER
    verified_name: str = "easyMO Sandbox"
    webhook_url: str | None = DEFAULT_WEBHOOK_URL
    seed: int = defaults.SANDBOX_SEED

    # Benchmark mode: no throughput or pair-rate limits and no status/reply simulation,
    # so a send costs only its request and response.
    unlimited: bool = False
    messages_per_second: float = limits.DEFAULT_MESSAGES_PER_SECOND
    pair_interval: float = PAIR_INTERVAL_SECONDS
    pair_burst: int = PAIR_BURST_MAX
    enforce_window: bool = True

    # Phone number as GET /{phone_number_id} reports it.
    quality_rating: str = "GREEN"
    messaging_limit: str = "TIER_2K"
    throughput_level: str = "STANDARD"

    # Template review: seconds from creation (or edit) to APPROVED / REJECTED.
    review_delay: float = 3.0

    # Status timing, each measured from the previous step.
    sent_delay: Range = (0.05, 0.4)
    delivered_delay: Range = (0.2, 1.5)
    read_delay: Range = (1.0, 8.0)
    failure_rate: float = 0.02
    read_rate: float = 0.75
    # Share of read messages whose delivered status never comes (Meta skips it when the
    # user reads at once). 0 by default so a run shows every step; unverified figure.
    delivered_skip_rate: float = 0.0
    duplicate_rate: float = 0.0
    out_of_order_rate: float = 0.0
    pricing_model: str = "PMP"
    # The Graph version of the app's webhooks: from v24.0 statuses carry no conversation.
    webhook_version: str = defaults.SANDBOX_GRAPH_VERSION

    # Simulated users answering interactive and template messages.
    reply_rate: float = 0.4
    reply_delay: Range = (2.0, 10.0)
    text_reply_rate: float = 0.1  # share of replies typed as text instead of tapped

    # Webhook delivery.
    batch_max: int = 1  # statuses per POST; more than 1 batches what is due together
    batch_window: float = 0.05  # how long a status waits for company when batch_max > 1
    webhook_timeout: float = 5.0
    retry_attempts: int = 6
    retry_base: float = 0.5
    retry_cap: float = 30.0
    max_in_flight: int = 16

    # Faults of the Graph API answers (see faults.py for the counters set by control calls).
    error_rate: float = 0.0
    error_status: int = 500
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    drop_rate: float = 0.0

    log_limit: int = 100_000
    seed_templates: bool = True

    @property
    def display_digits(self) -> str:
        """The display number as webhooks carry it, and as ``to`` must not be: digits only."""
        return "".join(ch for ch in self.display_phone_number if ch.isdigit())

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply ``changes`` (from a control call) after checking every one; all or nothing.

        Raises ValueError naming the first bad field. Returns the applied values.
        """
        by_name = {f.name for f in dataclasses.fields(self)}
        applied: dict[str, Any] = {}
        for name, raw in changes.items():
            if name not in by_name:
                raise ValueError(f"unknown setting {name!r}")
            if name in _FIXED_FIELDS:
                raise ValueError(f"{name!r} is fixed while the sandbox runs")
            applied[name] = _coerce(name, raw, getattr(self, name))
            if name in _CHOICES and applied[name] not in _CHOICES[name]:
                raise ValueError(f"{name} must be one of {', '.join(map(str, _CHOICES[name]))}")
        for name, value in applied.items():
            setattr(self, name, value)
        return applied

    def tunables(self) -> dict[str, Any]:
        """The current settings as JSON-friendly values, without the token and app secret:
        anyone on this machine can ask the control API, and a sandbox may be given real-looking
        secrets (``sandbox serve --token``)."""
        values = dataclasses.asdict(self)
        for secret in _SECRET_FIELDS:
            values[secret] = "set" if values[secret] else ""
        return values

    def restore(self, original: SandboxConfig) -> None:
        """Every setting a running server may change, back to ``original``'s."""
        for f in dataclasses.fields(self):
            if f.name not in _FIXED_FIELDS:
                setattr(self, f.name, getattr(original, f.name))


_SECRET_FIELDS = ("token", "app_secret")


def _coerce(name: str, raw: Any, current: Any) -> Any:
    """``raw`` converted to the type of ``current``, or ValueError."""
    if isinstance(current, bool):
        if not isinstance(raw, bool):
            raise ValueError(f"{name} must be true or false")
        return raw
    if isinstance(current, tuple):
        if not (isinstance(raw, list | tuple) and len(raw) == 2):
            raise ValueError(f"{name} must be [low, high]")
        low, high = (_number(name, v) for v in raw)
        if low < 0 or high < low:
            raise ValueError(f"{name} must satisfy 0 <= low <= high")
        return (low, high)
    if isinstance(current, int):
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ValueError(f"{name} must be a non-negative integer")
        return raw
    if isinstance(current, float):
        value = _number(name, raw)
        if value < 0 or (name.endswith("_rate") and value > 1):
            raise ValueError(f"{name} must be {'in [0, 1]' if name.endswith('_rate') else '>= 0'}")
        return value
    if name == "webhook_url":
        if raw is not None and not (isinstance(raw, str) and raw.startswith(("http://", "https://"))):
            raise ValueError("webhook_url must be an http(s) URL or null")
        return raw
    if not isinstance(raw, str):
        raise ValueError(f"{name} must be a string")
    return raw


def _number(name: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"{name} must be a number")
    return float(raw)
