"""Template lifecycle: create and edit (-> PENDING), review after a delay, status and
quality changes from control calls, delete; each change posted as Meta's template webhooks.

Review rules are in ``template_rules``. Quality: a RED score pauses an APPROVED template
and disables a PAUSED one (Meta pauses low-quality templates, then disables repeat ones);
GREEN or YELLOW only report the new score. Webhook fields: ``message_template_status_update``
(``event``, ``message_template_id``, ``message_template_name``,
``message_template_language``, ``reason``, ``message_template_category``, and
``other_info`` when paused, ``disable_info`` when disabled, ``rejection_info`` when
rejected), ``message_template_quality_update`` (only when the score changes) and
``template_category_update``: as Meta's template webhook reference shows them (not in the
OpenAPI description: unverified).
"""

from __future__ import annotations

import time
from typing import Any

from easymo_core.cloudapi import limits
from easymo_core.sandbox.config import SandboxConfig
from easymo_core.sandbox.graph_errors import GraphError
from easymo_core.sandbox.ids import IdFactory
from easymo_core.sandbox.seeds import seed_templates
from easymo_core.sandbox.state import SandboxState, Template
from easymo_core.sandbox.template_rules import (
    DELETED_NAME_BLOCK_SECONDS,
    EXTRA_FIELDS,
    check_template,
    refuse,
    review,
)
from easymo_core.sandbox.timers import Timers
from easymo_core.sandbox.upload_store import UploadStore
from easymo_core.sandbox.webhooks import WebhookDispatcher

QUALITY_SCORES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
# rejection_info.reason per rejected_reason: the sandbox's own wording (Meta's texts vary
# and are not in the OpenAPI description).
REJECTION_TEXTS = {
    "INVALID_FORMAT": "The template's format is not valid: check its variables and their examples.",
    "PROMOTIONAL": "The template's content is promotional for its category.",
    "ABUSIVE_CONTENT": "The template's content is abusive.",
    "SCAM": "The template's content looks like a scam.",
    "TAG_CONTENT_MISMATCH": "The template's content does not match its category.",
}
EDITABLE = frozenset({"APPROVED", "REJECTED", "PAUSED"})
EDITS_PER_DAY = 1
EDITS_PER_MONTH = 10


class TemplateReview:
    def __init__(
        self, config: SandboxConfig, state: SandboxState, ids: IdFactory, dispatcher: WebhookDispatcher,
        uploads: UploadStore | None = None,
    ) -> None:
        self._config = config
        self._uploads = uploads
        self._state = state
        self._ids = ids
        self._dispatcher = dispatcher
        self.timers = Timers()

    def reset(self) -> None:
        self.timers.cancel_all()

    def load_seeds(self) -> None:
        """Add the seed templates, created days ago, oldest first."""
        now = time.time()
        for age, item in enumerate(reversed(seed_templates()), start=1):
            self.add_given(item, created_at=now - age * 86400)

    def add_given(self, item: dict[str, Any], created_at: float | None = None) -> Template:
        """A template in the status it names (APPROVED when none), without creation checks.

        A PENDING one is reviewed like a new one once the server runs.
        """
        now = time.time() if created_at is None else created_at
        quality = item.get("quality_score", "UNKNOWN")
        tpl = Template(
            id=str(item.get("id") or self._ids.numeric_id()),
            name=item["name"],
            language=item["language"],
            category=item.get("category", "UTILITY"),
            components=item["components"],
            created_at=now,
            parameter_format=item.get("parameter_format", "POSITIONAL"),
            status=item.get("status", "APPROVED"),
            rejected_reason=item.get("rejected_reason", "NONE"),
            quality_score=_score(quality),
            quality_date=int(quality.get("date", now) if isinstance(quality, dict) else now),
            extra={k: item[k] for k in EXTRA_FIELDS if k in item},
        )
        self._state.add_template(tpl)
        if tpl.status == "PENDING" and self.timers.bound:
            self._schedule(tpl)
        return tpl

    def review_pending(self) -> None:
        """Schedule the review of every PENDING template (seeds added before the loop ran)."""
        for tpl in list(self._state.templates.values()):
            if tpl.status == "PENDING":
                self._schedule(tpl)

    # Graph operations -------------------------------------------------------------------

    def create(self, body: Any) -> Template:
        new = check_template(body)
        problem = self._uploads.header_handle_problem(new.components) if self._uploads else None
        if problem is not None:
            # Meta's code for a bad sample handle is not in its OpenAPI description (unverified).
            raise refuse("Invalid header sample", problem)
        if self._state.template_by_name(new.name, new.language) is not None:
            raise refuse(
                "Content in this language already exists",
                f"There is already {new.language} content for this template ({new.name}).",
                subcode=2388024,
            )
        deleted_at = self._state.deleted_names.get(new.name)
        if deleted_at is not None and time.time() - deleted_at < DELETED_NAME_BLOCK_SECONDS:
            raise refuse(
                "Message template is being deleted",
                f"{new.name} was deleted less than 30 days ago; use another name.",
                subcode=2388023,
            )
        return self.add_given({
            "name": new.name, "language": new.language, "category": new.category,
            "components": new.components, "parameter_format": new.parameter_format, "status": "PENDING",
            **new.extra,
        })

    def edit(self, tpl: Template, body: Any) -> None:
        if not isinstance(body, dict) or not ({"components", "category"} & body.keys()):
            raise GraphError(100, message="(#100) The parameter components is required.")
        if tpl.status not in EDITABLE:
            raise refuse("Template can't be edited", f"A {tpl.status} template cannot be edited.")
        category = body.get("category", tpl.category)
        if category != tpl.category and tpl.status == "APPROVED":
            raise refuse("Category can't be changed", "An approved template keeps its category.")
        new = check_template({
            "name": tpl.name, "language": tpl.language, "category": category,
            "parameter_format": tpl.parameter_format, "components": body.get("components", tpl.components),
        })
        now = time.time()
        if tpl.status == "APPROVED":
            recent = [t for t in tpl.edit_times if now - t < 30 * 86400]
            if sum(1 for t in recent if now - t < 86400) >= EDITS_PER_DAY or len(recent) >= EDITS_PER_MONTH:
                raise refuse(
                    "Edit limit reached",
                    f"An approved template can be edited {EDITS_PER_DAY} time a day and "
                    f"{EDITS_PER_MONTH} times in 30 days.",
                )
            tpl.edit_times = [*recent, now]
        tpl.set_components(new.components)
        tpl.category = new.category
        tpl.status, tpl.rejected_reason = "PENDING", "NONE"
        self._schedule(tpl)

    def delete(self, name: str, hsm_id: str | None) -> None:
        found = self._state.templates_named(name)
        if hsm_id is not None:
            found = [t for t in found if t.id == hsm_id]
        if not found:
            raise GraphError(
                100, f"Message template {name!r} not found.", message="Invalid parameter",
                user_title="Message template not found",
            )
        for tpl in found:
            if tpl.status == "APPROVED":
                self._state.deleted_names[tpl.name] = time.time()
            self._state.remove_template(tpl)

    # Review and control -----------------------------------------------------------------

    def _schedule(self, tpl: Template) -> None:
        self.timers.later(max(0.0, self._config.review_delay), self._finish, tpl)

    def _finish(self, tpl: Template) -> None:
        if tpl.status != "PENDING" or tpl.id not in self._state.templates:
            return
        outcome = review({
            "name": tpl.name, "language": tpl.language, "category": tpl.category,
            "parameter_format": tpl.parameter_format, "components": tpl.components,
        })
        if outcome.category and outcome.category != tpl.category:
            previous, tpl.previous_category, tpl.category = tpl.category, tpl.category, outcome.category
            self._post("template_category_update", tpl, {
                "previous_category": previous, "new_category": outcome.category,
            })
        self.set_status(tpl, outcome.status, outcome.reason)

    def set_status(self, tpl: Template, status: str, reason: str = "NONE") -> None:
        """Move ``tpl`` to ``status`` and post the status webhook."""
        if status not in limits.TEMPLATE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(limits.TEMPLATE_STATUSES)}")
        if reason not in limits.TEMPLATE_REJECTED_REASONS:
            raise ValueError(f"reason must be one of {', '.join(limits.TEMPLATE_REJECTED_REASONS)}")
        event = "REINSTATED" if status == "APPROVED" and tpl.status == "PAUSED" else status
        tpl.status = status
        tpl.rejected_reason = reason if status == "REJECTED" else "NONE"
        value: dict[str, Any] = {"event": event, "reason": tpl.rejected_reason,
                                 "message_template_category": tpl.category}
        if status == "PAUSED":
            value["other_info"] = {
                "title": "FIRST_PAUSE",
                "description": "Your template has been paused because of low quality.",
            }
        elif status == "DISABLED":
            value["disable_info"] = {"disable_date": time.strftime("%Y-%m-%d", time.gmtime())}
        elif status == "REJECTED":
            value["rejection_info"] = {
                "reason": REJECTION_TEXTS.get(tpl.rejected_reason, "It breaks WhatsApp's policies."),
                "recommendation": "Edit the template as the reason says, then submit it again.",
            }
        self._post("message_template_status_update", tpl, value)

    def set_quality(self, tpl: Template, score: str) -> None:
        """A new quality score; RED pauses an approved template, disables a paused one."""
        score = _score(score)
        previous, tpl.quality_score, tpl.quality_date = tpl.quality_score, score, int(time.time())
        if score != previous:  # Meta reports changes only
            self._post("message_template_quality_update", tpl, {
                "previous_quality_score": previous, "new_quality_score": score,
            })
        if score == "RED" and tpl.status == "APPROVED":
            self.set_status(tpl, "PAUSED")
        elif score == "RED" and tpl.status == "PAUSED":
            self.set_status(tpl, "DISABLED")

    def _post(self, field: str, tpl: Template, extra: dict[str, Any]) -> None:
        value = {
            **extra,
            "message_template_id": int(tpl.id) if tpl.id.isdigit() else tpl.id,
            "message_template_name": tpl.name,
            "message_template_language": tpl.language,
        }
        self._dispatcher.post_change(field, value, key=tpl.id, with_time=True)


def _score(value: Any) -> str:
    score = str(value.get("score") if isinstance(value, dict) else value).upper()
    if score not in QUALITY_SCORES:
        raise ValueError(f"quality must be one of {', '.join(QUALITY_SCORES)}")
    return score
