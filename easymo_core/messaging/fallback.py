"""Deciding what to send when a template cannot be used as asked.

Rules run in the profile's order (Profile.fallbacks):
- ``other_language``: the same template, APPROVED, in another language, if the given
  parameters fit it;
- ``text_in_window``: the template rendered as plain text, if the contact wrote to us in the
  last 24 hours (free-form messages are allowed only inside that window).
Otherwise the send is refused with the reason. Nothing is ever dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from easymo_core.cloudapi.limits import CUSTOMER_SERVICE_WINDOW_SECONDS
from easymo_core.templates.params import TemplateParams
from easymo_core.templates.store import TemplateRecord
from easymo_core.templates.variables import check_parameters

WINDOW = timedelta(seconds=CUSTOMER_SERVICE_WINDOW_SECONDS)


@dataclass(frozen=True)
class TemplateDecision:
    """Send ``record`` as a template, or ``text`` as free-form, or refuse with ``reason``."""

    record: TemplateRecord | None = None
    text_from: TemplateRecord | None = None
    fallback: str | None = None
    note: str | None = None
    reason: str | None = None


def usable(record: TemplateRecord | None, params: TemplateParams) -> str | None:
    """None when ``record`` can be sent with ``params``, else why not."""
    if record is None:
        return "missing"
    if record.status != "APPROVED":
        return record.status.lower()
    problems = [p for p in check_parameters(record.definition, params) if p.is_error]
    if problems:
        return f"parameters do not fit ({problems[0].message})"
    return None


def decide(
    name: str,
    language: str,
    params: TemplateParams,
    languages: list[TemplateRecord],
    rules: tuple[str, ...],
    last_inbound_at: datetime | Callable[[], datetime | None] | None,
    now: datetime,
) -> TemplateDecision:
    """What to send for a template request; ``last_inbound_at`` may be a callable, read only
    when the text fallback is considered (the common case never needs the query)."""
    asked = next((r for r in languages if r.language == language), None)
    why = usable(asked, params)
    if why is None:
        return TemplateDecision(record=asked)
    if why == "missing":
        what = f"template {name} has no {language} translation" if languages \
            else f"template {name} does not exist"
    elif why.startswith("parameters"):
        what = f"template {name} ({language}): {why}"  # not "is parameters do not fit"
    else:
        what = f"template {name} ({language}) is {why}"  # is pending, is paused…
    for rule in rules:
        if rule == "other_language":
            for other in sorted(languages, key=lambda r: r.language):
                if other.language != language and usable(other, params) is None:
                    return TemplateDecision(
                        record=other,
                        fallback=f"other_language:{other.language}",
                        note=f"{what}: sent in {other.language} instead",
                    )
        elif rule == "text_in_window":
            if callable(last_inbound_at):
                last_inbound_at = last_inbound_at()
            in_window = last_inbound_at is not None and now - last_inbound_at < WINDOW
            source = asked or next(iter(sorted(languages, key=lambda r: r.language != "en_US")), None)
            if in_window and source is not None:
                return TemplateDecision(
                    text_from=source,
                    fallback="text_in_window",
                    note=f"{what}: sent as text inside the 24-hour window",
                )
    tried = ", ".join(rules) or "none configured"
    return TemplateDecision(reason=f"{what}; no fallback applies (tried: {tried})")
