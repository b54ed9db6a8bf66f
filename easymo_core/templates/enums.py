"""The fixed vocabularies of a template definition (CLOUDAPI.md §3).

Model fields hold plain ``str`` rather than these enums: Meta adds values over time, and a
draft in the editor may hold anything the user typed. The validator reports unknown values;
the model keeps them.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    MARKETING = "MARKETING"
    UTILITY = "UTILITY"
    AUTHENTICATION = "AUTHENTICATION"


class ParameterFormat(StrEnum):
    POSITIONAL = "POSITIONAL"
    NAMED = "NAMED"


class HeaderFormat(StrEnum):
    TEXT = "TEXT"
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    DOCUMENT = "DOCUMENT"
    LOCATION = "LOCATION"


class ButtonType(StrEnum):
    QUICK_REPLY = "QUICK_REPLY"
    URL = "URL"
    PHONE_NUMBER = "PHONE_NUMBER"
    COPY_CODE = "COPY_CODE"
    FLOW = "FLOW"


class Severity(StrEnum):
    ERROR = "error"  # Meta refuses to create the template
    REVIEW_RISK = "review_risk"  # Meta creates it, but its review will likely reject it


MEDIA_HEADER_FORMATS = frozenset({HeaderFormat.IMAGE, HeaderFormat.VIDEO, HeaderFormat.DOCUMENT})
# Headers whose send-side parameter is an object (media or location) rather than text.
OBJECT_HEADER_FORMATS = MEDIA_HEADER_FORMATS | {HeaderFormat.LOCATION}
