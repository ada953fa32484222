"""Text in any script on a card: font fallback, right-to-left order and shaping (HarfBuzz).

A learner's name may be written in any script. One line of text is cut into runs, in the order
they are seen, each in the first font that has its letters: DejaVu Sans (Latin with every
diacritic, Greek, Cyrillic, Arabic, Hebrew), then Noto Sans Devanagari, then Noto Sans CJK in
the variant the text asks for (Hangul: Korean, kana: Japanese, else Chinese). Each run is shaped
by HarfBuzz (reportlab's `shapeStr`, on `uharfbuzz`), which joins Arabic letters, orders
Devanagari vowel signs and places Vietnamese stacked accents.

Direction follows the Unicode bidirectional rules as far as a name or a title needs them: the
first strong letter sets the line's direction, right-to-left runs are shaped right to left,
digits stay left to right, and spaces take the direction around them.

The Noto CJK fonts are variable fonts whose default instance is Thin; reportlab draws only that
instance, so their strokes are thickened to the weight asked for (fill and stroke, PDF text
render mode 2). Pillow draws the real weight of the same fonts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path

from PIL import ImageFont
from reportlab.lib.abag import ABag
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapedStr, TTFont, shapeFragWord

from .images import FONT_BOLD, FONT_REGULAR

# Joining, reordering and mark placement are always on in HarfBuzz; optional ligatures ("st",
# "fi") and kerning stay off: a name is printed letter by letter, as it was typed.
_FEATURES = {"kern": False, "liga": False, "dlig": False}
_CJK = files("justmytype_intl_cjk") / "fonts" / "ofl"
_DEVANAGARI = files("fontpkg_noto_sans_devanagari") / "files"


@dataclass(frozen=True)
class Face:
    """One font file as reportlab and Pillow use it."""

    name: str  # the reportlab name
    path: Path
    stroke: float = 0.0  # extra stroke, in em, that brings a thin instance to the weight
    weight: int | None = None  # the wght axis value Pillow draws, for a variable font


def _faces(bold: bool) -> dict[str, Face]:
    suffix = "-Bold" if bold else ""
    return {
        "base": Face(f"SkyDejaVuSans{suffix}", FONT_BOLD if bold else FONT_REGULAR),
        "devanagari": Face(f"SkyNotoDevanagari{suffix}",
                           Path(str(_DEVANAGARI / "NotoSansDevanagari[wdth,wght].ttf")),
                           stroke=0.035 if bold else 0.0, weight=700 if bold else 400),
        **{script: Face(f"SkyNotoSans{code}{suffix}",
                        Path(str(_CJK / f"notosans{code.lower()}" / f"NotoSans{code}[wght].ttf")),
                        stroke=0.07 if bold else 0.045, weight=700 if bold else 400)
           for script, code in (("chinese", "SC"), ("japanese", "JP"), ("korean", "KR"))},
    }


FACES = {bold: _faces(bold) for bold in (False, True)}


@dataclass(frozen=True)
class Run:
    """A piece of one line, in visual order: the text of one face and one direction."""

    face: Face
    text: str  # logical order
    rtl: bool
    glyphs: str  # what reportlab draws: a ShapedStr (visual order) or the plain text
    advance: float  # width in em


def runs(text: str, bold: bool) -> list[Run]:
    """The runs of one line of `text`, left to right as printed."""
    if not text:
        return []
    faces = FACES[bold]
    cjk = _cjk_variant(text)
    pieces = _directional_runs(text)
    line_rtl = pieces[0][1] if pieces else False
    out: list[Run] = []
    for piece, rtl in (reversed(pieces) if line_rtl else pieces):
        by_face = _face_runs(piece, faces, cjk)
        for face, part in (reversed(by_face) if rtl else by_face):
            glyphs, advance = _shaped(face, part)
            out.append(Run(face, part, rtl, glyphs, advance))
    return out


def width(text: str, bold: bool, size: float) -> float:
    """The printed width of one line of `text` at `size` points."""
    return sum(run.advance for run in runs(text, bold)) * size


def draw_pdf(pdf, x: float, y: float, text: str, bold: bool, size: float, colour: str,
             align: str = "left") -> None:
    """Draw one line on a reportlab canvas, baseline at `y`, from `x` (or centred on it)."""
    line = runs(text, bold)
    if align == "center":
        x -= sum(run.advance for run in line) * size / 2
    pdf.setFillColor(colour)
    pdf.setStrokeColor(colour)
    for run in line:
        pdf.setFont(run.face.name, size)
        if run.face.stroke:
            pdf.setLineWidth(run.face.stroke * size)
            pdf.drawString(x, y, run.glyphs, mode=2)
        else:
            pdf.drawString(x, y, run.glyphs)
        x += run.advance * size


def draw_png(draw, x: float, y: float, text: str, bold: bool, size: float, colour: str,
             align: str = "left") -> None:
    """Draw one line with Pillow (pixels, baseline at `y`), in the runs the PDF has."""
    line = runs(text, bold)
    if align == "center":
        x -= sum(run.advance for run in line) * size / 2
    for run in line:
        draw.text((x, y), run.text, fill=colour, anchor="ls",
                  font=_pil_font(run.face, round(size * 4) / 4),
                  direction="rtl" if run.rtl else "ltr")
        x += run.advance * size


def font_names() -> list[str]:
    """Every reportlab font name this module may draw with."""
    return [face.name for faces in FACES.values() for face in faces.values()]


# --- runs ---------------------------------------------------------------------------------------


def _strong(char: str) -> bool | None:
    """True for a right-to-left letter, False for a left-to-right one or a digit, else None."""
    kind = unicodedata.bidirectional(char)
    if kind in ("R", "AL"):
        return True
    if kind in ("L", "EN", "AN"):
        return False
    return None


def _directional_runs(text: str) -> list[tuple[str, bool]]:
    """`text` cut where the direction changes; a neutral takes the direction of the letters on
    both sides when they agree, else the direction of the line."""
    strong = [_strong(char) for char in text]
    known = [value for value in strong if value is not None]
    line = known[0] if known else False
    resolved = []
    for index, value in enumerate(strong):
        if value is None:
            before = next((v for v in reversed(strong[:index]) if v is not None), line)
            after = next((v for v in strong[index + 1:] if v is not None), line)
            value = before if before == after else line
        resolved.append(value)
    pieces: list[tuple[str, bool]] = []
    for char, rtl in zip(text, resolved, strict=True):
        if pieces and pieces[-1][1] == rtl:
            pieces[-1] = (pieces[-1][0] + char, rtl)
        else:
            pieces.append((char, rtl))
    return pieces


def _cjk_variant(text: str) -> str:
    """Which CJK font suits the text: Han characters look different in each language."""
    if any("\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f"
           for c in text):
        return "korean"
    if any("\u3040" <= c <= "\u30ff" or "\u31f0" <= c <= "\u31ff" for c in text):
        return "japanese"
    return "chinese"


def _face_runs(text: str, faces: dict[str, Face], cjk: str) -> list[tuple[Face, str]]:
    """`text` cut where the font changes. Spaces, punctuation and combining marks stay in the
    font of the letter before them, so that a mark is shaped with its letter."""
    order = [faces["base"], faces["devanagari"], faces[cjk]]
    pieces: list[tuple[Face, str]] = []
    for char in text:
        follows = pieces and (unicodedata.category(char)[0] in "MZP" or char in "\u200c\u200d")
        if follows and _has(pieces[-1][0], char):
            face = pieces[-1][0]
        else:
            face = next((f for f in order if _has(f, char)), faces["base"])
        if pieces and pieces[-1][0] == face:
            pieces[-1] = (face, pieces[-1][1] + char)
        else:
            pieces.append((face, char))
    return pieces


def _shaped(face: Face, text: str) -> tuple[str, float]:
    """The glyphs reportlab draws for `text` in `face`, and their advance in em."""
    register(face)
    word = [pdfmetrics.stringWidth(text, face.name, 1000), (ABag(fontName=face.name,
                                                               fontSize=1000), text)]
    glyphs = shapeFragWord(word, _FEATURES)[1][1]
    if isinstance(glyphs, ShapedStr):
        return glyphs, sum(data.x_advance for data in glyphs.__shapeData__) / 1000
    return text, pdfmetrics.stringWidth(text, face.name, 1000) / 1000


# --- fonts --------------------------------------------------------------------------------------


@cache
def register(face: Face) -> None:
    """Load a font into reportlab on first use (a CJK font only when a CJK name is printed)."""
    pdfmetrics.registerFont(TTFont(face.name, str(face.path)))


@cache
def _characters(face: Face) -> frozenset[int]:
    register(face)
    return frozenset(pdfmetrics.getFont(face.name).face.charToGlyph)


def _has(face: Face, char: str) -> bool:
    return ord(char) in _characters(face)


@lru_cache(maxsize=64)
def _pil_font(face: Face, size: float) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(str(face.path), size, layout_engine=ImageFont.Layout.RAQM)
    if face.weight is not None:
        font.set_variation_by_axes([face.weight] + ([100] if "wdth" in face.path.name else []))
    return font
