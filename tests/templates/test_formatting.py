from __future__ import annotations

import html
import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from easymo_core.templates import Span, parse, to_html
from easymo_core.templates.formatting import url_spans

MARKERS = "*_~`"


def styles(text: str) -> list[tuple[str, str]]:
    """Each span as (text, flags) with flags from "bisc" (bold, italic, strike, code)."""
    out = []
    for s in parse(text):
        flags = "".join(f for f, on in zip("bisc", (s.bold, s.italic, s.strike, s.mono), strict=True) if on)
        out.append((s.text, flags))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*bold*", [("bold", "b")]),
        ("_italic_", [("italic", "i")]),
        ("~gone~", [("gone", "s")]),
        ("```mono```", [("mono", "c")]),
        ("`code`", [("code", "c")]),
        ("a *b* c", [("a ", ""), ("b", "b"), (" c", "")]),
        ("*_both_*", [("both", "bi")]),
        ("_*both*_", [("both", "bi")]),
        ("*bold _and italic_ here*", [("bold ", "b"), ("and italic", "bi"), (" here", "b")]),
        ("~*_all three_*~", [("all three", "bis")]),
        ("(*x*)", [("(", ""), ("x", "b"), (")", "")]),
        ("*x*, then", [("x", "b"), (", then", "")]),
    ],
)
def test_formatting(text: str, expected: list[tuple[str, str]]) -> None:
    assert styles(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "* not bold*",  # marker must hug the text
        "*not bold *",
        "2*3*4",  # inside a word
        "snake_case_name",
        "**",  # no content
        "*unclosed",
        "*across\nlines*",  # single markers stop at a newline
        "_a\nb_",
        "`code\nspan`",
        "a*b",
        "a_b_ c",  # an opener must not follow a letter or digit
        "2*3* is",
    ],
)
def test_literal_markers_stay(text: str) -> None:
    assert styles(text) == [(text, "")]


def test_mono_block_spans_lines_and_formats_nothing_inside() -> None:
    assert styles("```line *1*\nline _2_```") == [("line *1*\nline _2_", "c")]
    assert styles("`*x*`") == [("*x*", "c")]


def test_nearest_valid_closer_wins() -> None:
    assert styles("*a* and *b*") == [("a", "b"), (" and ", ""), ("b", "b")]
    assert styles("*a *b* c*") == [("a *b", "b"), (" c*", "")]


def test_urls_are_not_formatted_inside() -> None:
    assert styles("see https://ex.com/a_b_c_d and _this_") == [
        ("see https://ex.com/a_b_c_d and ", ""),
        ("this", "i"),
    ]
    assert styles("_https://ex.com/x_") == [("https://ex.com/x", "i")]


def test_url_spans_leave_trailing_punctuation_out() -> None:
    text = "Go to https://ex.com/o/42. Or (https://ex.com/x)!"
    assert [text[a:b] for a, b in url_spans(text)] == ["https://ex.com/o/42", "https://ex.com/x"]
    assert url_spans("https:// nothing") == []


def test_empty_text() -> None:
    assert parse("") == []
    assert to_html("") == ""


def test_to_html() -> None:
    assert to_html("*Hi* <Ana> & _you_\n~old~ ```x  y```") == (
        "<b>Hi</b> &lt;Ana&gt; &amp; <i>you</i><br><s>old</s> <code>x &nbsp;y</code>"
    )


def test_to_html_links() -> None:
    assert to_html("Track: https://ex.com/o?a=1&b=2.") == (
        'Track: <a href="https://ex.com/o?a=1&amp;b=2">https://ex.com/o?a=1&amp;b=2</a>.'
    )
    assert to_html("*https://ex.com*") == '<b><a href="https://ex.com">https://ex.com</a></b>'


def test_an_injected_tag_in_a_url_is_escaped() -> None:
    out = to_html('https://ex.com/"onmouseover=alert(1)"')
    assert '"onmouseover' not in out.split(">")[0]


# --- properties --------------------------------------------------------------------------

# Tokens rich in markers, spaces, newlines, HTML specials and URLs, so that most draws
# exercise the pairing rules; plain st.text() covers the rest of Unicode.
_tokens = st.sampled_from([*"ab *_~`\n<>&\"'", "```", "https://x.io/a_b", "é", "😀", "  "])
texts = st.lists(_tokens, max_size=40).map("".join) | st.text()


def _without_markers(text: str) -> str:
    return "".join(c for c in text if c not in MARKERS)


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


@given(texts)
def test_parse_loses_nothing_but_markers(text: str) -> None:
    joined = "".join(s.text for s in parse(text))
    assert _without_markers(joined) == _without_markers(text)
    assert _is_subsequence(joined, text)


@given(st.text(alphabet=st.characters(blacklist_characters=MARKERS)))
def test_text_without_markers_is_one_plain_span(text: str) -> None:
    assert parse(text) == ([Span(text)] if text else [])


@given(texts)
def test_spans_are_merged_and_never_empty(text: str) -> None:
    spans = parse(text)
    assert all(s.text for s in spans)
    flags = [(s.bold, s.italic, s.strike, s.mono) for s in spans]
    assert all(a != b for a, b in itertools.pairwise(flags))


_OWN_TAGS = re.compile(r'</?(?:b|i|s|code)>|<br>|<a href="[^"<>]*">|</a>')


@given(texts)
def test_to_html_escapes_all_user_markup(text: str) -> None:
    out = to_html(text)
    rest = _OWN_TAGS.sub("", out)
    assert "<" not in rest and ">" not in rest
    # What is left, unescaped, is exactly the visible text of the spans.
    visible = html.unescape(_OWN_TAGS.sub("", out.replace("<br>", "\n")).replace("&nbsp;", " "))
    assert visible == "".join(s.text for s in parse(text))
