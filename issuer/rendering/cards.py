"""Printable QR cards: ID-1 cards (PDF and PNG), A4 sheets with crop marks (fronts; fronts and
backs for a duplex printer; or fronts beside backs to fold), certificates.

A learner without a smartphone or an e-mail address leaves the workshop with a card whose QR code
opens the badge's verification page (`/v/<short-id>`). Each page is first laid out as a list of
drawing operations in PDF points (origin bottom-left); two small renderers turn that list into a
PDF page (reportlab, vector QR, embedded DejaVu Sans) or a PNG (Pillow, same font, same layout).

The words printed are English N_ texts (`card_words`); the services and the CLI translate them
with the catalogue of the card's language and hand them over in `CardData.words`.

This module is the one PDF renderer of the project: the learner record's summary (`record`)
draws with its operations (`Text`, `QRCode`), its canvas (`pdf_canvas`) and its fonts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, UnidentifiedImageError
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from issuer.core.errors import CardError
from issuer.core.messages import N_, Gettext, Message

from . import scripts
from .images import badge_png, ellipsize, wrap_text

CARD_WIDTH = 85.60 * mm  # ISO/IEC 7810 ID-1
CARD_HEIGHT = 53.98 * mm
QUIET_ZONE_MODULES = 4
MIN_MODULE_SIZE = 0.4 * mm  # smaller modules blur together in a 300-dpi print

_INK = "#1A1A1A"
_ACCENT = "#1F3A5F"
_MUTED = "#4D4D4D"
FONT_NAMES = {bold: scripts.FACES[bold]["base"].name for bold in (False, True)}

# The words of a card, in English: `card_words` translates them (pybabel extracts N_). A label
# followed by a value carries its colon, so that a language can write its own (French " :").
_WORDS: dict[str, Message | tuple[Message, ...]] = {
    "verify": N_("Verify this badge:"),
    "gestures": N_("Validated skills"),
    "issued_by": N_("Issued by: %(issuer)s"),
    "date": N_("Date: %(date)s"),
    "claim_title": N_("Keep your badge on your phone"),
    "claim_steps": (
        N_("Scan this code with your phone's camera."),
        N_("Open the link. The first time, choose a secret code and keep it to yourself."),
        N_("Your badge is saved in your wallet app or as a file."),
    ),
    "keep_note": N_("This side is private. To show your badge to an employer, show the front "
                    "of the card."),
    "certificate_title": N_("Certificate"),
    "certificate_intro": N_("This is to certify that"),
    "certificate_completed": N_("has successfully completed the micro-training"),
    "scan_hint": N_("Scan the code to check this certificate online."),
    "cards_title": N_("Badge cards"),
}

# How a date is printed, per language (data, not words); any other language prints it as English.
_DATE_FORMATS = {"en": "%d/%m/%Y", "nl": "%d-%m-%Y", "pl": "%d.%m.%Y"}


def card_words(gettext: Gettext | None = None) -> dict:
    """The card's words translated with `gettext` (None: English), for `CardData.words`.

    `issued_by` and `date` keep their `%(issuer)s` and `%(date)s` placeholders; `claim_steps` is
    a tuple of three steps.
    """
    def translated(text: Message) -> str:
        return gettext(text.template) if gettext else str(text)

    return {key: tuple(translated(step) for step in text) if isinstance(text, tuple)
            else translated(text) for key, text in _WORDS.items()}


@dataclass(frozen=True, kw_only=True)
class CardData:
    """What one printed card shows, for one credential."""

    learner_name: str
    achievement_name: str
    issuer_name: str
    issuer_logo: bytes | None = None  # PNG
    badge_image: bytes | None = None  # PNG; a generated image is used when absent
    issued_on: date
    gestures: list[str] = field(default_factory=list)  # short forms of the validated gestures
    verify_url: str  # the short `/v/<short-id>` URL; the only thing the front QR encodes
    claim_url: str | None = None  # printed as a second QR on the back
    language: str = "en"  # the credential's language: picks the date format
    words: dict | None = None  # from card_words() in the card's language; None: English


def card_from_credential(
    credential: dict,
    verify_url: str,
    claim_url: str | None = None,
    issuer_logo: bytes | None = None,
    badge_image: bytes | None = None,
) -> CardData:
    """The card of a signed credential, from what the credential itself says.

    Only gestures whose achieved level is the required level are printed: with an "at least N"
    rule a badge can be valid while one gesture is not yet acquired.
    """
    subject = credential.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    issuer = credential.get("issuer")
    names = [
        i.get("identityHash")
        for i in subject.get("identifier", [])
        if i.get("identityType") == "name" and not i.get("hashed")
    ]
    required = {rd.get("id"): rd for rd in achievement.get("resultDescription", [])}
    gestures = [
        required[r["resultDescription"]].get("name", "")
        for r in subject.get("result", [])
        if r.get("resultDescription") in required
        and r.get("achievedLevel") == required[r["resultDescription"]].get("requiredLevel")
    ]
    valid_from = str(credential.get("validFrom") or credential.get("issuanceDate") or "")
    try:
        issued_on = date.fromisoformat(valid_from[:10])
    except ValueError:
        raise CardError(N_("the credential has no readable validFrom date")) from None
    return CardData(
        learner_name=names[0] if names else "",
        achievement_name=achievement.get("name") or credential.get("name") or "",
        issuer_name=issuer.get("name", "") if isinstance(issuer, dict) else "",
        issuer_logo=issuer_logo,
        badge_image=badge_image,
        issued_on=issued_on,
        gestures=gestures,
        verify_url=verify_url,
        claim_url=claim_url,
        language=achievement.get("inLanguage") or "en",
    )


def _words(card: CardData) -> dict:
    return card.words or card_words()


def _issued_on(card: CardData, words: dict) -> str:
    """The date line ("Date: 12/03/2025"), in the date format of the card's language."""
    language = card.language.split("-")[0].lower()
    shown = card.issued_on.strftime(_DATE_FORMATS.get(language, _DATE_FORMATS["en"]))
    return words["date"] % {"date": shown}


def card_pdf(cards: list[CardData], back: bool = False) -> bytes:
    """One ID-1 page per card (the front, then its back when `back` is true), as PDF bytes."""
    pdf, out = _canvas((CARD_WIDTH, CARD_HEIGHT), cards)
    for card in cards:
        _draw_pdf(pdf, _front_ops(card))
        pdf.showPage()
        if back:
            _draw_pdf(pdf, _back_ops(card))
            pdf.showPage()
    pdf.save()
    return out.getvalue()


SHEET_BACKS = ("none", "duplex", "folded")


def sheet_pdf(cards: list[CardData], backs: str = "none") -> bytes:
    """A4 sheets of cards with crop marks, as many pages as needed.

    `backs`: "none", ten fronts a page (2 × 5); "duplex", each page of fronts followed by the
    page of their backs, columns mirrored so that they line up when a duplex printer flips the
    sheet on its long edge; "folded", for a single-sided printer: five cards a page, each front
    beside its back, to cut out and fold along the middle line.
    """
    if backs not in SHEET_BACKS:
        raise CardError(N_("Card backs %(backs)s are not available; choose none, duplex or "
                           "folded.", backs=repr(backs)))
    pdf, out = _canvas(A4, cards)
    per_page = 5 if backs == "folded" else 10
    for start in range(0, len(cards), per_page):
        page = cards[start:start + per_page]
        if backs == "folded":
            _sheet_page(pdf, [op for card in page for op in (_front_ops(card), _back_ops(card))],
                        fold=True)
            continue
        _sheet_page(pdf, [_front_ops(card) for card in page])
        if backs == "duplex":
            _sheet_page(pdf, _mirrored([_back_ops(card) for card in page]))
    pdf.save()
    return out.getvalue()


def _mirrored(faces: list) -> list:
    """The backs in the slots behind their fronts: a long-edge flip swaps the two columns."""
    faces = faces + [None] * (len(faces) % 2)
    return [face for row in range(0, len(faces), 2) for face in (faces[row + 1], faces[row])]


def _sheet_page(pdf: Canvas, faces: list, fold: bool = False) -> None:
    """One A4 page: `faces` (lists of operations, or None for an empty slot) in the ten slots,
    top row first, left to right; with `fold`, a dashed fold line between the columns."""
    _draw_crop_marks(pdf)
    for ops, (x, y) in zip(faces, _sheet_origins(), strict=False):
        if ops is None:
            continue
        pdf.saveState()
        pdf.translate(x, y)
        _draw_pdf(pdf, ops)
        pdf.restoreState()
    if fold:
        _draw_fold_line(pdf)
    pdf.showPage()


def certificate_pdf(card: CardData, size: str = "A4") -> bytes:
    """A one-page portrait certificate (`size` "A4" or "A5") for the same credential."""
    pages = {"A4": A4, "A5": A5}
    if size not in pages:
        raise CardError(N_("Certificate size %(size)s is not available; choose A4 or A5.",
                           size=repr(size)))
    pdf, out = _canvas(pages[size], [card])
    _draw_pdf(pdf, _certificate_ops(card, *pages[size]))
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def card_png(card: CardData, dpi: int = 300) -> bytes:
    """The card front as a PNG at `dpi` (1011 × 638 pixels at 300 dpi)."""
    scale = dpi / 72.0
    width, height = round(CARD_WIDTH * scale), round(CARD_HEIGHT * scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for op in _front_ops(card):
        op.draw_png(image, draw, scale, CARD_HEIGHT)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR modules for `url` at error correction M, quiet zone included (True is dark)."""
    return [list(row) for row in _matrix(url)]


@lru_cache(maxsize=64)
def _matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    # Cached: a card's QR is measured for layout, then drawn.
    if not url:
        raise CardError(N_("A card needs its verification URL (the short /v/<id> address)."))
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE_MODULES, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


# --- drawing operations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float
    bold: bool = False
    colour: str = _INK
    align: str = "left"  # or "center"

    def draw_pdf(self, pdf: Canvas) -> None:
        scripts.draw_pdf(pdf, self.x, self.y, self.text, self.bold, self.size, self.colour,
                         self.align)

    def draw_png(self, image, draw: ImageDraw.ImageDraw, scale: float, height: float) -> None:
        scripts.draw_png(draw, self.x * scale, (height - self.y) * scale, self.text, self.bold,
                         self.size * scale, self.colour, self.align)


@dataclass(frozen=True)
class _Picture:
    x: float
    y: float
    width: float
    height: float
    png: bytes

    def draw_pdf(self, pdf: Canvas) -> None:
        pdf.drawImage(_image_reader(self.png), self.x, self.y, self.width, self.height,
                      preserveAspectRatio=True, anchor="c", mask="auto")

    def draw_png(self, image, draw, scale: float, height: float) -> None:
        picture = _open_png(self.png).convert("RGBA")
        box_w, box_h = self.width * scale, self.height * scale
        ratio = min(box_w / picture.width, box_h / picture.height)
        size = (max(1, round(picture.width * ratio)), max(1, round(picture.height * ratio)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
        left = round(self.x * scale + (box_w - size[0]) / 2)
        top = round((height - self.y - self.height) * scale + (box_h - size[1]) / 2)
        image.paste(picture, (left, top), picture)


@dataclass(frozen=True)
class QRCode:
    x: float
    y: float
    size: float  # side of the whole symbol, quiet zone included
    url: str

    def draw_pdf(self, pdf: Canvas) -> None:
        matrix = _matrix(self.url)
        module = self.size / len(matrix)
        pdf.setFillColor("#FFFFFF")
        pdf.rect(self.x, self.y, self.size, self.size, stroke=0, fill=1)
        pdf.setFillColor("#000000")
        path = pdf.beginPath()
        # Horizontal runs of dark modules as single rectangles: fewer operators, no seams.
        for row_index, row in enumerate(matrix):
            top = self.y + self.size - row_index * module
            for start, length in _dark_runs(row):
                path.rect(self.x + start * module, top - module, length * module, module)
        pdf.drawPath(path, stroke=0, fill=1)

    def draw_png(self, image, draw: ImageDraw.ImageDraw, scale: float, height: float) -> None:
        matrix = _matrix(self.url)
        left, top = self.x * scale, (height - self.y - self.size) * scale
        module = self.size * scale / len(matrix)
        draw.rectangle((round(left), round(top), round(left + self.size * scale) - 1,
                        round(top + self.size * scale) - 1), fill="white")
        for row_index, row in enumerate(matrix):
            y0, y1 = round(top + row_index * module), round(top + (row_index + 1) * module)
            for start, length in _dark_runs(row):
                x0, x1 = round(left + start * module), round(left + (start + length) * module)
                draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill="black")


@dataclass(frozen=True)
class _Frame:
    x: float
    y: float
    width: float
    height: float
    line_width: float
    colour: str = _ACCENT

    def draw_pdf(self, pdf: Canvas) -> None:
        pdf.setStrokeColor(self.colour)
        pdf.setLineWidth(self.line_width)
        pdf.rect(self.x, self.y, self.width, self.height, stroke=1, fill=0)

    def draw_png(self, image, draw: ImageDraw.ImageDraw, scale: float, height: float) -> None:
        box = (self.x * scale, (height - self.y - self.height) * scale,
               (self.x + self.width) * scale, (height - self.y) * scale)
        draw.rectangle(box, outline=self.colour, width=max(1, round(self.line_width * scale)))


def _dark_runs(row: list[bool]):
    """(start, length) of each run of dark modules in a QR row."""
    start = None
    for index, dark in enumerate([*row, False]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            yield start, index - start
            start = None


# --- layouts ------------------------------------------------------------------------------------

_MARGIN = 3 * mm
_QR_SIZE = 24 * mm
_BADGE_SIZE = 16 * mm


def _front_ops(card: CardData) -> list:
    """The card front: badge, learner, micro-training, issuer, date, gestures, QR and its URL."""
    words = _words(card)
    qr_size = _checked_qr_size(card.verify_url, _QR_SIZE)
    ops: list = [QRCode(CARD_WIDTH - _MARGIN - qr_size + 1 * mm, _MARGIN - 1 * mm, qr_size,
                         card.verify_url)]
    badge_top = CARD_HEIGHT - _MARGIN
    ops.append(_Picture(_MARGIN, badge_top - _BADGE_SIZE, _BADGE_SIZE, _BADGE_SIZE,
                        _badge_png(card)))
    column_x = _MARGIN + _BADGE_SIZE + 2.5 * mm
    column_w = CARD_WIDTH - _MARGIN - column_x
    y = badge_top
    y = _block(ops, card.learner_name, column_x, y, column_w, True, (11, 6), 2, _ACCENT)
    y = _block(ops, card.achievement_name, column_x, y - 0.6 * mm, column_w, True, (8, 6), 2)
    y = _issuer_line(ops, card, words, column_x, y - 0.8 * mm, column_w)
    y = _block(ops, _issued_on(card, words), column_x, y - 0.4 * mm, column_w, False, (6.5, 6.5),
               1, _MUTED)
    left_w = CARD_WIDTH - _MARGIN - qr_size - 1 * mm - _MARGIN
    url_top = _verify_block(ops, card, words, left_w)
    _gestures_block(ops, card, words, min(y, badge_top - _BADGE_SIZE) - 1.6 * mm, url_top, left_w)
    return ops


def _issuer_line(ops: list, card: CardData, words: dict, x: float, top: float, width: float):
    """'Issued by' with the organisation's logo (if any) before its name; returns the new top."""
    text = words["issued_by"] % {"issuer": card.issuer_name}
    if not card.issuer_logo:
        return _block(ops, text, x, top, width, False, (6.5, 5.5), 2, _MUTED)
    logo_h = 4.2 * mm
    ops.append(_Picture(x, top - logo_h, 9 * mm, logo_h,
                        _checked_png(card.issuer_logo, _BAD_LOGO)))
    size, lines = _fit(text, False, width - 10 * mm, (6.5, 5.5), 2)
    text_h = size * 1.04 + (len(lines) - 1) * size * 1.18
    # Centre the text on the logo when it is shorter, else hang it from the same top.
    text_top = top - max(0.0, (logo_h - text_h) / 2)
    bottom = _block(ops, text, x + 10 * mm, text_top, width - 10 * mm, False, (size, size), 2,
                    _MUTED)
    return min(bottom, top - logo_h)


def _verify_block(ops: list, card: CardData, words: dict, width: float) -> float:
    """'Verify this badge' and the printed URL, bottom-left beside the QR; returns its top."""
    shown = _display_url(card.verify_url)
    size, lines = _fit(shown, True, width, (7.5, 5), 2)
    y = _MARGIN + 0.5 * mm + (len(lines) - 1) * size * 1.15
    for line in lines:
        ops.append(Text(_MARGIN, y, line, size, True, _INK))
        y -= size * 1.15
    label_y = _MARGIN + 0.5 * mm + len(lines) * size * 1.15 + 0.4 * mm
    ops.append(Text(_MARGIN, label_y, words["verify"], 6, False, _MUTED))
    return label_y + 6


def _gestures_block(ops: list, card: CardData, words: dict, top: float, bottom: float,
                    width: float) -> None:
    """The validated gestures as short bullet lines, as many as fit between top and bottom."""
    if not card.gestures:
        return
    size, step = 6.3, 6.3 * 1.25
    room = int((top - bottom - 6 * 1.3) // step)
    if room < 1:
        return
    ops.append(Text(_MARGIN, top - 6 * 0.8, words["gestures"], 6, True, _ACCENT))
    shown = list(card.gestures[:room])
    if len(card.gestures) > room:
        shown[-1] = f"+ {len(card.gestures) - room + 1}…"
    y = top - 6 * 0.8 - step
    for gesture in shown:
        text = ellipsize(f"• {gesture}", width, lambda s: text_width(s, False, size))
        ops.append(Text(_MARGIN, y, text, size))
        y -= step


def _back_ops(card: CardData) -> list:
    """The card back: how to claim the badge onto a phone (claim QR), and why to keep the card."""
    words = _words(card)
    ops: list = []
    width = CARD_WIDTH - 2 * _MARGIN
    if card.claim_url:
        qr_size = _checked_qr_size(card.claim_url, _QR_SIZE)
        ops.append(QRCode(CARD_WIDTH - _MARGIN - qr_size + 1 * mm, CARD_HEIGHT - _MARGIN
                           - qr_size + 1 * mm, qr_size, card.claim_url))
        width -= qr_size + 1 * mm
    y = _block(ops, words["claim_title"], _MARGIN, CARD_HEIGHT - _MARGIN, width, True, (9, 7), 2,
               _ACCENT)
    if card.claim_url:
        indent = text_width("3. ", False, 7)
        for number, step in enumerate(words["claim_steps"], start=1):
            y -= 0.8 * mm
            ops.append(Text(_MARGIN, y - 7 * 0.76, f"{number}.", 7))
            y = _block(ops, step, _MARGIN + indent, y, width - indent, False, (7, 7), 3)
        _block(ops, _display_url(card.claim_url), _MARGIN, y - 1.5 * mm, width, True, (6.5, 5),
               2)
    full = CARD_WIDTH - 2 * _MARGIN
    note_size, note_lines = _fit(words["keep_note"], False, full, (7, 6), 3)
    baseline = _MARGIN + (len(note_lines) - 1) * note_size * 1.2 + 1 * mm
    for line in note_lines:
        ops.append(Text(_MARGIN, baseline, line, note_size, colour=_MUTED))
        baseline -= note_size * 1.2
    return ops


def _certificate_ops(card: CardData, page_w: float, page_h: float) -> list:
    """A portrait certificate, laid out for A4 and scaled for A5."""
    words = _words(card)
    f = page_w / A4[0]
    centre, text_w = page_w / 2, page_w - 50 * mm * f
    ops: list = [_Frame(10 * mm * f, 10 * mm * f, page_w - 20 * mm * f, page_h - 20 * mm * f,
                        2 * f), _Frame(12.5 * mm * f, 12.5 * mm * f, page_w - 25 * mm * f,
                                       page_h - 25 * mm * f, 0.5 * f)]
    y = page_h - 22 * mm * f
    if card.issuer_logo:
        logo_h = 16 * mm * f
        ops.append(_Picture(centre - 30 * mm * f, y - logo_h, 60 * mm * f, logo_h,
                            _checked_png(card.issuer_logo, _BAD_LOGO)))
        y -= logo_h + 3 * mm * f
    y = _block(ops, card.issuer_name, centre, y, text_w, False, (12 * f, 9 * f), 2, _MUTED,
               "center")
    y = _block(ops, words["certificate_title"], centre, y - 8 * mm * f, text_w, True,
               (30 * f, 20 * f), 1, _ACCENT, "center")
    badge = 42 * mm * f
    ops.append(_Picture(centre - badge / 2, y - 6 * mm * f - badge, badge, badge,
                        _badge_png(card)))
    y -= 6 * mm * f + badge
    y = _block(ops, words["certificate_intro"], centre, y - 8 * mm * f, text_w, False,
               (13 * f, 10 * f), 2, _INK, "center")
    y = _block(ops, card.learner_name, centre, y - 4 * mm * f, text_w, True, (26 * f, 14 * f), 2,
               _ACCENT, "center")
    y = _block(ops, words["certificate_completed"], centre, y - 4 * mm * f, text_w, False,
               (13 * f, 10 * f), 2, _INK, "center")
    y = _block(ops, card.achievement_name, centre, y - 4 * mm * f, text_w, True, (18 * f, 11 * f),
               3, _INK, "center")
    if card.gestures:
        y = _block(ops, words["gestures"], centre, y - 7 * mm * f, text_w, True, (11 * f, 9 * f),
                   1, _ACCENT, "center")
        for gesture in card.gestures:
            y = _block(ops, gesture, centre, y - 1.5 * mm * f, text_w, False, (11 * f, 8 * f), 2,
                       _INK, "center")
    _certificate_footer(ops, card, words, page_w, f)
    return ops


def _certificate_footer(ops: list, card: CardData, words: dict, page_w: float, f: float) -> None:
    """Issuer and date bottom-left; the verification QR with its URL bottom-right."""
    qr_size = _checked_qr_size(card.verify_url, 32 * mm * f)
    qr_x, qr_y = page_w - 30 * mm * f - qr_size, 26 * mm * f
    ops.append(QRCode(qr_x, qr_y, qr_size, card.verify_url))
    url = _display_url(card.verify_url)
    size, lines = _fit(url, True, qr_size + 20 * mm * f, (10 * f, 7 * f), 2)
    y = qr_y - size * 0.4
    for line in lines:
        ops.append(Text(qr_x + qr_size / 2, y, line, size, True, _INK, "center"))
        y -= size * 1.15
    left_x, left_w = 24 * mm * f, page_w - 64 * mm * f - qr_size
    issued = _issued_on(card, words)
    issuer = words["issued_by"] % {"issuer": card.issuer_name}
    y = _block(ops, issuer, left_x, qr_y + 22 * mm * f, left_w, False, (11 * f, 8 * f), 2)
    y = _block(ops, issued, left_x, y - 2 * mm * f, left_w, False, (11 * f, 8 * f), 1)
    _block(ops, words["scan_hint"], left_x, y - 4 * mm * f, left_w, False, (9 * f, 7 * f), 2,
           _MUTED)


def _sheet_origins() -> list[tuple[float, float]]:
    """Bottom-left corners of the ten card slots on an A4 sheet, top row first, left to right."""
    x0 = (A4[0] - 2 * CARD_WIDTH) / 2
    y0 = (A4[1] - 5 * CARD_HEIGHT) / 2
    return [(x0 + col * CARD_WIDTH, y0 + (4 - row) * CARD_HEIGHT)
            for row in range(5) for col in range(2)]


def _draw_fold_line(pdf: Canvas) -> None:
    """A dashed line between the front and back columns: fold here, after cutting the rows."""
    x = A4[0] / 2
    y0, y1 = (A4[1] - 5 * CARD_HEIGHT) / 2, (A4[1] + 5 * CARD_HEIGHT) / 2
    pdf.saveState()
    pdf.setStrokeColor(_MUTED)
    pdf.setLineWidth(0.4)
    pdf.setDash(3, 2)
    pdf.line(x, y0, x, y1)
    pdf.restoreState()


def _draw_crop_marks(pdf: Canvas) -> None:
    """Short hairlines in the margins, in line with every cut, clear of the cards themselves."""
    x0, y0 = (A4[0] - 2 * CARD_WIDTH) / 2, (A4[1] - 5 * CARD_HEIGHT) / 2
    x1, y1 = x0 + 2 * CARD_WIDTH, y0 + 5 * CARD_HEIGHT
    gap, length = 2 * mm, 5 * mm
    pdf.setStrokeColor("#000000")
    pdf.setLineWidth(0.25)
    for col in range(3):
        x = x0 + col * CARD_WIDTH
        pdf.line(x, y1 + gap, x, y1 + gap + length)
        pdf.line(x, y0 - gap, x, y0 - gap - length)
    for row in range(6):
        y = y0 + row * CARD_HEIGHT
        pdf.line(x0 - gap, y, x0 - gap - length, y)
        pdf.line(x1 + gap, y, x1 + gap + length, y)


# --- text fitting -------------------------------------------------------------------------------


def _block(ops: list, text: str, x: float, top: float, width: float, bold: bool,
           sizes: tuple[float, float], max_lines: int, colour: str = _INK,
           align: str = "left") -> float:
    """Add `text` fitted into `width` below `top`; returns the y where the next block may start."""
    size, lines = _fit(text, bold, width, sizes, max_lines)
    leading = size * 1.18
    baseline = top - size * 0.76  # cap height of DejaVu Sans ≈ 0.73 em
    for line in lines:
        ops.append(Text(x, baseline, line, size, bold, colour, align))
        baseline -= leading
    return top - size * 0.76 - (len(lines) - 1) * leading - size * 0.28


def _fit(text: str, bold: bool, width: float, sizes: tuple[float, float],
         max_lines: int) -> tuple[float, list[str]]:
    """Largest size (from sizes[0] down to sizes[1]) at which `text` wraps into `max_lines`.

    Past the smallest size, the last line is cut with an ellipsis: a long name never overflows.
    """
    text = " ".join(text.split())
    largest, smallest = sizes
    size = largest
    while True:
        lines = wrap_text(text, width, lambda s, z=size: text_width(s, bold, z))
        if len(lines) <= max_lines and all(text_width(line, bold, size) <= width for line in lines):
            return size, lines
        if size <= smallest:
            break
        size = max(smallest, size - 0.25)
    kept = lines[:max_lines]
    if len(lines) > max_lines:
        kept[-1] = " ".join([kept[-1], *lines[max_lines:]])
    return size, [ellipsize(line, width, lambda s: text_width(s, bold, size)) for line in kept]


def text_width(text: str, bold: bool, size: float) -> float:
    """The printed width of one line, shaped, in the fonts its scripts need."""
    return scripts.width(text, bold, size)


def _display_url(url: str) -> str:
    """The URL as a person types it: without the scheme, which browsers add themselves."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return url[len(scheme):]
    return url


# --- resources ----------------------------------------------------------------------------------


def register_fonts() -> None:
    """Register the packaged DejaVu Sans with reportlab; embedded as a subset in every PDF.
    The fallback fonts of other scripts are registered when a text needs them (`scripts`)."""
    for bold in (False, True):
        scripts.register(scripts.FACES[bold]["base"])


def _canvas(pagesize: tuple[float, float], cards: list[CardData]) -> tuple[Canvas, io.BytesIO]:
    if not cards:
        raise CardError(N_("There is no card to print: choose at least one credential."))
    return pdf_canvas(pagesize, cards[0].achievement_name if len(cards) == 1
                      else _words(cards[0])["cards_title"])


def pdf_canvas(pagesize: tuple[float, float], title: str) -> tuple[Canvas, io.BytesIO]:
    """A reportlab canvas with invariant output (no timestamp or random id in the file)."""
    register_fonts()
    out = io.BytesIO()
    # The initial font is ours too, so no unembedded Helvetica is declared on any page.
    pdf = Canvas(out, pagesize=pagesize, invariant=True, pageCompression=1,
                 initialFontName=FONT_NAMES[False], initialFontSize=8)
    pdf.setTitle(title)
    pdf.setCreator("SKY Badges")
    return pdf, out


def _draw_pdf(pdf: Canvas, ops: list) -> None:
    for op in ops:
        op.draw_pdf(pdf)


@lru_cache(maxsize=32)
def _image_reader(png: bytes) -> ImageReader:
    # One reader per distinct image: reportlab then writes a repeated badge or logo only once.
    return ImageReader(io.BytesIO(png))


def _open_png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


_BAD_LOGO = N_("The issuer logo is not a readable image; upload a PNG file.")
_BAD_BADGE_IMAGE = N_("The badge image is not a readable image; upload a PNG file.")


def _checked_png(data: bytes, refusal: Message) -> bytes:
    """`data` if Pillow can read it as an image; else a CardError naming the bad input."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise CardError(refusal) from exc
    return data


def _badge_png(card: CardData) -> bytes:
    if card.badge_image:
        return _checked_png(card.badge_image, _BAD_BADGE_IMAGE)
    return _generated_badge(card.achievement_name)


@lru_cache(maxsize=32)
def _generated_badge(title: str) -> bytes:
    return badge_png(title, "", size=256)


def _checked_qr_size(url: str, box: float) -> float:
    """The QR side that fits `box`, refusing module sizes too small to scan from print."""
    modules = len(_matrix(url))
    if box / modules < MIN_MODULE_SIZE:
        raise CardError(N_(
            "The verification URL is too long for a printable QR code (%(count)s characters); "
            "print the short /v/<id> address instead.", count=len(url)))
    return box
