"""The step history kept in ``flow_states.history``: the one format analytics reads.

``history`` is a JSON list of events, oldest first. Every event has exactly these keys::

    {"step": str,        # the step id the event belongs to
     "at": int,          # epoch milliseconds (the engine's clock, UTC)
     "event": "entered" | "reply" | "retry" | "completed" | "abandoned",
     ...}                # extra keys per event, below; readers ignore what they do not know

Extra keys:
- ``entered``: ``key`` (idempotency key of the message the step sent; the messages row has
  it too), ``via`` ("start" | "reply" | "fallback").
- ``reply`` (an expected reply moved the flow on): ``reply`` (the button/list id or the
  typed text, at most 256 characters), ``next`` (the step it leads to), ``wamid`` (the
  inbound message), and with ``store`` set on the step: ``store`` (the variable name) and
  ``value`` (the option's value, or the reply; an int 1-5 for ``satisfaction``).
- ``retry`` (an unexpected reply): ``reply``, ``wamid``, ``retries`` (count so far on this
  step), ``key`` of the retry prompt; when retries are exhausted and the step has a
  fallback: ``exhausted: true`` and ``next`` instead of ``key``.
- ``completed``: on the end step, right after its ``entered``.
- ``abandoned``: ``reason`` ("timeout" | "max_retries" | "superseded" | "send_failed" |
  "step_removed"), ``error`` for send_failed.

A funnel counts, per step, the states with an ``entered`` event and those whose next event
on that step is a ``reply``; drop-off is where ``abandoned`` happens.
"""

from __future__ import annotations

from typing import Any, Literal

EventKind = Literal["entered", "reply", "retry", "completed", "abandoned"]
EVENTS: tuple[str, ...] = ("entered", "reply", "retry", "completed", "abandoned")
REPLY_MAX = 256


def event(step: str, at_ms: int, kind: EventKind, **extra: Any) -> dict[str, Any]:
    """One history event; ``None`` extras are left out so readers see only what is known."""
    out: dict[str, Any] = {"step": step, "at": at_ms, "event": kind}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def clip(text: str | None) -> str | None:
    return None if text is None else text[:REPLY_MAX]
