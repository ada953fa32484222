"""Generated badge images: a theme colour, a simple icon per theme and the title.

A micro-training without an image of its own gets one drawn here, as PNG (Pillow) or SVG. The
images are read at thumbnail size (90 px in lists and on cards), so the icon is made of a few
large shapes and the title is short, bold and big. Text and background colours pass WCAG AA
(contrast ratio of at least 4.5:1). Output is deterministic: the same title and theme give the
same bytes.

The font is DejaVu Sans shipped in `issuer/rendering/fonts/`; nothing depends on system fonts.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

FONTS_DIR = Path(__file__).parent / "fonts"
FONT_REGULAR = FONTS_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONTS_DIR / "DejaVuSans-Bold.ttf"


class Palette(NamedTuple):
    """The two colours of a theme: a background and the text/icon colour drawn on it."""

    background: str
    text: str


# Dark backgrounds with white text: each pair is well above 4.5:1 (see tests).
THEME_COLOURS: dict[str, Palette] = {
    "green-jobs": Palette("#1B5E20", "#FFFFFF"),
    "local-services": Palette("#0D47A1", "#FFFFFF"),
    "digital-skills": Palette("#4A148C", "#FFFFFF"),
}
DEFAULT_PALETTE = Palette("#37474F", "#FFFFFF")

# Layout in a 100-unit square; PNG and SVG draw from the same numbers.
_ICON_BOX = (28.0, 10.0, 72.0, 54.0)  # left, top, right, bottom of the icon area
_TEXT_TOP, _TEXT_BOTTOM, _TEXT_WIDTH = 58.0, 92.0, 86.0
_TITLE_SIZES = (13.0, 12.0, 11.0, 10.0, 9.0)  # font sizes tried, largest first
_MAX_TITLE_LINES = 3
_CORNER = 12.0


def contrast_ratio(fg: str | tuple[int, int, int], bg: str | tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio between two colours (`#RRGGBB` or RGB tuples), from 1.0 to 21.0."""
    lighter, darker = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def palette_for(theme: str) -> Palette:
    """The theme's colours; a theme chosen per territory and not listed gets a neutral palette."""
    return THEME_COLOURS.get(theme, DEFAULT_PALETTE)


# A card sheet of one session shows the same badge on every card, and a page the same few:
# each drawing takes a third of a second, so the last few are kept (about 50 kB each).
@lru_cache(maxsize=32)
def badge_png(title: str, theme: str, size: int = 512) -> bytes:
    """The generated badge image as PNG bytes, `size` pixels square."""
    scale = 4  # draw large and downsample: Pillow's polygons have no anti-aliasing of their own
    canvas = size * scale
    unit = canvas / 100.0
    palette = palette_for(theme)
    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, canvas - 1, canvas - 1), radius=_CORNER * unit,
                           fill=palette.background)
    for shape in _icon_shapes(theme):
        _draw_shape_png(draw, shape, unit, palette)
    font_size, lines = _title_layout(title)
    font = ImageFont.truetype(str(FONT_BOLD), round(font_size * unit))
    for line, baseline in zip(lines, _baselines(font_size, len(lines)), strict=True):
        draw.text((50 * unit, baseline * unit), line, font=font, fill=palette.text, anchor="ms")
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def badge_svg(title: str, theme: str) -> str:
    """The generated badge image as a standalone SVG document (text kept as text)."""
    palette = palette_for(theme)
    font_size, lines = _title_layout(title)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="512" height="512"'
        ' role="img" aria-labelledby="title">',
        f"<title id=\"title\">{escape(title)}</title>",
        f'<rect width="100" height="100" rx="{_CORNER:g}" fill="{palette.background}"/>',
    ]
    parts += [_shape_svg(shape, palette) for shape in _icon_shapes(theme)]
    parts.append(
        f'<g font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-weight="bold"'
        f' font-size="{font_size:g}" fill="{palette.text}" text-anchor="middle">'
    )
    for line, baseline in zip(lines, _baselines(font_size, len(lines)), strict=True):
        parts.append(f'<text x="50" y="{baseline:.2f}">{escape(line)}</text>')
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"


def wrap_text(text: str, width: float, measure) -> list[str]:
    """Greedy word wrap: lines no wider than `width` as measured by `measure(str) -> float`.

    A single word wider than `width` is kept on its own line; callers shrink the font for it.
    """
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and measure(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines or [""]


def ellipsize(text: str, width: float, measure) -> str:
    """`text` cut with a trailing ellipsis so that it measures no more than `width`."""
    if measure(text) <= width:
        return text
    while text and measure(text.rstrip() + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


# --- title layout -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _measure_font(size_tenths: int) -> ImageFont.FreeTypeFont:
    # Metrics are taken at 10x the layout size so rounding does not change the wrap.
    return ImageFont.truetype(str(FONT_BOLD), size_tenths)


def _text_width(text: str, size: float) -> float:
    return _measure_font(round(size * 10)).getlength(text) / 10.0


def _title_layout(title: str) -> tuple[float, list[str]]:
    """The largest font size whose wrapped title fits the text area; else the smallest, cut."""
    title = " ".join(title.split()) or "?"
    for size in _TITLE_SIZES:
        lines = wrap_text(title, _TEXT_WIDTH, lambda s, z=size: _text_width(s, z))
        fits_width = all(_text_width(line, size) <= _TEXT_WIDTH for line in lines)
        if fits_width and len(lines) * size * 1.15 <= _TEXT_BOTTOM - _TEXT_TOP:
            return size, lines
    size = _TITLE_SIZES[-1]
    lines = wrap_text(title, _TEXT_WIDTH, lambda s: _text_width(s, size))
    kept = lines[:_MAX_TITLE_LINES]
    if len(lines) > _MAX_TITLE_LINES:
        kept[-1] = kept[-1] + " " + " ".join(lines[_MAX_TITLE_LINES:])
    return size, [ellipsize(line, _TEXT_WIDTH, lambda s: _text_width(s, size)) for line in kept]


def _baselines(size: float, count: int) -> list[float]:
    """Baselines that centre `count` lines vertically in the text area."""
    leading = size * 1.15
    block = leading * (count - 1) + size * 0.73  # cap height of DejaVu Sans Bold ≈ 0.73 em
    top = _TEXT_TOP + (_TEXT_BOTTOM - _TEXT_TOP - block) / 2
    return [top + size * 0.73 + i * leading for i in range(count)]


# --- icons --------------------------------------------------------------------------------------
# A shape is (kind, data, colour role): kind "polygon" (points), "rect" (x0, y0, x1, y1) or
# "ellipse" (x0, y0, x1, y1); the role "text" draws in the text colour, "background" cuts a hole.


def _icon_shapes(theme: str) -> list[tuple[str, tuple, str]]:
    drawers = {"green-jobs": _leaf, "local-services": _house, "digital-skills": _monitor}
    return drawers.get(theme, _star)()


def _leaf() -> list[tuple[str, tuple, str]]:
    # A lens between two circular arcs, tilted 45°, with a stem and a midrib.
    cx, cy, half, bulge = 50.0, 32.0, 22.0, 11.0
    radius = (half**2 + bulge**2) / (2 * bulge)
    span = math.asin(half / radius)
    steps = 24
    outline = []
    for side in (1, -1):
        for i in range(steps + 1):
            a = -span + 2 * span * i / steps
            along, across = radius * math.sin(a), side * (radius * math.cos(a) - (radius - bulge))
            outline.append((along, across) if side == 1 else (-along, across))
    rot = math.radians(-45)

    cos, sin = math.cos(rot), math.sin(rot)

    def turn(points) -> tuple:
        return tuple((cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points)

    leaf = turn(outline)
    rib = turn(((-half + 4, -1.2), (half - 3, -0.6), (half - 3, 0.6), (-half + 4, 1.2)))
    stem = turn(((-half - 8, -1.8), (-half + 2, -1.8), (-half + 2, 1.8), (-half - 8, 1.8)))
    return [("polygon", leaf, "text"), ("polygon", rib, "background"), ("polygon", stem, "text")]


def _house() -> list[tuple[str, tuple, str]]:
    roof = ((50.0, 11.0), (74.0, 32.0), (26.0, 32.0))
    return [
        ("polygon", roof, "text"),
        ("rect", (34.0, 29.0, 66.0, 53.0), "text"),
        ("rect", (45.0, 38.0, 55.0, 53.0), "background"),  # the door
        ("rect", (59.0, 14.0, 64.0, 24.0), "text"),  # the chimney
    ]


def _monitor() -> list[tuple[str, tuple, str]]:
    cursor = ((47.0, 20.0), (47.0, 38.0), (51.5, 34.0), (54.5, 40.5), (57.5, 39.0), (54.5, 32.7),
              (60.0, 32.0))
    return [
        ("rect", (26.0, 12.0, 74.0, 44.0), "text"),  # the frame
        ("rect", (30.0, 16.0, 70.0, 40.0), "background"),  # the screen
        ("polygon", cursor, "text"),
        ("polygon", ((45.0, 44.0), (55.0, 44.0), (57.0, 50.0), (43.0, 50.0)), "text"),  # the stand
        ("rect", (38.0, 50.0, 62.0, 53.0), "text"),  # the foot
    ]


def _star() -> list[tuple[str, tuple, str]]:
    cx, cy, outer, inner = 50.0, 33.0, 22.0, 9.5
    points = []
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        a = math.radians(-90 + 36 * i)
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return [("polygon", tuple(points), "text")]


def _colour(role: str, palette: Palette) -> str:
    return palette.text if role == "text" else palette.background


def _draw_shape_png(draw: ImageDraw.ImageDraw, shape, unit: float, palette: Palette) -> None:
    kind, data, role = shape
    fill = _colour(role, palette)
    if kind == "polygon":
        draw.polygon([(x * unit, y * unit) for x, y in data], fill=fill)
    elif kind == "rect":
        draw.rectangle([v * unit for v in data], fill=fill)
    else:
        draw.ellipse([v * unit for v in data], fill=fill)


def _shape_svg(shape, palette: Palette) -> str:
    kind, data, role = shape
    fill = _colour(role, palette)
    if kind == "polygon":
        points = " ".join(f"{x:.2f},{y:.2f}" for x, y in data)
        return f'<polygon points="{points}" fill="{fill}"/>'
    x0, y0, x1, y1 = data
    if kind == "rect":
        size = f'width="{x1 - x0:g}" height="{y1 - y0:g}"'
        return f'<rect x="{x0:g}" y="{y0:g}" {size} fill="{fill}"/>'
    return (f'<ellipse cx="{(x0 + x1) / 2:g}" cy="{(y0 + y1) / 2:g}" rx="{(x1 - x0) / 2:g}"'
            f' ry="{(y1 - y0) / 2:g}" fill="{fill}"/>')


def _luminance(colour: str | tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    if isinstance(colour, str):
        hex_digits = colour.lstrip("#")
        colour = tuple(int(hex_digits[i:i + 2], 16) for i in (0, 2, 4))
    channels = []
    for value in colour:
        c = value / 255.0
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
