"""Interactive messages: reply buttons and lists, checked against Meta's limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.limits import (
    BUTTON_ID_MAX,
    BUTTON_TITLE_MAX,
    BUTTONS_MAX,
    BUTTONS_MIN,
    INTERACTIVE_BODY_MAX,
    INTERACTIVE_FOOTER_MAX,
    INTERACTIVE_HEADER_TEXT_MAX,
    LIST_BODY_MAX,
    LIST_BUTTON_TEXT_MAX,
    LIST_ROW_DESCRIPTION_MAX,
    LIST_ROW_ID_MAX,
    LIST_ROW_TITLE_MAX,
    LIST_ROWS_TOTAL_MAX,
    LIST_SECTION_TITLE_MAX,
    LIST_SECTIONS_MAX,
)
from easymo_core.cloudapi.payload_rules import (
    MEDIA_KINDS,
    check_count,
    check_media,
    check_unique,
    optional_text,
    require_list,
    require_mapping,
    require_text,
)


@dataclass(frozen=True, slots=True)
class ReplyButton:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class ListRow:
    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ListSection:
    rows: Sequence[ListRow]
    title: str | None = None


# A header is text, or a media object such as {"type": "image", "image": {"link": ...}}.
Header = str | Mapping[str, Any]


def buttons_object(
    body: str,
    buttons: Sequence[ReplyButton | tuple[str, str]],
    *,
    header: Header | None = None,
    footer: str | None = None,
) -> dict[str, Any]:
    """The checked ``interactive`` object of a reply-buttons message; buttons are (id, title)."""
    replies = [b if isinstance(b, ReplyButton) else ReplyButton(*b) for b in buttons]
    interactive: dict[str, Any] = {
        "type": "button",
        "body": {"text": body},
        "action": {
            "buttons": [{"type": "reply", "reply": {"id": b.id, "title": b.title}}
                        for b in replies],
        },
    }
    _add_header_footer(interactive, header, footer)
    check_interactive(interactive)
    return interactive


def list_object(
    body: str,
    button: str,
    sections: Sequence[ListSection],
    *,
    header: str | None = None,
    footer: str | None = None,
) -> dict[str, Any]:
    """The checked ``interactive`` object of a list message."""
    interactive: dict[str, Any] = {
        "type": "list",
        "body": {"text": body},
        "action": {"button": button, "sections": [_section(s) for s in sections]},
    }
    _add_header_footer(interactive, header, footer)
    check_interactive(interactive)
    return interactive


def _section(section: ListSection) -> dict[str, Any]:
    rows = []
    for row in section.rows:
        entry = {"id": row.id, "title": row.title}
        if row.description is not None:
            entry["description"] = row.description
        rows.append(entry)
    out: dict[str, Any] = {"rows": rows}
    if section.title is not None:
        out["title"] = section.title
    return out


def _add_header_footer(
    interactive: dict[str, Any], header: Header | None, footer: str | None
) -> None:
    if isinstance(header, str):
        interactive["header"] = {"type": "text", "text": header}
    elif header is not None:
        interactive["header"] = dict(header)
    if footer is not None:
        interactive["footer"] = {"text": footer}


def check_interactive(interactive: Mapping[str, Any]) -> None:
    kind = interactive.get("type")
    action = require_mapping("interactive action", interactive.get("action"))
    if kind == "button":
        _check_common(interactive, INTERACTIVE_BODY_MAX, media_header=True)
        _check_buttons(action)
    elif kind == "list":
        _check_common(interactive, LIST_BODY_MAX, media_header=False)
        _check_list(action)
    else:
        # Other interactive types (cta_url, flow, product ...) are passed on unchecked beyond
        # the body; easymo builds only buttons and lists itself.
        if "body" in interactive:
            _check_body(interactive, INTERACTIVE_BODY_MAX)


def _check_common(interactive: Mapping[str, Any], body_max: int, *, media_header: bool) -> None:
    _check_body(interactive, body_max)
    footer = interactive.get("footer")
    if footer is not None:
        require_text("footer", require_mapping("footer", footer).get("text"),
                     INTERACTIVE_FOOTER_MAX)
    header = interactive.get("header")
    if header is None:
        return
    header = require_mapping("header", header)
    kind = header.get("type")
    if kind == "text":
        require_text("header text", header.get("text"), INTERACTIVE_HEADER_TEXT_MAX)
    elif media_header and kind in MEDIA_KINDS:
        check_media(f"header {kind}", header.get(kind))
    else:
        allowed = "text, image, video or document" if media_header else "text"
        raise PayloadError(f"header type {kind!r} is not {allowed}", field="header")


def _check_body(interactive: Mapping[str, Any], limit: int) -> None:
    require_text("body", require_mapping("body", interactive.get("body")).get("text"), limit)


def _check_buttons(action: Mapping[str, Any]) -> None:
    buttons = require_list("buttons", action.get("buttons"))
    check_count("the message", "buttons", len(buttons), BUTTONS_MIN, BUTTONS_MAX)
    ids, titles = [], []
    for number, button in enumerate(buttons, 1):
        field = f"button {number}"
        button = require_mapping(field, button)
        if button.get("type") != "reply":
            raise PayloadError(f'{field} type must be "reply"', field=field)
        reply = require_mapping(f"{field} reply", button.get("reply"))
        button_id = require_text(f"{field} id", reply.get("id"), BUTTON_ID_MAX)
        if button_id != button_id.strip():
            raise PayloadError(
                f"{field} id {button_id!r} starts or ends with spaces", field=f"{field} id"
            )
        ids.append(button_id)
        titles.append(require_text(f"{field} title", reply.get("title"), BUTTON_TITLE_MAX))
    check_unique("title", "button", titles)
    check_unique("id", "button", ids)


def _check_list(action: Mapping[str, Any]) -> None:
    require_text("list button text", action.get("button"), LIST_BUTTON_TEXT_MAX)
    sections = require_list("sections", action.get("sections"))
    check_count("the list", "sections", len(sections), 1, LIST_SECTIONS_MAX)
    row_ids: list[str] = []
    for s_number, section in enumerate(sections, 1):
        s_field = f"section {s_number}"
        section = require_mapping(s_field, section)
        if len(sections) > 1 or section.get("title") is not None:
            require_text(f"{s_field} title", section.get("title"), LIST_SECTION_TITLE_MAX)
        rows = require_list(f"{s_field} rows", section.get("rows"))
        check_count(s_field, "rows", len(rows), 1, LIST_ROWS_TOTAL_MAX)
        for r_number, row in enumerate(rows, 1):
            r_field = f"{s_field} row {r_number}"
            row = require_mapping(r_field, row)
            row_ids.append(require_text(f"{r_field} id", row.get("id"), LIST_ROW_ID_MAX))
            require_text(f"{r_field} title", row.get("title"), LIST_ROW_TITLE_MAX)
            optional_text(f"{r_field} description", row.get("description"),
                          LIST_ROW_DESCRIPTION_MAX)
    check_count("the list", "rows", len(row_ids), 1, LIST_ROWS_TOTAL_MAX)
    check_unique("id", "row", row_ids)
