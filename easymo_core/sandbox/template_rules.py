"""Template creation checks (refused at once) and review rules (decided after a delay).

Both stand on the project's shared validator, ``easymo_core.templates.validate``, so the
editor, the client and the sandbox agree on what Meta refuses:
  - creation: any ``validate_template`` ERROR refuses the call with Graph code 100, the
    problem's message as details (name rules, lengths and counts of ``cloudapi.limits``,
    variables without examples or misnumbered, button layout, ...). ``review.py`` adds the
    checks that need state: a name+language that exists (subcode 2388024) and the name of
    an approved template deleted less than 30 days ago (subcode 2388023).
  - review, first match wins:
      1. a REVIEW_RISK from ``validate_template``: the body starts or ends with a variable,
         two variables side by side, fewer than 2 words of text per variable, special
         characters inside braces, stray braces             -> REJECTED, its reason
         (INVALID_FORMAT)
      2. scam phrases ("you have won", "claim your prize", ...) -> REJECTED SCAM
      3. a UTILITY or AUTHENTICATION template with promotional words (discount, sale,
         promo, coupon, deal, offer, "N% off")               -> APPROVED, recategorised
         as MARKETING (``previous_category`` keeps the old one), as Meta now does
      4. anything else                                         -> APPROVED
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from easymo_core.sandbox.graph_errors import GraphError
from easymo_core.templates.problems import TemplateFormatError
from easymo_core.templates.validate import errors, review_risks, validate_template

_SCAM = ("you have won", "claim your prize", "wire transfer fee", "bitcoin giveaway", "lottery winner")
_PROMOTIONAL = re.compile(r"\b(discount|sale|promo|coupon|deal|offer)s?\b|\d+\s*% off", re.IGNORECASE)
DELETED_NAME_BLOCK_SECONDS = 30 * 24 * 3600


@dataclass
class NewTemplate:
    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    parameter_format: str


@dataclass
class ReviewOutcome:
    status: str
    reason: str = "NONE"
    category: str | None = None  # set when review moved the template to another category


def refuse(title: str, details: str, subcode: int | None = None) -> GraphError:
    return GraphError(100, details, message="Invalid parameter", subcode=subcode, user_title=title)


def check_template(data: Any) -> NewTemplate:
    """The template a create (or edit) asks for, or GraphError(100) naming the first error."""
    if not isinstance(data, dict):
        raise refuse("Invalid request", "The request body must be a JSON object.")
    data = {**data, "components": _upper_types(data.get("components"))}
    try:
        problems = validate_template(data)
    except TemplateFormatError as exc:
        raise refuse("Invalid template", exc.message) from None
    for problem in errors(problems):
        raise refuse(f"Invalid {problem.field}", problem.message)
    return NewTemplate(
        name=data["name"],
        language=data["language"],
        category=data["category"],
        components=data["components"],
        parameter_format=data.get("parameter_format", "POSITIONAL"),
    )


def _upper_types(components: Any) -> Any:
    """Meta stores component, header format and button types upper-case, whatever was sent."""
    if not isinstance(components, list):
        return components
    out = []
    for comp in components:
        if not isinstance(comp, dict):
            return components  # the validator reports it
        comp = {**comp, "type": str(comp.get("type", "")).upper()}
        if "format" in comp:
            comp["format"] = str(comp["format"]).upper()
        if isinstance(comp.get("buttons"), list):
            comp["buttons"] = [
                {**b, "type": str(b.get("type", "")).upper()} if isinstance(b, dict) else b
                for b in comp["buttons"]
            ]
        out.append(comp)
    return out


def review(template: dict[str, Any]) -> ReviewOutcome:
    """The decision on ``template`` (Graph JSON: name, language, category, components)."""
    for risk in review_risks(validate_template(template)):
        return ReviewOutcome("REJECTED", risk.rejected_reason or "INVALID_FORMAT")
    body = next((c.get("text") or "" for c in template["components"] if c.get("type") == "BODY"), "")
    if any(phrase in body.lower() for phrase in _SCAM):
        return ReviewOutcome("REJECTED", "SCAM")
    if template["category"] in ("UTILITY", "AUTHENTICATION") and _PROMOTIONAL.search(body):
        return ReviewOutcome("APPROVED", category="MARKETING")
    return ReviewOutcome("APPROVED")
