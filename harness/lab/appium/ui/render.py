"""``GET /screenshot``: a PNG drawn from the element tree, at the phone's pixel size.

UiAutomator2 returns the screen in pixels (1080×2400 here); XCUITest returns points × scale (an iPhone 15
is 1179×2556). The picture is the tree: each painted element's box, and its text where it has one, so a
report shows which screen the phone was on. Pillow (a matplotlib dependency) draws and encodes it.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from harness.lab.appium.ui.tree import Node

__all__ = ["screenshot_png"]

_FONTS: dict[int, ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if size not in _FONTS:
        _FONTS[size] = ImageFont.load_default(size=size)
    return _FONTS[size]


def screenshot_png(root: Node, width: int, height: int, scale: float) -> bytes:
    """The screen under ``root`` (``width``×``height`` in the tree's units) as PNG bytes."""
    image = Image.new("RGB", (round(width * scale), round(height * scale)), "#000000")
    _draw(ImageDraw.Draw(image), root, scale, "#000000")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _draw(draw: ImageDraw.ImageDraw, node: Node, scale: float, background: str) -> None:
    x1, y1, x2, y2 = (round(v * scale) for v in node.bounds)
    if x2 > x1 and y2 > y1:
        if node.paint is not None:
            draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=node.paint)
            background = node.paint
        label = node.attrs.get("text") or node.attrs.get("label") or ""
        if label and not node.children:
            size = max(10, min(round(14 * scale) if scale > 1 else 36, (y2 - y1) * 3 // 4))
            ink = "#111111" if _light(background) else "#f0f0f0"
            draw.text((x1 + 4, y1 + max(0, (y2 - y1 - size) // 2)), label, fill=ink, font=_font(size))
    for child in node.children:
        _draw(draw, child, scale, background)


def _light(colour: str) -> bool:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b > 140
