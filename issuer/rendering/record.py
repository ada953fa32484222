"""The learner record's printable summary: one A4 row per valid badge, with a QR to its page.

Drawn by the cards' renderer (`cards.pdf_canvas`, `cards.Text`, `cards.QRCode`): one QR code
drawing and one embedded font for every PDF of the project. The words arrive translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .cards import FONT_NAMES, QRCode, Text, pdf_canvas, text_width
from .images import ellipsize

_MARGIN = 18 * mm
_ROW = 38 * mm
_QR = 30 * mm
_SKILL_ROW = 18 * mm
_INK, _MUTED = "#1A1A1A", "#4D4D4D"


@dataclass(frozen=True)
class RecordRow:
    """One badge of the summary; `skill` prints the name as a skill ("Skill: …")."""

    name: str
    issuer: str
    issued_on: date
    url: str
    skill: bool = False


@dataclass(frozen=True)
class SkillLine:
    """A skill the learner's badges count toward: its name, the parts done and still to do."""

    name: str
    done: int
    total: int
    missing: tuple[str, ...] = ()


def record_pdf(learner_name: str, organisation_name: str, rows: list[RecordRow], words: dict,
               exported_on: date, skills: list[SkillLine] = ()) -> bytes:
    """A plain A4 summary: a header, the rows, then the skills under way (as many pages as
    needed), page numbers."""
    pdf, out = pdf_canvas(A4, words["of"] % {"name": learner_name})
    blocks = [(_ROW, row) for row in rows] + [(_SKILL_ROW, skill) for skill in skills]
    pages = _paged(blocks, A4[1] - 2 * _MARGIN - 40 * mm)
    for number, page in enumerate(pages, start=1):
        _header(pdf, learner_name, organisation_name, words, exported_on)
        top = A4[1] - _MARGIN - 34 * mm
        for height, block in page:
            if isinstance(block, RecordRow):
                _row(pdf, block, words, top)
            else:
                _skill(pdf, block, words, top)
            top -= height
        if not rows:
            _text(pdf, _MARGIN, top - 10 * mm, words["none"], 11)
        _footer(pdf, words, number, len(pages))
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _paged(blocks: list[tuple[float, object]], room: float) -> list[list[tuple[float, object]]]:
    pages, page, used = [], [], 0.0
    for height, block in blocks:
        if page and used + height > room:
            pages.append(page)
            page, used = [], 0.0
        page.append((height, block))
        used += height
    return [*pages, page] if page or not pages else pages


def _skill(pdf: Canvas, skill: SkillLine, words: dict, top: float) -> None:
    width = A4[0] - 2 * _MARGIN
    heading = words["progress"] % {"name": skill.name, "done": skill.done, "total": skill.total}
    _text(pdf, _MARGIN, top - 7 * mm, _fit(heading, width, 12, True), 12, bold=True)
    if skill.missing:
        still = words["still"] % {"parts": ", ".join(skill.missing)}
        _text(pdf, _MARGIN, top - 14 * mm, _fit(still, width, 10), 10, _MUTED)


def _header(pdf: Canvas, learner_name: str, organisation_name: str, words: dict,
            exported_on: date) -> None:
    top = A4[1] - _MARGIN
    _text(pdf, _MARGIN, top - 8 * mm, words["record"], 18, bold=True)
    _text(pdf, _MARGIN, top - 16 * mm, learner_name, 14)
    _text(pdf, _MARGIN, top - 23 * mm,
          words["exported"] % {"organisation": organisation_name,
                               "date": exported_on.isoformat()}, 9, _MUTED)
    pdf.setStrokeColor(_MUTED)
    pdf.setLineWidth(0.5)
    pdf.line(_MARGIN, top - 27 * mm, A4[0] - _MARGIN, top - 27 * mm)


def _row(pdf: Canvas, row: RecordRow, words: dict, top: float) -> None:
    QRCode(_MARGIN, top - _QR, _QR, row.url).draw_pdf(pdf)
    x = _MARGIN + _QR + 6 * mm
    width = A4[0] - _MARGIN - x
    name = words["skill"] % {"name": row.name} if row.skill else row.name
    _text(pdf, x, top - 7 * mm, _fit(name, width, 12, True), 12, bold=True)
    _text(pdf, x, top - 14 * mm, _fit(words["issuer"] % {"issuer": row.issuer}, width, 10), 10)
    _text(pdf, x, top - 20 * mm, words["date"] % {"date": row.issued_on.isoformat()}, 10)
    _text(pdf, x, top - 26 * mm, row.url.split("://", 1)[-1], 10, _MUTED)


def _footer(pdf: Canvas, words: dict, number: int, total: int) -> None:
    _text(pdf, _MARGIN, _MARGIN - 6 * mm, words["scan"], 9, _MUTED)
    page = words["page"] % {"number": number, "total": total}
    pdf.setFont(FONT_NAMES[False], 9)
    pdf.drawRightString(A4[0] - _MARGIN, _MARGIN - 6 * mm, page)


def _text(pdf: Canvas, x: float, y: float, text: str, size: float, colour: str = _INK,
          bold: bool = False) -> None:
    Text(x, y, text, size, bold, colour).draw_pdf(pdf)


def _fit(text: str, width: float, size: float, bold: bool = False) -> str:
    """`text` shortened with an ellipsis until it fits `width` points."""
    return ellipsize(text, width, lambda s: text_width(s, bold, size))
