"""The values a sender gives for one template message.

Keys are variable names as written in the template: "1", "2" for positional templates,
"first_name" for named ones. Button values are keyed by the button's 0-based index and
mean, by button type: the URL suffix (URL), the coupon code (COPY_CODE), the payload
(QUICK_REPLY, optional) or the flow token (FLOW, optional).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Currency:
    fallback_value: str
    code: str
    amount_1000: int


@dataclass(frozen=True)
class DateTime:
    fallback_value: str


@dataclass(frozen=True)
class Media:
    """An image, video or document for a media header: a public ``link`` or an uploaded ``id``."""

    link: str | None = None
    id: str | None = None
    filename: str | None = None  # documents only: the name the recipient sees


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


TextValue = str | Currency | DateTime
HeaderObject = Media | Location


def display_value(value: TextValue) -> str:
    """How a value reads in a preview or a plain-text message."""
    return value if isinstance(value, str) else value.fallback_value


def _keyed(values: Mapping[str, TextValue] | Sequence[TextValue] | None) -> dict[str, TextValue]:
    if values is None:
        return {}
    if isinstance(values, Mapping):
        return dict(values)
    # A bare string is a Sequence too; taking it letter by letter is never what was meant.
    if isinstance(values, str):
        raise TypeError("give a list of values or a mapping of names to values, not a string")
    return {str(i): value for i, value in enumerate(values, start=1)}


@dataclass(frozen=True)
class TemplateParams:
    header: Mapping[str, TextValue] = field(default_factory=dict)
    body: Mapping[str, TextValue] = field(default_factory=dict)
    buttons: Mapping[int, str] = field(default_factory=dict)
    header_object: HeaderObject | None = None

    @classmethod
    def of(
        cls,
        *,
        header: Mapping[str, TextValue] | Sequence[TextValue] | None = None,
        body: Mapping[str, TextValue] | Sequence[TextValue] | None = None,
        buttons: Mapping[int, str] | None = None,
        header_object: HeaderObject | None = None,
    ) -> TemplateParams:
        """Build params; a list for header or body stands for positional values 1, 2, ..."""
        return cls(
            header=_keyed(header),
            body=_keyed(body),
            buttons=dict(buttons or {}),
            header_object=header_object,
        )
