"""Cloud API limits shared by the payload builders, the template validator and the sandbox.

Figures from ../shared/CLOUDAPI.md (Meta's docs as paraphrased there). One table so the
client that refuses a payload and the sandbox that rejects it cannot disagree.
"""

from __future__ import annotations

TEXT_BODY_MAX = 4096
CAPTION_MAX = 1024

# Interactive reply buttons
BUTTONS_MIN = 1
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
INTERACTIVE_BODY_MAX = 1024
INTERACTIVE_FOOTER_MAX = 60
INTERACTIVE_HEADER_TEXT_MAX = 60

# Interactive list. Some SDKs allow 4096 for a list body; 1024 is what every source agrees on.
LIST_BODY_MAX = 1024
LIST_BUTTON_TEXT_MAX = 20
LIST_SECTIONS_MAX = 10
LIST_ROWS_TOTAL_MAX = 10
LIST_SECTION_TITLE_MAX = 24
LIST_ROW_TITLE_MAX = 24
LIST_ROW_DESCRIPTION_MAX = 72
LIST_ROW_ID_MAX = 200

# Templates (creation side)
TEMPLATE_NAME_MAX = 512
TEMPLATE_HEADER_TEXT_MAX = 60
TEMPLATE_HEADER_VARS_MAX = 1
TEMPLATE_BODY_MAX = 1024
TEMPLATE_FOOTER_MAX = 60
TEMPLATE_BUTTONS_MAX = 10
TEMPLATE_QUICK_REPLY_MAX = 10
TEMPLATE_URL_BUTTONS_MAX = 2
TEMPLATE_URL_MAX = 2000
TEMPLATE_PHONE_BUTTONS_MAX = 1
TEMPLATE_PHONE_MAX = 20
TEMPLATE_COPY_CODE_BUTTONS_MAX = 1
TEMPLATE_COPY_CODE_MAX = 15
TEMPLATE_BUTTON_TEXT_MAX = 25
TEMPLATE_CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
TEMPLATE_STATUSES = (
    "APPROVED",
    "PENDING",
    "REJECTED",
    "PAUSED",
    "DISABLED",
    "IN_APPEAL",
    "REINSTATED",
    "FLAGGED",
    "PENDING_DELETION",
    "DELETED",
    "LIMIT_EXCEEDED",
    "ARCHIVED",
    "UNARCHIVED",
    "LOCKED",
)
TEMPLATE_REJECTED_REASONS = (
    "NONE",
    "INVALID_FORMAT",
    "PROMOTIONAL",
    "ABUSIVE_CONTENT",
    "INCORRECT_CATEGORY",
    "TAG_CONTENT_MISMATCH",
    "SCAM",
)
# Send side: a text parameter may not hold newlines, tabs or more than 4 consecutive spaces.
TEMPLATE_PARAM_MAX_CONSECUTIVE_SPACES = 4

# Throughput and pacing
DEFAULT_MESSAGES_PER_SECOND = 80.0
MAX_MESSAGES_PER_SECOND = 1000.0
PAIR_RATE_SECONDS = 6.0  # about one message per 6 s to one user
# Up to 45 messages in 6 s to one user as a burst, which borrows future time: a burst of n is
# paid back (n × 6 s) before the next message (CLOUDAPI.md §5).
PAIR_BURST = 45

CUSTOMER_SERVICE_WINDOW_SECONDS = 24 * 3600

# Send envelope
BIZ_OPAQUE_CALLBACK_DATA_MAX = 512  # echoed back in status webhooks
TEMPLATE_BUTTON_INDEX_MAX = TEMPLATE_BUTTONS_MAX - 1  # button `index` is 0-based

# Read side: template_analytics accepts at most this many template ids per request.
TEMPLATE_ANALYTICS_IDS_PER_REQUEST = 10
