"""The WhatsApp preview: a message drawn as the phone draws it.

One painted widget rather than a tree of labels: the bubble's tail, the time tucked into
the last line, the ticks and the bottom sheet of a list need exact geometry, and a single
measure-and-paint pass keeps the preview cheap enough to redraw on every keystroke.
The same widget serves the template editor, the composer and (later) the messages log.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.models.preview_data import PreviewMessage, PreviewReply
from app.widgets.wa_text import to_html


class WA:
    """WhatsApp's light-theme colours."""

    WALLPAPER = QColor("#efeae2")
    DOODLE = QColor(120, 100, 80, 22)
    OUT = QColor("#d9fdd3")
    IN = QColor("#ffffff")
    TEXT = QColor("#111b21")
    MUTED = QColor("#667781")
    TICK = QColor("#8696a0")
    READ = QColor("#53bdeb")
    LINK = QColor("#027eb5")
    FAILED = QColor("#ea0038")
    TEAL = QColor("#008069")
    MEDIA = QColor("#c5ced3")
    QUOTE_OUT = QColor("#d1f4cc")
    QUOTE_IN = QColor("#f5f6f6")
    SHADOW = QColor(11, 20, 26, 34)
    DIVIDER = QColor(0, 0, 0, 25)


BUTTON_ICONS = {
    "quick_reply": "↩",
    "reply": "↩",
    "url": "↗",
    "phone": "✆",
    "copy_code": "❐",
    "flow": "☰",
    "other": "",
}
MEDIA_LABELS = {"IMAGE": "Image", "VIDEO": "Video", "DOCUMENT": "Document", "LOCATION": "Location"}

MARGIN = 18.0
PAD_X = 9.0
PAD_Y = 6.0
RADIUS = 8.0
BUTTON_H = 38.0
MAX_BUBBLE = 360.0


@dataclass
class _Fonts:
    body: QFont
    header: QFont
    small: QFont
    time: QFont
    sheet_title: QFont


def _fonts(base: QFont) -> _Fonts:
    # Sizes drawn against a 13 px body, scaled to the system font's points (app/theme.py).
    base_pt = base.pointSizeF() if base.pointSizeF() > 0 else 10.0

    def sized(px: float, bold: bool = False) -> QFont:
        font = QFont(base)
        font.setPointSizeF(base_pt * px / 13.0)
        font.setBold(bold)
        return font

    return _Fonts(sized(14), sized(15, True), sized(12.5), sized(11), sized(15, True))


def _doc(html: str, font: QFont, width: float, color: QColor) -> QTextDocument:
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setDefaultFont(font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    doc.setDefaultTextOption(option)
    doc.setDefaultStyleSheet(f"body {{ color: {color.name()}; }}")
    doc.setHtml(f"<body>{html}</body>")
    doc.setTextWidth(width)
    return doc


def _last_line_width(doc: QTextDocument) -> float:
    block = doc.lastBlock()
    layout = block.layout()
    if layout is None or layout.lineCount() == 0:
        return 0.0
    return layout.lineAt(layout.lineCount() - 1).naturalTextWidth()


_TILE: QPixmap | None = None


def wallpaper_tile() -> QPixmap:
    """A beige tile with faint doodles, like the default chat wallpaper (seeded, so stable)."""
    global _TILE
    if _TILE is not None:
        return _TILE
    tile = QPixmap(180, 180)
    tile.fill(WA.WALLPAPER)
    rng = random.Random(20)
    p = QPainter(tile)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(WA.DOODLE, 1.6)
    p.setPen(pen)
    for _ in range(26):
        x, y = rng.uniform(6, 168), rng.uniform(6, 168)
        kind = rng.randrange(4)
        s = rng.uniform(5, 10)
        if kind == 0:
            p.drawEllipse(QPointF(x, y), s / 2, s / 2)
        elif kind == 1:
            p.drawRoundedRect(QRectF(x, y, s, s * 0.8), 2, 2)
        elif kind == 2:
            path = QPainterPath(QPointF(x, y))
            path.cubicTo(x + s / 2, y - s / 2, x + s, y + s / 2, x + 1.5 * s, y)
            p.drawPath(path)
        else:
            p.drawLine(QPointF(x, y), QPointF(x + s * 0.7, y + s * 0.7))
            p.drawLine(QPointF(x + s * 0.7, y), QPointF(x, y + s * 0.7))
    p.end()
    _TILE = tile
    return tile


class MessagePreview(QWidget):
    """Draws a :class:`PreviewMessage`; its height follows its width and content."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._message = PreviewMessage(placeholder="Nothing to preview yet")
        self._pictures: dict[str, QPixmap] = {}
        self._cache: tuple[object, QPixmap] | None = None
        self._measured: tuple[object, float] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(280)
        self.setAccessibleName("WhatsApp preview")

    # -- API -------------------------------------------------------------------------
    def set_message(self, message: PreviewMessage) -> None:
        if message == self._message:
            return  # a reload with nothing new: no layout, no repaint
        self._message = message
        self._update_height()
        self.update()

    def message(self) -> PreviewMessage:
        return self._message

    def sizeHint(self) -> QSize:
        return QSize(380, int(self._measure(380)))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return int(self._measure(width))

    def resizeEvent(self, event: object) -> None:
        self._update_height()

    def _update_height(self) -> None:
        needed = int(self._measure(max(self.width(), 280)))
        if self.minimumHeight() != needed:
            self.setMinimumHeight(needed)

    def _measure(self, width: float) -> float:
        key = (self._message, width)
        if self._measured is None or self._measured[0] != key:
            self._measured = (key, self._draw(None, float(width)))
        return self._measured[1]

    def paintEvent(self, event: object) -> None:
        # Drawn once per message and size into a pixmap: repaints (a toast passing over,
        # scrolling) then cost one blit instead of ~100 Python painter calls, which matters
        # when a busy worker makes every Python call wait for the GIL.
        ratio = self.devicePixelRatioF()
        key = (self._message, self.width(), self.height(), ratio)
        if self._cache is None or self._cache[0] != key:
            pixmap = QPixmap(max(1, int(self.width() * ratio)), max(1, int(self.height() * ratio)))
            pixmap.setDevicePixelRatio(ratio)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.drawTiledPixmap(self.rect(), wallpaper_tile())
            self._draw(painter, float(self.width()))
            painter.end()
            self._cache = (key, pixmap)
        p = QPainter(self)
        p.drawPixmap(0, 0, self._cache[1])
        p.end()

    # -- drawing ---------------------------------------------------------------------
    def _draw(self, p: QPainter | None, width: float) -> float:
        """Paint when ``p`` is given; return the height needed either way."""
        msg = self._message
        fonts = _fonts(self.font())
        y = 14.0
        y = self._date_chip(p, width, y, fonts)
        if msg.is_empty and not msg.replies:
            if p is not None:
                p.setPen(WA.MUTED)
                p.setFont(fonts.body)
                p.drawText(QRectF(MARGIN, y, width - 2 * MARGIN, 60),
                           Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, msg.placeholder)
            return max(y + 80, 160)
        bubble_w = min(MAX_BUBBLE, width - 2 * MARGIN - 36)
        if not msg.is_empty:  # an inbound message alone has only the user's bubbles
            y = self._outgoing(p, width, y, bubble_w, fonts)
        for reply in msg.replies:
            y = self._incoming(p, y + 6, bubble_w, reply, fonts)
        if msg.show_sheet and msg.sections:
            # The sheet is anchored to the bottom edge, as on a phone.
            return self._sheet(p, width, y + 16, fonts)
        return y + 16

    def _date_chip(self, p: QPainter | None, width: float, y: float, fonts: _Fonts) -> float:
        label = self._message.date_label
        if not label:
            return y
        fm = QFontMetricsF(fonts.small)
        w, h = fm.horizontalAdvance(label) + 22, 24.0
        if p is not None:
            rect = QRectF((width - w) / 2, y, w, h)
            self._shadowed(p, rect, 7, QColor("#ffffff"))
            p.setFont(fonts.small)
            p.setPen(WA.MUTED)
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        return y + h + 12

    def _shadowed(self, p: QPainter, rect: QRectF, radius: float, fill: QColor) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(WA.SHADOW)
        p.drawRoundedRect(rect.translated(0, 1), radius, radius)
        p.setBrush(fill)
        p.drawRoundedRect(rect, radius, radius)

    def _outgoing(
        self, p: QPainter | None, width: float, top: float, bubble_w: float, fonts: _Fonts
    ) -> float:
        msg = self._message
        inner_max = bubble_w - 2 * PAD_X
        header_doc = (
            _doc(to_html(msg.header_text), fonts.header, inner_max, WA.TEXT)
            if msg.header_text else None
        )
        body_doc = _doc(to_html(msg.body), fonts.body, inner_max, WA.TEXT) if msg.body else None
        footer_doc = (
            _doc(to_html(msg.footer), fonts.small, inner_max, WA.MUTED) if msg.footer else None
        )
        time_w = self._time_width(fonts)
        # A bubble is as wide as its longest line, except with media, buttons or a list,
        # where WhatsApp gives it the full width.
        wide = bool(msg.header_media or msg.buttons or msg.list_button)
        natural = max(
            [d.idealWidth() for d in (header_doc, body_doc, footer_doc) if d is not None]
            + [time_w + 4]
        )
        inner_w = inner_max if wide else min(inner_max, max(natural, 60.0))
        for d in (header_doc, body_doc, footer_doc):
            if d is not None:
                d.setTextWidth(inner_w)
        w = inner_w + 2 * PAD_X
        x = width - MARGIN - w
        # Measure the content first so the bubble can be painted under it.
        y = top + PAD_Y
        blocks: list[tuple[str, float, object]] = []
        if msg.header_media:
            h = 44.0 if msg.header_media == "DOCUMENT" else round(inner_w * 0.52)
            blocks.append(("media", y - PAD_Y + 3, h))
            y += h + 2
        if header_doc is not None:
            blocks.append(("doc", y, header_doc))
            y += header_doc.size().height() + 3
        last_doc = None
        if body_doc is not None:
            blocks.append(("doc", y, body_doc))
            y += body_doc.size().height()
            last_doc = body_doc
        if footer_doc is not None:
            y += 3
            blocks.append(("doc", y, footer_doc))
            y += footer_doc.size().height()
            last_doc = footer_doc
        # The time sits in the last line when it fits, else on a line of its own.
        if last_doc is not None and _last_line_width(last_doc) + time_w + 10 <= inner_w:
            time_y = y - 15
            y += 2
        else:
            time_y = y + 1
            y += 17
        list_y = None
        if msg.list_button:
            list_y = y + 4
            y += BUTTON_H
        bottom = y + PAD_Y
        if p is not None:
            rect = QRectF(x, top, w, bottom - top)
            self._bubble(p, rect, WA.OUT, tail_right=True)
            for kind, by, item in blocks:
                if kind == "media":
                    self._media(p, QRectF(x + 3, by, w - 6, float(item)), fonts)  # type: ignore[arg-type]
                else:
                    p.save()
                    p.translate(x + PAD_X, by)
                    item.drawContents(p)  # type: ignore[attr-defined]
                    p.restore()
            self._time_and_ticks(p, x + w - PAD_X, time_y, fonts)
            if list_y is not None:
                p.setPen(QPen(WA.DIVIDER, 1))
                p.drawLine(QPointF(x, list_y), QPointF(x + w, list_y))
                self._button_label(p, QRectF(x, list_y, w, BUTTON_H), "☰", msg.list_button or "",
                                   fonts)
        y = bottom
        # Template and reply buttons sit under the bubble; more than three fold into
        # "See all options", as on a phone.
        buttons = list(msg.buttons)
        shown = buttons if len(buttons) <= 3 else buttons[:2]
        labels = [(BUTTON_ICONS.get(b.kind, ""), b.text) for b in shown]
        if len(buttons) > 3:
            labels.append(("☰", "See all options"))
        for icon, text in labels:
            y += 3
            if p is not None:
                rect = QRectF(x, y, w, BUTTON_H)
                self._shadowed(p, rect, RADIUS, WA.OUT)
                self._button_label(p, rect, icon, text, fonts)
            y += BUTTON_H
        return y + 4

    def _bubble(self, p: QPainter, rect: QRectF, fill: QColor, *, tail_right: bool) -> None:
        path = QPainterPath()
        path.addRoundedRect(rect, RADIUS, RADIUS)
        tail = QPainterPath()
        if tail_right:
            tx = rect.right()
            tail.moveTo(tx - 10, rect.top())
            tail.lineTo(tx + 8, rect.top())
            tail.lineTo(tx, rect.top() + 10)
        else:
            tx = rect.left()
            tail.moveTo(tx + 10, rect.top())
            tail.lineTo(tx - 8, rect.top())
            tail.lineTo(tx, rect.top() + 10)
        tail.closeSubpath()
        shape = path.united(tail)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(WA.SHADOW)
        p.drawPath(shape.translated(0, 1))
        p.setBrush(fill)
        p.drawPath(shape)

    def _picture(self, path: str) -> QPixmap | None:
        cached = self._pictures.get(path)
        if cached is None:
            cached = QPixmap(path)
            self._pictures = {path: cached}  # one picture at a time: the one being previewed
        return None if cached.isNull() else cached

    def _media(self, p: QPainter, rect: QRectF, fonts: _Fonts) -> None:
        kind = self._message.header_media or "IMAGE"
        picture = self._picture(self._message.media_path) if self._message.media_path else None
        if kind == "IMAGE" and picture is not None:
            # Cover the header's box, as WhatsApp crops a header picture.
            scaled = picture.scaled(int(rect.width()), int(rect.height()),
                                    Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                    Qt.TransformationMode.SmoothTransformation)
            clip = QPainterPath()
            clip.addRoundedRect(rect, 6, 6)
            p.save()
            p.setClipPath(clip)
            p.drawPixmap(int(rect.left() - (scaled.width() - rect.width()) / 2),
                         int(rect.top() - (scaled.height() - rect.height()) / 2), scaled)
            p.restore()
            return
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(WA.MEDIA if kind != "LOCATION" else QColor("#cfe3c8"))
        p.drawRoundedRect(rect, 6, 6)
        if kind == "LOCATION":
            p.setPen(QPen(QColor(255, 255, 255, 160), 2))
            for i in range(1, 6):
                p.drawLine(QPointF(rect.left(), rect.top() + i * rect.height() / 6),
                           QPointF(rect.right(), rect.top() + i * rect.height() / 6 + 12))
            p.setBrush(WA.FAILED)
            p.setPen(Qt.PenStyle.NoPen)
            c = rect.center()
            p.drawEllipse(c, 7, 7)
        elif kind == "DOCUMENT":
            icon = QRectF(rect.left() + 10, rect.top() + 8, 22, 28)
            p.setBrush(QColor("#ffffff"))
            p.drawRoundedRect(icon, 3, 3)
            p.setPen(WA.TEXT)
            p.setFont(fonts.body)
            name = self._message.media_name or "document.pdf"
            p.drawText(rect.adjusted(42, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter,
                       p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, int(rect.width() - 48)))
            return
        else:
            p.setBrush(QColor(255, 255, 255, 170))
            c = rect.center()
            if kind == "VIDEO":
                p.drawEllipse(c, 22, 22)
                tri = QPainterPath(QPointF(c.x() - 7, c.y() - 10))
                tri.lineTo(c.x() + 11, c.y())
                tri.lineTo(c.x() - 7, c.y() + 10)
                tri.closeSubpath()
                p.setBrush(WA.MUTED)
                p.drawPath(tri)
            else:
                mountain = QPainterPath(QPointF(c.x() - 30, c.y() + 18))
                mountain.lineTo(c.x() - 8, c.y() - 8)
                mountain.lineTo(c.x() + 6, c.y() + 6)
                mountain.lineTo(c.x() + 14, c.y() - 2)
                mountain.lineTo(c.x() + 30, c.y() + 18)
                mountain.closeSubpath()
                p.drawPath(mountain)
                p.drawEllipse(QPointF(c.x() + 14, c.y() - 16), 6, 6)
        p.setPen(QColor("#ffffff"))
        p.setFont(fonts.small)
        p.drawText(rect.adjusted(8, 0, -8, -6),
                   Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                   MEDIA_LABELS.get(kind, kind) + " header")

    def _button_label(
        self, p: QPainter, rect: QRectF, icon: str, text: str, fonts: _Fonts
    ) -> None:
        label = f"{icon}  {text}" if icon else text
        font = QFont(fonts.body)
        font.setWeight(QFont.Weight.Medium)
        p.setFont(font)
        p.setPen(WA.LINK)
        elided = QFontMetricsF(font).elidedText(label, Qt.TextElideMode.ElideRight,
                                                rect.width() - 16)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, elided)

    def _time_width(self, fonts: _Fonts) -> float:
        fm = QFontMetricsF(fonts.time)
        tick = 20.0 if self._message.ticks else 0.0
        return fm.horizontalAdvance(self._message.time or "00:00") + tick + 4

    def _time_and_ticks(self, p: QPainter, right: float, y: float, fonts: _Fonts) -> None:
        msg = self._message
        fm = QFontMetricsF(fonts.time)
        x = right
        if msg.ticks:
            x -= 18
            self._ticks(p, QPointF(x, y + 7), msg.ticks)
            x -= 3
        p.setFont(fonts.time)
        p.setPen(WA.MUTED)
        t = msg.time or ""
        p.drawText(QPointF(x - fm.horizontalAdvance(t), y + 11), t)

    def _ticks(self, p: QPainter, at: QPointF, state: str) -> None:
        """✓ sent, ✓✓ delivered, blue ✓✓ read, a clock while queued, red ! when failed."""
        p.save()
        if state in ("queued", "accepted"):
            p.setPen(QPen(WA.TICK, 1.2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            c = at + QPointF(7, 0)
            p.drawEllipse(c, 5, 5)
            p.drawLine(c, c + QPointF(0, -3))
            p.drawLine(c, c + QPointF(2.5, 1))
        elif state == "failed":
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(WA.FAILED)
            c = at + QPointF(7, 0)
            p.drawEllipse(c, 6, 6)
            p.setPen(QPen(QColor("#ffffff"), 1.6))
            p.drawLine(c + QPointF(0, -3.2), c + QPointF(0, 0.8))
            p.drawPoint(c + QPointF(0, 3))
        else:
            color = WA.READ if state == "read" else WA.TICK
            p.setPen(QPen(color, 1.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                          Qt.PenJoinStyle.RoundJoin))
            p.setBrush(Qt.BrushStyle.NoBrush)
            offsets = (0.0,) if state == "sent" else (0.0, 4.5)
            for dx in offsets:
                o = at + QPointF(dx, 0)
                check = QPainterPath(o + QPointF(1, 0))
                check.lineTo(o + QPointF(4, 3.2))
                check.lineTo(o + QPointF(10, -4))
                p.drawPath(check)
        p.restore()

    def _incoming(
        self, p: QPainter | None, top: float, bubble_w: float, reply: PreviewReply, fonts: _Fonts
    ) -> float:
        inner_max = bubble_w - 2 * PAD_X
        body = _doc(to_html(reply.text) or "&nbsp;", fonts.body, inner_max, WA.TEXT)
        quote_text = self._message.body.splitlines()[0] if self._message.body else (
            self._message.header_text or ""
        )
        quoted = reply.kind in ("button", "list") and bool(quote_text)
        fm_small = QFontMetricsF(fonts.small)
        time_w = QFontMetricsF(fonts.time).horizontalAdvance(reply.time or "00:00") + 6
        natural = max(body.idealWidth() + time_w + 8, 120.0 if quoted else 40.0)
        inner_w = min(inner_max, natural)
        body.setTextWidth(inner_w)
        x = MARGIN
        y = top + PAD_Y
        quote_h = 40.0 if quoted else 0.0
        if quoted:
            y += quote_h + 4
        text_h = body.size().height()
        fits = _last_line_width(body) + time_w + 8 <= inner_w
        bottom = y + text_h + (2 if fits else 16) + PAD_Y
        if reply.description:
            bottom += fm_small.height()
        if p is not None:
            w = inner_w + 2 * PAD_X
            rect = QRectF(x, top, w, bottom - top)
            self._bubble(p, rect, WA.IN, tail_right=False)
            if quoted:
                q = QRectF(x + 4, top + 4, w - 8, quote_h)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(WA.QUOTE_IN)
                p.drawRoundedRect(q, 5, 5)
                p.setBrush(WA.TEAL)
                p.drawRoundedRect(QRectF(q.left(), q.top(), 4, q.height()), 2, 2)
                p.setFont(fonts.small)
                p.setPen(WA.TEAL)
                p.drawText(q.adjusted(10, 4, -6, 0), Qt.AlignmentFlag.AlignTop, "You")
                p.setPen(WA.MUTED)
                line = fm_small.elidedText(quote_text.replace("*", "").replace("_", ""),
                                           Qt.TextElideMode.ElideRight, q.width() - 18)
                p.drawText(q.adjusted(10, 0, -6, -5), Qt.AlignmentFlag.AlignBottom, line)
            p.save()
            p.translate(x + PAD_X, y)
            body.drawContents(p)
            p.restore()
            if reply.description:
                p.setFont(fonts.small)
                p.setPen(WA.MUTED)
                p.drawText(QPointF(x + PAD_X, y + text_h + fm_small.ascent()), reply.description)
            p.setFont(fonts.time)
            p.setPen(WA.MUTED)
            t = reply.time
            tw = QFontMetricsF(fonts.time).horizontalAdvance(t)
            p.drawText(QPointF(x + w - PAD_X - tw, bottom - PAD_Y - 2), t)
        return bottom + 2

    def _sheet(self, p: QPainter | None, width: float, top: float, fonts: _Fonts) -> float:
        """The list's bottom sheet: sections of rows, each with a radio circle."""
        msg = self._message
        title_h, section_h, row_h, desc_h = 48.0, 30.0, 30.0, 18.0
        h = title_h + 8
        for section in msg.sections:
            h += section_h if section.title else 4
            for row in section.rows:
                h += row_h + (desc_h if row.description else 0)
        h += 34
        if p is not None:
            rect = QRectF(0, top, width, h)
            path = QPainterPath()
            path.setFillRule(Qt.FillRule.WindingFill)
            path.addRoundedRect(rect, 16, 16)
            path.addRect(QRectF(0, top + 20, width, h - 20))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 28))
            p.drawPath(path.simplified().translated(0, -2))
            p.setBrush(QColor("#ffffff"))
            p.drawPath(path.simplified())
            p.setBrush(QColor("#d1d7db"))
            p.drawRoundedRect(QRectF(width / 2 - 18, top + 7, 36, 4), 2, 2)
            p.setFont(fonts.sheet_title)
            p.setPen(WA.TEXT)
            p.drawText(QRectF(0, top + 12, width, title_h - 12), Qt.AlignmentFlag.AlignCenter,
                       msg.list_button or "")
            p.setPen(WA.MUTED)
            p.drawText(QRectF(16, top + 12, 30, title_h - 12), Qt.AlignmentFlag.AlignVCenter, "✕")
            y = top + title_h + 8
            for section in msg.sections:
                if section.title:
                    p.setFont(fonts.small)
                    p.setPen(WA.TEAL)
                    p.drawText(QRectF(24, y, width - 48, section_h),
                               Qt.AlignmentFlag.AlignVCenter, section.title)
                    y += section_h
                else:
                    y += 4
                for row in section.rows:
                    rh = row_h + (desc_h if row.description else 0)
                    p.setFont(fonts.body)
                    p.setPen(WA.TEXT)
                    p.drawText(QRectF(24, y + 4, width - 90, 22), Qt.AlignmentFlag.AlignVCenter,
                               row.title)
                    if row.description:
                        p.setFont(fonts.small)
                        p.setPen(WA.MUTED)
                        p.drawText(QRectF(24, y + 25, width - 90, desc_h),
                                   Qt.AlignmentFlag.AlignVCenter, row.description)
                    p.setPen(QPen(WA.TICK, 2))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawEllipse(QPointF(width - 36, y + rh / 2), 9, 9)
                    y += rh
            p.setFont(fonts.small)
            p.setPen(WA.MUTED)
            p.drawText(QRectF(0, top + h - 32, width, 24), Qt.AlignmentFlag.AlignCenter,
                       "Tap an item to select it")
        return top + h
