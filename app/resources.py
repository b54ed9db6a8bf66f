"""Style sheet and icons shipped with the console, from the top-level resources/ folder
(installed as the package ``easymo_resources``, see setup.py; in the bundle beside it)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

HERE = files("easymo_resources")


def style_sheet() -> str:
    return (HERE / "style.qss").read_text(encoding="utf-8")


@cache
def icon(name: str, color: str = "#aebac1", size: int = 20) -> QIcon:
    """An SVG icon from icons/, recoloured (the files draw in currentColor)."""
    svg = (HERE / "icons" / f"{name}.svg").read_text(encoding="utf-8")
    svg = svg.replace("currentColor", color)
    renderer = QSvgRenderer(svg.encode("utf-8"))
    result = QIcon()
    for scale in (1, 2):
        pix = QPixmap(size * scale, size * scale)
        pix.fill(QColor(0, 0, 0, 0))
        p = QPainter(pix)
        renderer.render(p)
        p.end()
        pix.setDevicePixelRatio(scale)
        result.addPixmap(pix)
    return result
