"""The one-page A4 summary of the pilot's figures (per partner, or the whole project).

Drawn by the cards' renderer (`cards.pdf_canvas`, `cards.Text`): one embedded font for every
PDF of the project. Sections of horizontal bars, the same figures as the page's charts
(`charts.Bar`), each bar labelled with its number so the page reads in black and white.
The words and numbers arrive translated and formatted; a section too long for the page is
cut at its last whole bar and says how many were left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from .cards import Text, pdf_canvas, text_width
from .charts import BAR, TARGET, Bar
from .images import ellipsize

_MARGIN = 15 * mm
_LINE = 5.2 * mm
_LABEL = 62 * mm
_INK, _MUTED = "#1A1A1A", "#4D4D4D"


@dataclass(frozen=True)
class Section:
    heading: str
    bars: Sequence[Bar]


def summary_pdf(title: str, subtitle: str, sections: Sequence[Section], note: str,
                number: Callable[[float], str], more: str) -> bytes:
    """One A4 page: the title, the selection it covers, each section's bars, a closing note.
    `more` is a `%(count)s` sentence said when bars had to be left out."""
    pdf, out = pdf_canvas(A4, title)
    width = A4[0] - 2 * _MARGIN
    top = A4[1] - _MARGIN
    Text(_MARGIN, top - 7 * mm, _fit(title, width, 16, True), 16, True).draw_pdf(pdf)
    Text(_MARGIN, top - 13 * mm, _fit(subtitle, width, 9), 9, False, _MUTED).draw_pdf(pdf)
    y = top - 22 * mm
    bottom = _MARGIN + 12 * mm
    room = (y - bottom) / _LINE - 2 * len(sections)
    needed = sum(len(section.bars) for section in sections)
    # Every bar when they fit; else each section gets its share of the lines.
    share = needed if needed <= room else max(int(room // max(len(sections), 1)), 2)
    for section in sections:
        Text(_MARGIN, y, _fit(section.heading, width, 11, True), 11, True).draw_pdf(pdf)
        y -= _LINE * 1.2
        shown = list(section.bars[:share])
        top_value = max([b.length for b in shown] + [b.target or 0 for b in shown] + [1])
        scale = (width - _LABEL - 30 * mm) / top_value
        for bar in shown:
            Text(_MARGIN, y, _fit(bar.label, _LABEL - 3 * mm, 9), 9).draw_pdf(pdf)
            if bar.length > 0:
                pdf.setFillColor(BAR)
                pdf.rect(_MARGIN + _LABEL, y - 0.8 * mm, bar.length * scale, _LINE * 0.6,
                         stroke=0, fill=1)
            text = number(bar.value)
            end = bar.length * scale
            if bar.target is not None:
                x = _MARGIN + _LABEL + bar.target * scale
                pdf.setStrokeColor(TARGET)
                pdf.setLineWidth(1.5)
                pdf.line(x, y - 1.5 * mm, x, y + 3 * mm)
                text, end = f"{text} / {number(bar.target)}", max(end, bar.target * scale)
            Text(_MARGIN + _LABEL + end + 2 * mm, y, text, 9).draw_pdf(pdf)
            y -= _LINE
        if len(section.bars) > len(shown):
            Text(_MARGIN, y, more % {"count": len(section.bars) - len(shown)}, 8, False,
                 _MUTED).draw_pdf(pdf)
            y -= _LINE
        y -= _LINE * 0.6
    Text(_MARGIN, _MARGIN, _fit(note, width, 8), 8, False, _MUTED).draw_pdf(pdf)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _fit(text: str, width: float, size: float, bold: bool = False) -> str:
    return ellipsize(text, width, lambda s: text_width(s, bold, size))
