"""A profile: which WhatsApp number, which Graph API, which database."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from easymo_core.cloudapi.limits import DEFAULT_MESSAGES_PER_SECOND, MAX_MESSAGES_PER_SECOND
from easymo_core.errors import ConfigError

ProfileKind = Literal["sandbox", "real"]

SANDBOX = "sandbox"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v23.0"

# Order matters: the processor tries them in this order when a template cannot be used.
FALLBACK_RULES = ("other_language", "text_in_window")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_VERSION_RE = re.compile(r"^v\d+\.\d+$")
_ID_RE = re.compile(r"^\d{1,32}$")


@dataclass(frozen=True)
class Profile:
    """Settings of one profile. Secrets are not here: they live in the keyring."""

    name: str
    kind: ProfileKind = "real"
    graph_url: str = DEFAULT_GRAPH_URL
    graph_version: str = DEFAULT_GRAPH_VERSION
    phone_number_id: str = ""
    waba_id: str = ""
    # The Meta app's id: template header samples go through its Resumable Upload API.
    app_id: str = ""
    db_url: str = ""
    verify_token: str = ""
    messages_per_second: float = DEFAULT_MESSAGES_PER_SECOND
    fallbacks: tuple[str, ...] = FALLBACK_RULES
    # Dashboard alert thresholds: error rate (fraction), webhook lag (seconds).
    alert_error_rate: float = 0.05
    alert_webhook_lag_s: float = 120.0
    # Days an ingested webhook POST's raw body (every customer's text) is kept; 0 keeps it for ever.
    webhook_body_retention_days: int = 30
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"

    def with_overrides(self, **changes: Any) -> Profile:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_toml_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("name")
        data["fallbacks"] = list(self.fallbacks)
        if not data["extra"]:
            data.pop("extra")
        return data

    @classmethod
    def from_toml_dict(cls, name: str, data: dict[str, Any]) -> Profile:
        known = {f for f in cls.__dataclass_fields__ if f != "name"}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"profile {name!r} has unknown settings: {', '.join(sorted(unknown))}",
                hint="remove them from profiles.toml or upgrade easymo",
            )
        values = dict(data)
        if "fallbacks" in values:
            values["fallbacks"] = tuple(values["fallbacks"])
        profile = cls(name=name, **values)
        profile.validate()
        return profile

    def validate(self) -> None:
        """Raise ConfigError naming the first bad setting."""
        if not _NAME_RE.match(self.name):
            raise ConfigError(
                f"profile name {self.name!r} is not valid",
                hint="use letters, digits, '_', '-' or '.', at most 64 characters",
            )
        if self.kind not in ("sandbox", "real"):
            raise ConfigError(f"profile {self.name!r}: kind must be 'sandbox' or 'real'")
        if not self.graph_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"profile {self.name!r}: Graph URL {self.graph_url!r} must start with https://"
            )
        if self.kind == "real" and self.graph_url.startswith("http://") and not _is_loopback(self.graph_url):
            # The access token travels in every request's Authorization header.
            raise ConfigError(
                f"profile {self.name!r}: Graph URL {self.graph_url!r} would send the access token "
                "unencrypted",
                hint="use https:// (plain http:// is allowed only for a stand-in on this machine)",
            )
        if not _VERSION_RE.match(self.graph_version):
            raise ConfigError(
                f"profile {self.name!r}: Graph API version {self.graph_version!r} is not like v23.0"
            )
        for label, value in (("phone-number id", self.phone_number_id), ("WABA id", self.waba_id),
                             ("app id", self.app_id)):
            if value and not _ID_RE.match(value):
                raise ConfigError(
                    f"profile {self.name!r}: {label} {value!r} must be digits",
                    hint="copy it from WhatsApp Manager > API Setup",
                )
        if not 0 < self.messages_per_second <= MAX_MESSAGES_PER_SECOND:
            raise ConfigError(
                f"profile {self.name!r}: messages per second must be between 0 and "
                f"{MAX_MESSAGES_PER_SECOND:g}"
            )
        if not 0 < self.alert_error_rate <= 1:
            raise ConfigError(
                f"profile {self.name!r}: alert error rate {self.alert_error_rate!r} must be a "
                "fraction between 0 and 1",
                hint="0.05 alerts when more than 5 % of sent messages fail",
            )
        if not self.alert_webhook_lag_s > 0:
            raise ConfigError(
                f"profile {self.name!r}: alert webhook lag must be more than 0 seconds"
            )
        if not isinstance(self.webhook_body_retention_days, int) or self.webhook_body_retention_days < 0:
            raise ConfigError(
                f"profile {self.name!r}: webhook body retention must be a whole number of days, 0 or more",
                hint="30 keeps raw webhook bodies a month; 0 keeps them for ever",
            )
        bad = [f for f in self.fallbacks if f not in FALLBACK_RULES]
        if bad:
            raise ConfigError(
                f"profile {self.name!r}: unknown fallback rule {bad[0]!r}",
                hint=f"use any of: {', '.join(FALLBACK_RULES)}",
            )

    def missing_for_sending(self) -> list[str]:
        """Settings a real profile needs before it can talk to Meta."""
        missing = []
        if not self.phone_number_id:
            missing.append("phone-number id")
        if not self.waba_id:
            missing.append("WABA id")
        return missing


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
