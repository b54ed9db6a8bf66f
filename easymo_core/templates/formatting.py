"""WhatsApp text formatting: ``*bold*``, ``_italic_``, ``~strike~``, ```` ```mono``` ````, `` `code` ``.

The rules WhatsApp follows, as this parser applies them:

- a marker opens only at the start of the text or after a character that is not a letter or
  digit, and only when the next character is not a space ("snake_case_name" stays as is);
- it closes at the nearest same marker that follows a non-space character and is followed by
  the end or by a character that is not a letter or digit; the content is never empty;
- single-character markers do not span a newline; ```` ``` ```` blocks may;
- markers nest when they differ (``*_x_*``); inside mono and code nothing is formatted;
- nothing inside a URL is a marker (``https://ex.com/a_b_c`` is a link, not italics);
- a marker that does not pair up is left in the text as it is.

``parse`` never drops a character other than the markers it consumed.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from dataclasses import dataclass

_STYLE_OF = {"*": "bold", "_": "italic", "~": "strike", "`": "mono"}
_FENCE = "```"
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Punctuation that ends a sentence or closes a marker, rather than belonging to the URL.
_URL_TRAILING = ".,;:!?)]}*_~`'\""


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    mono: bool = False


def url_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each http(s) URL in ``text``, trailing punctuation excluded."""
    spans = []
    for match in URL_RE.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _URL_TRAILING:
            end -= 1
        if text[match.start() : end].rstrip("/").lower() not in ("http:", "https:"):
            spans.append((match.start(), end))
    return spans


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.in_url = bytearray(len(text))
        for start, end in url_spans(text):
            self.in_url[start:end] = b"\x01" * (end - start)
        # Whether a position can close a marker does not depend on where it opened, so the
        # candidates are found once and each opener's search is a bisection, not a scan.
        self.closers = {
            m: [j for j, c in enumerate(text) if c == m and self._can_close(j)] for m in _STYLE_OF
        }
        self.newlines = [j for j, c in enumerate(text) if c == "\n"]
        self.spans: list[Span] = []

    def _can_open(self, i: int) -> bool:
        t = self.text
        # Positions inside URLs never get here: parse() steps over them.
        return (i == 0 or not t[i - 1].isalnum()) and i + 1 < len(t) and not t[i + 1].isspace()

    def _can_close(self, j: int) -> bool:
        t = self.text
        return (
            not self.in_url[j]
            and j > 0
            and not t[j - 1].isspace()
            and (j + 1 == len(t) or not t[j + 1].isalnum())
        )

    def _closer(self, marker: str, i: int, end: int) -> int | None:
        candidates = self.closers[marker]
        k = bisect_left(candidates, i + 2)  # at least one character of content
        if k == len(candidates):
            return None
        n = bisect_left(self.newlines, i)
        line_end = self.newlines[n] if n < len(self.newlines) else len(self.text)
        j = candidates[k]
        return j if j < min(end, line_end) else None

    def _emit(self, start: int, end: int, style: frozenset[str]) -> None:
        if start >= end:
            return
        text = self.text[start:end]
        span = Span(text, "bold" in style, "italic" in style, "strike" in style, "mono" in style)
        last = self.spans[-1] if self.spans else None
        if last is not None and (last.bold, last.italic, last.strike, last.mono) == (
            span.bold,
            span.italic,
            span.strike,
            span.mono,
        ):
            self.spans[-1] = Span(last.text + text, span.bold, span.italic, span.strike, span.mono)
        else:
            self.spans.append(span)

    def parse(self, start: int, end: int, style: frozenset[str]) -> None:
        t = self.text
        i = plain_from = start
        while i < end:
            if self.in_url[i]:
                i += 1
                continue
            if t.startswith(_FENCE, i):
                close = t.find(_FENCE, i + len(_FENCE) + 1, end)
                if close != -1:
                    self._emit(plain_from, i, style)
                    self._emit(i + len(_FENCE), close, style | {"mono"})
                    i = plain_from = close + len(_FENCE)
                    continue
            marker = t[i]
            if marker in _STYLE_OF and self._can_open(i):
                close_at = self._closer(marker, i, end)
                if close_at is not None:
                    self._emit(plain_from, i, style)
                    inner = style | {_STYLE_OF[marker]}
                    if marker == "`":
                        self._emit(i + 1, close_at, inner)
                    else:
                        self.parse(i + 1, close_at, inner)
                    i = plain_from = close_at + 1
                    continue
            i += 1
        self._emit(plain_from, end, style)


def parse(text: str) -> list[Span]:
    """``text`` as runs of uniformly formatted text, markers removed; adjacent equal runs merged."""
    parser = _Parser(text)
    parser.parse(0, len(text), frozenset())
    return parser.spans


def _escape(text: str) -> str:
    # Qt collapses runs of spaces like a browser does; keep them as the phone shows them.
    return html.escape(text, quote=False).replace("\n", "<br>").replace("  ", " &nbsp;")


def _linkified(text: str) -> str:
    parts, pos = [], 0
    for start, end in url_spans(text):
        url = text[start:end]
        parts += [_escape(text[pos:start]), f'<a href="{html.escape(url)}">{_escape(url)}</a>']
        pos = end
    parts.append(_escape(text[pos:]))
    return "".join(parts)


def to_html(text: str) -> str:
    """Rich text for a Qt label: user text escaped, newlines as ``<br>``, URLs as links."""
    out = []
    for span in parse(text):
        piece = _linkified(span.text)
        for on, tag in ((span.mono, "code"), (span.strike, "s"), (span.italic, "i"), (span.bold, "b")):
            if on:
                piece = f"<{tag}>{piece}</{tag}>"
        out.append(piece)
    return "".join(out)
