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
Three kinds of template are checked here rather than by the shared validator, after
Meta's own creation examples (OpenAPI v23.0, ``POST /{WABA-ID}/message_templates``) and its
template guides, so the sandbox cannot agree with a gap of our client's:
  - authentication templates with an OTP button (COPY_CODE, ONE_TAP, ZERO_TAP): the body
    has no text of its own, only ``add_security_recommendation``; the footer only
    ``code_expiration_minutes``; Meta writes the texts (stored here in Meta's English wording);
  - multi-product (MPM) and catalog (CATALOG) buttons: one such button, marketing only;
  - library templates (``library_template_name``): Meta supplies the content, which the
    sandbox does not have, so they are stored with the components the request gives (none).
Fields Meta stores and returns besides the components are kept in ``NewTemplate.extra``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from easymo_core.sandbox.graph_errors import GraphError
from easymo_core.templates.problems import TemplateFormatError
from easymo_core.templates.validate import errors, review_risks, validate_template

_SCAM = ("you have won", "claim your prize", "wire transfer fee", "bitcoin giveaway", "lottery winner")
_PROMOTIONAL = re.compile(r"\b(discount|sale|promo|coupon|deal|offer)s?\b|\d+\s*% off", re.IGNORECASE)
DELETED_NAME_BLOCK_SECONDS = 30 * 24 * 3600


# Fields a create may set that the template node returns as given (Meta's Graph reference
# for the template node; not in the OpenAPI description, so unverified).
EXTRA_FIELDS = ("message_send_ttl_seconds", "cta_url_link_tracking_opted_out", "sub_category",
                "library_template_name", "degrees_of_freedom_spec")
OTP_TYPES = ("COPY_CODE", "ONE_TAP", "ZERO_TAP")
CODE_EXPIRATION_MINUTES = (1, 90)  # Meta's authentication template guide
# message_send_ttl_seconds: Meta's guide gives 30 s to 15 min for authentication, 30 s to
# 12 h for utility and marketing (unverified: not in the OpenAPI description).
TTL_RANGE = {"AUTHENTICATION": (30, 900), "UTILITY": (30, 43200), "MARKETING": (43200, 2592000)}
OTP_BUTTON_TEXT_MAX = 25
_AUTH_BODY = "*{{1}}* is your verification code."
_AUTH_SECURITY = " For your security, do not share this code."


@dataclass
class NewTemplate:
    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    parameter_format: str
    extra: dict[str, Any] = field(default_factory=dict)


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
    data = {**data, "components": _upper_types(data.get("components", []))}
    extra = _extra_fields(data)
    if "library_template_name" in extra:
        return _library_template(data, extra)
    components = data["components"]
    if data.get("category") == "AUTHENTICATION" and _has_otp(components):
        components = _authentication_components(components)
        checked = {**data, "components": [c for c in components if c["type"] != "BUTTONS"]}
    else:
        checked = {**data, "components": _without_commerce_buttons(components, data.get("category"))}
    try:
        problems = validate_template(checked)
    except TemplateFormatError as exc:
        raise refuse("Invalid template", exc.message) from None
    for problem in errors(problems):
        if data.get("category") == "AUTHENTICATION" and problem.field.startswith(("body", "footer")):
            continue  # Meta writes an authentication template's texts
        raise refuse(f"Invalid {problem.field}", problem.message)
    return NewTemplate(
        name=data["name"],
        language=data["language"],
        category=data["category"],
        components=components,
        parameter_format=data.get("parameter_format", "POSITIONAL"),
        extra=extra,
    )


def _extra_fields(data: dict[str, Any]) -> dict[str, Any]:
    extra = {k: data[k] for k in EXTRA_FIELDS if data.get(k) is not None}
    ttl = extra.get("message_send_ttl_seconds")
    if ttl is not None:
        low, high = TTL_RANGE.get(str(data.get("category")), (30, 2592000))
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not (low <= ttl <= high or ttl == -1):
            raise refuse("Invalid message_send_ttl_seconds",
                         f"message_send_ttl_seconds must be between {low} and {high}, or -1.")
    tracking = extra.get("cta_url_link_tracking_opted_out")
    if tracking is not None and not isinstance(tracking, bool):
        raise refuse("Invalid cta_url_link_tracking_opted_out",
                     "cta_url_link_tracking_opted_out must be a boolean.")
    name = extra.get("library_template_name")
    if name is not None and (not isinstance(name, str) or not name):
        raise refuse("Invalid library_template_name", "library_template_name must be a template name.")
    return extra


def _library_template(data: dict[str, Any], extra: dict[str, Any]) -> NewTemplate:
    for key in ("name", "language", "category"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise refuse(f"Invalid {key}", f"The parameter {key} is required.")
    if data["category"] not in ("UTILITY", "AUTHENTICATION"):
        raise refuse("Invalid category", "Library templates are utility or authentication templates.")
    inputs = data.get("library_template_button_inputs")
    if inputs is not None and not isinstance(inputs, list):
        raise refuse("Invalid library_template_button_inputs",
                     "library_template_button_inputs must be a list.")
    problems = [p for p in validate_template({**data, "components": [{"type": "BODY", "text": "x"}]})
                if p.field in ("name", "language")]
    for problem in errors(problems):
        raise refuse(f"Invalid {problem.field}", problem.message)
    return NewTemplate(data["name"], data["language"], data["category"], data["components"],
                       "POSITIONAL", extra)


def _has_otp(components: Any) -> bool:
    return isinstance(components, list) and any(
        isinstance(c, dict) and isinstance(c.get("buttons"), list)
        and any(isinstance(b, dict) and b.get("type") == "OTP" for b in c["buttons"])
        for c in components
    )


def _authentication_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An authentication template's components as Meta stores them: its texts filled in."""
    out: list[dict[str, Any]] = []
    for comp in components:
        kind = comp.get("type")
        if kind == "BODY":
            if "text" in comp:
                raise refuse("Invalid body", "An authentication template's body text is set by WhatsApp.")
            security = comp.get("add_security_recommendation", False)
            if not isinstance(security, bool):
                raise refuse("Invalid body", "add_security_recommendation must be a boolean.")
            out.append({**comp, "text": _AUTH_BODY + (_AUTH_SECURITY if security else "")})
        elif kind == "FOOTER":
            minutes = comp.get("code_expiration_minutes")
            low, high = CODE_EXPIRATION_MINUTES
            if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
                raise refuse("Invalid footer", f"code_expiration_minutes must be between {low} and {high}.")
            out.append({**comp, "text": f"This code expires in {minutes} minutes."})
        elif kind == "BUTTONS":
            buttons = comp["buttons"]
            if len(buttons) != 1:
                raise refuse("Invalid buttons", "An authentication template has exactly one OTP button.")
            out.append({**comp, "buttons": [_otp_button(buttons[0])]})
        else:
            raise refuse("Invalid components", f"An authentication template has no {kind} component.")
    if not any(c["type"] == "BODY" for c in out):
        raise refuse("Invalid components", "An authentication template needs a BODY component.")
    return out


def _otp_button(button: dict[str, Any]) -> dict[str, Any]:
    otp_type = button.get("otp_type")
    if otp_type not in OTP_TYPES:
        raise refuse("Invalid button", f"otp_type must be one of {', '.join(OTP_TYPES)}.")
    for key in ("text", "autofill_text"):
        value = button.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > OTP_BUTTON_TEXT_MAX):
            raise refuse("Invalid button", f"{key} must be text of at most {OTP_BUTTON_TEXT_MAX} characters.")
    if otp_type in ("ONE_TAP", "ZERO_TAP"):
        apps = button.get("supported_apps") or [
            {"package_name": button.get("package_name"), "signature_hash": button.get("signature_hash")}]
        for app in apps:
            if not (isinstance(app, dict) and app.get("package_name") and app.get("signature_hash")):
                raise refuse("Invalid button", f"A {otp_type} button needs package_name and signature_hash.")
    if otp_type == "ZERO_TAP" and button.get("zero_tap_terms_accepted") is not True:
        raise refuse("Invalid button", "A ZERO_TAP button needs zero_tap_terms_accepted: true.")
    return {"text": "Copy code", **button}


def _without_commerce_buttons(components: Any, category: Any) -> Any:
    """``components`` without MPM and CATALOG buttons, checked here (the shared validator
    does not know them): at most one, text of at most 25 characters, marketing templates."""
    if not isinstance(components, list):
        return components
    out = []
    for comp in components:
        buttons = comp.get("buttons") if isinstance(comp, dict) else None
        if not isinstance(buttons, list):
            out.append(comp)
            continue
        commerce = [b for b in buttons if isinstance(b, dict) and b.get("type") in ("MPM", "CATALOG")]
        if commerce:
            if len(commerce) > 1:
                raise refuse("Invalid buttons", "A template has at most one MPM or CATALOG button.")
            if category != "MARKETING":
                kind = commerce[0]["type"]
                raise refuse("Invalid category", f"A {kind} button needs a MARKETING template.")
            text = commerce[0].get("text")
            if not isinstance(text, str) or not text or len(text) > OTP_BUTTON_TEXT_MAX:
                limit = OTP_BUTTON_TEXT_MAX
                raise refuse("Invalid button", f"The button text must be 1 to {limit} characters.")
        rest = [b for b in buttons if b not in commerce]
        if rest:
            out.append({**comp, "buttons": rest})
    return out


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
    if template["category"] == "AUTHENTICATION" and _has_otp(template["components"]):
        return ReviewOutcome("APPROVED")  # Meta wrote its texts
    for risk in review_risks(validate_template(template)):
        return ReviewOutcome("REJECTED", risk.rejected_reason or "INVALID_FORMAT")
    body = next((c.get("text") or "" for c in template["components"] if c.get("type") == "BODY"), "")
    if any(phrase in body.lower() for phrase in _SCAM):
        return ReviewOutcome("REJECTED", "SCAM")
    if template["category"] in ("UTILITY", "AUTHENTICATION") and _PROMOTIONAL.search(body):
        return ReviewOutcome("APPROVED", category="MARKETING")
    return ReviewOutcome("APPROVED")
