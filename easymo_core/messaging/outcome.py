"""What a send returns to its caller, whoever the caller is."""

from __future__ import annotations

from dataclasses import dataclass

from easymo_core.errors import EasymoError


@dataclass(frozen=True)
class SendOutcome:
    """The result of one processor call.

    ``status`` is the message row's status after the call: ``accepted`` (Meta took it),
    ``failed`` (Meta or the network refused it; ``error`` says why), or ``queued`` (the
    answer was lost: the message may or may not have gone out, and is reconciled from
    status webhooks, never re-sent blindly). ``duplicate`` is true when the idempotency key
    had been used before and nothing was sent this time.
    """

    message_id: int
    wamid: str | None
    status: str
    idempotency_key: str
    fallback: str | None = None
    fallback_note: str | None = None
    error: EasymoError | None = None
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return self.status not in ("failed",) and self.error is None


class TemplateRefused(EasymoError):
    """A template cannot be used and no fallback rule applies: nothing was sent."""


class OutcomeUnknown(EasymoError):
    """A previous call with this idempotency key may have sent the message."""
