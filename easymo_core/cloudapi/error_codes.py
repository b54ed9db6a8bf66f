"""Graph API error codes: the family, whether a retry can help, and what an admin should do.

One table so the client, the status ingest, the analytics and the GUI explain a code the
same way. Codes come from ../shared/CLOUDAPI.md §5 plus a few common extras; an unknown
code falls back on its HTTP status (see ``errors.error_from_payload``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from easymo_core.cloudapi.limits import PAIR_RATE_SECONDS


class ErrorFamily(StrEnum):
    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    RATE_LIMIT = "rate_limit"
    RECIPIENT = "recipient"
    TEMPLATE = "template"
    PARAMETER = "parameter"
    POLICY = "policy"
    MEDIA = "media"
    SERVER = "server"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    family: ErrorFamily
    retryable: bool
    explanation: str
    # Waiting less than this cannot succeed (e.g. the pair rate limit), whatever the backoff says.
    min_retry_delay: float = 0.0


_A, _P, _R = ErrorFamily.AUTHENTICATION, ErrorFamily.PERMISSION, ErrorFamily.RATE_LIMIT
_U, _T, _V = ErrorFamily.RECIPIENT, ErrorFamily.TEMPLATE, ErrorFamily.PARAMETER
_Y, _M, _S = ErrorFamily.POLICY, ErrorFamily.MEDIA, ErrorFamily.SERVER

CODES: dict[int, CodeInfo] = {
    # Authentication and permissions: nothing changes until an admin fixes the token or app.
    0: CodeInfo(_A, False, "Meta refused the access token: store a valid token for this profile."),
    190: CodeInfo(_A, False, "The access token expired or was revoked: generate a new "
                  "system-user token in Meta Business settings and store it for this profile."),
    3: CodeInfo(_P, False, "The app lacks the capability for this call: enable WhatsApp on the "
                "app in the Meta app dashboard and check its permissions."),
    10: CodeInfo(_P, False, "Permission denied: the token needs whatsapp_business_messaging and "
                 "whatsapp_business_management for this WABA and phone number."),
    131005: CodeInfo(_P, False, "Access denied: give the token's system user access to this "
                     "phone number with the whatsapp_business_messaging permission."),
    # The sending number itself (not the recipient) is not registered: every send fails alike.
    133010: CodeInfo(_P, False, "The sending phone number is not registered with the Cloud API: "
                     "register it in WhatsApp Manager before sending."),
    # Rate limits. The ones a short wait cures are retryable; the quality-driven ones are not.
    4: CodeInfo(_R, True, "The app hit Meta's call-rate limit: slow down template syncs and "
                "analytics pulls; easymo retries after a pause."),
    80007: CodeInfo(_R, True, "The WhatsApp Business Account hit its rate limit: send more slowly "
                    "and retry later; easymo retries after a pause."),
    130429: CodeInfo(_R, True, "This phone number's throughput limit was reached: lower the "
                     "profile's messages per second; easymo retries after a pause."),
    131056: CodeInfo(_R, True, "Too many messages to the same user in a short time: wait a few "
                     "seconds before writing to this user again.",
                     min_retry_delay=PAIR_RATE_SECONDS),
    131048: CodeInfo(_R, False, "Spam rate limit: too many of this number's messages were blocked "
                     "or reported; pause sending and improve message quality first."),
    131049: CodeInfo(_R, False, "Meta held back this marketing message to limit per-user "
                     "marketing volume: do not resend now; try again after a day."),
    # Recipient problems: this user cannot get this message now; other users are unaffected.
    131021: CodeInfo(_U, False, "The recipient is the sending number itself: send to another number."),
    131026: CodeInfo(_U, False, "Undeliverable: the user may not be on WhatsApp, may run an old "
                     "app or has not accepted the latest terms; do not retry right away."),
    131030: CodeInfo(_U, False, "The recipient is not in the test number's allowed list: add it in "
                     "WhatsApp Manager > API Setup, or send from a production number."),
    131047: CodeInfo(_U, False, "More than 24 hours since the user last wrote: only an approved "
                     "template can be sent to this user now."),
    131050: CodeInfo(_U, False, "The user stopped marketing messages from this business: send "
                     "them no marketing templates."),
    130472: CodeInfo(_U, False, "The user is in a Meta marketing experiment and was not sent this "
                     "message: nothing to fix; do not resend it."),
    # Templates: the template or its parameters must change before a resend.
    132000: CodeInfo(_T, False, "The number of parameters does not match the template: give "
                     "exactly one value per variable in each component."),
    132001: CodeInfo(_T, False, "The template does not exist in this language or is not approved: "
                     "check the name and the exact language code (en is not en_US)."),
    132005: CodeInfo(_T, False, "The message is too long once the variables are filled in: "
                     "shorten the parameter values."),
    132008: CodeInfo(_T, False, "A template parameter value is invalid: check each value against "
                     "the variable's type (text, currency, date, media)."),
    132012: CodeInfo(_T, False, "A template parameter has the wrong format: make each parameter "
                     "match the template (an image header needs an image, and so on)."),
    132015: CodeInfo(_T, False, "The template is paused for low quality: use another template "
                     "until it is unpaused, or edit it."),
    132016: CodeInfo(_T, False, "The template was disabled for low quality: create a new template."),
    # Parameters of the request itself.
    100: CodeInfo(_V, False, "Meta rejected a parameter: the details field names it; fix the "
                  "request or the profile's ids."),
    131008: CodeInfo(_V, False, "A required parameter is missing: the details field names it."),
    131009: CodeInfo(_V, False, "A parameter value is invalid: the details field names it (phone "
                     "number id, recipient, button ...)."),
    131051: CodeInfo(_V, False, "Unsupported message type: send a type the Cloud API supports."),
    # Meta calls 135000 a "generic user error": the request, not Meta, must change.
    135000: CodeInfo(_V, False, "Meta reports an unknown problem with the request parameters: "
                     "check the payload; give the fbtrace_id to Meta support if it persists."),
    # Media
    131052: CodeInfo(_M, False, "The media the user sent could not be downloaded: ask the user "
                     "to send it again."),
    131053: CodeInfo(_M, False, "The media could not be uploaded: check the link is public and "
                     "the file type and size are supported."),
    # Policy and account state: an admin has to act in Meta's tools.
    368: CodeInfo(_Y, False, "The account is temporarily blocked for policy violations: check "
                  "Business Support Home; do not retry until the block is lifted."),
    131031: CodeInfo(_Y, False, "The business account is locked (policy, or a wrong two-step PIN): "
                     "resolve it in Business Support Home before sending."),
    131042: CodeInfo(_Y, False, "Payment problem on the WhatsApp Business Account: fix the payment "
                     "method in Meta Business settings."),
    132007: CodeInfo(_Y, False, "The template content breaks a WhatsApp policy: edit the template."),
    # Meta's side: a later attempt may succeed.
    1: CodeInfo(_S, True, "Meta's API hit an unknown error: easymo retries; try again later if "
                "it persists."),
    2: CodeInfo(_S, True, "Meta's API is temporarily unavailable: easymo retries; try again later."),
    131000: CodeInfo(_S, True, "Meta hit an unknown error: easymo retries; give the fbtrace_id to "
                     "Meta support if it persists."),
    131016: CodeInfo(_S, True, "WhatsApp is temporarily unavailable: easymo retries; see "
                     "metastatus.com if it persists."),
    131057: CodeInfo(_S, True, "The business account is in maintenance mode (e.g. a throughput "
                     "upgrade): retry in a few minutes."),
}

_PERMISSION_RANGE = range(200, 300)
_PERMISSION_RANGE_INFO = CodeInfo(
    _P, False, "Permission denied: give the token's system user access to this WhatsApp "
    "Business Account with the whatsapp_business_* permissions.",
)


def code_info(code: int | None) -> CodeInfo | None:
    """What easymo knows about ``code``, or None for a code outside its table."""
    if code is None:
        return None
    info = CODES.get(code)
    if info is None and code in _PERMISSION_RANGE:
        return _PERMISSION_RANGE_INFO
    return info


def explain(code: int) -> str:
    """One line for admins saying what ``code`` means and what to do about it."""
    info = code_info(code)
    if info is not None:
        return info.explanation
    return (f"Graph error {code} is not in easymo's table: read Meta's message and details, "
            "and look the code up in Meta's error-code reference.")
