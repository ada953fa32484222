"""A learner's record: every valid badge as one signed CLR 2.0 file, and a printable summary.

The record holds the person's valid badges (not revoked, not expired) from every SKY partner on
this service, matched by the same normalised e-mail as for cross-organisation skills; without an
e-mail, those of this learner record only. Each badge is embedded exactly as its issuer signed
it; the learner's organisation signs the whole. `association` links each part to the skills it
counts toward, including skills not complete yet, whose definitions are in `achievement`.
`partial` is true when badges of the person were left out (revoked or expired).
"""

from __future__ import annotations

import io
import json
import uuid as uuidlib
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core import builders, clr, proofs
from issuer.core.cards import qr_matrix
from issuer.core.clock import utc_seconds
from issuer.core.images import FONT_BOLD, FONT_REGULAR
from issuer.core.messages import N_
from issuer.languages import DEFAULT_LANGUAGE, catalogue, in_language, normalise
from issuer.store.models import Credential, Learner

from . import Actor, NotFound, audit, require_organisation
from .keys import active_key, issuer_profile_builder, verification_method_id
from .learners import is_redacted
from .stacking import SKILL, skill_achievement, skills_with_part
from .urls import verify_url

# The words of the printed summary (N_: English, translated with the reader's catalogue).
_WORDS = {
    "record": N_("Learner record"),
    "of": N_("Learner record of %(name)s"),
    "issuer": N_("Issued by: %(issuer)s"),
    "date": N_("Date: %(date)s"),
    "skill": N_("Skill: %(name)s"),
    "exported": N_("Exported by %(organisation)s on %(date)s"),
    "scan": N_("Scan a code to check that badge online."),
    "page": N_("Page %(number)s of %(total)s"),
    "none": N_("No valid badge yet."),
}

# The name of the record is signed content of the CLR, in the learner's language: data of the
# credential, like the achievement names, so it stays out of the catalogues.
_RECORD_NAMES = {
    "en": "Learner record of {name}",
    "fr": "Parcours de {name}",
    "nl": "Leerlingdossier van {name}",
    "it": "Percorso di {name}",
    "es": "Expediente de {name}",
    "pl": "Rejestr osiągnięć: {name}",
}


def labels_for(language: str | None) -> dict[str, str]:
    """The summary's words in `language` (its catalogue; English for a language not ours)."""
    gettext = catalogue(normalise(language) or DEFAULT_LANGUAGE).gettext
    return {key: gettext(text.template) for key, text in _WORDS.items()}


def record_name(language: str | None, name: str) -> str:
    """The signed name of the record ("Parcours de Zoé Lefèvre"), English for other languages."""
    return in_language(_RECORD_NAMES, language).format(name=name)


# --- which badges ------------------------------------------------------------------------------


def record_credentials(db: Session, learner: Learner,
                       now: datetime | None = None) -> tuple[list[Credential], bool]:
    """The person's valid badges, oldest first, and whether any of their badges was left out."""
    now = utc_seconds(now)
    people = select(Learner.id).where(
        Learner.email == learner.email if learner.email else Learner.id == learner.id)
    every = list(db.scalars(select(Credential).where(Credential.learner_id.in_(people))
                            .order_by(Credential.issued_at, Credential.id)))
    valid = [c for c in every if _is_valid(c, now)]
    return valid, len(valid) < len(every)


def _is_valid(credential: Credential, now: datetime) -> bool:
    if credential.revoked_at is not None:
        return False
    if credential.valid_until is not None and credential.valid_until <= now:
        return False
    return not is_redacted(json.loads(credential.signed_json))


# --- the CLR -----------------------------------------------------------------------------------


def clr_document(db: Session, learner: Learner, actor: Actor = None,
                 now: datetime | None = None) -> dict:
    """The learner's record as a ClrCredential signed by the learner's organisation.

    `actor` None is the learner themselves (through their claim link) or the system; a user or
    token must belong to the learner's organisation. Raises ServiceError subclasses; a record
    with no valid badge cannot be exported (a CLR needs at least one credential).
    """
    require_organisation(actor, learner.organisation_id)
    now = utc_seconds(now)
    credentials, partial = record_credentials(db, learner, now)
    if not credentials:
        raise NotFound(
            N_("this learner holds no valid badge yet: there is no record to export"))
    signed_badges = [json.loads(c.signed_json) for c in credentials]
    achievements, associations = _stacks(db, learner, credentials, signed_badges)
    org = learner.organisation
    language = learner.language or org.default_language or "en"
    document = clr.clr_credential(
        id=f"urn:uuid:{uuidlib.uuid4()}",
        issuer=issuer_profile_builder(org),
        credentials=signed_badges,
        valid_from=now,
        name=record_name(language, learner.name),
        subject_id=learner.wallet_did or None,
        identifiers=builders.person_identifiers(learner.name, learner.email),
        achievements=achievements,
        associations=associations,
        partial=partial,
    )
    clr.check_clr(document)
    key_record, key = active_key(db, org)
    signed = proofs.sign(document, key, verification_method_id(org, key_record),
                         created=builders.timestamp(now))
    audit(db, "record.export", actor, org, f"learner:{learner.id}",
          credentials=[c.uuid for c in credentials])
    return signed


def _stacks(db: Session, learner: Learner, credentials: list[Credential],
            signed_badges: list[dict]) -> tuple[list[dict], list[clr.Association]]:
    """Achievement definitions and `isPartOf` links from each part held to its skills."""
    achievements = {a["id"]: a for a in clr.achievements_of(signed_badges)}
    awarded = {c.template.template_id: clr.achievement_of(b)
               for c, b in zip(credentials, signed_badges, strict=True) if c.kind == SKILL}
    language = learner.language or learner.organisation.default_language or "en"
    links = []
    for credential, badge in zip(credentials, signed_badges, strict=True):
        if credential.kind == SKILL:
            continue
        for template, skill in skills_with_part(db, credential.template.template_id):
            target = awarded.get(skill.id) or skill_achievement(
                db, template, skill, language).to_json()
            achievements.setdefault(target["id"], target)
            links.append(clr.Association(clr.achievement_of(badge)["id"], target["id"]))
    return list(achievements.values()), list(dict.fromkeys(links))


# --- the printable summary ---------------------------------------------------------------------

_FONTS = ("SkyRecordSans", "SkyRecordSans-Bold")
_MARGIN = 18 * mm
_ROW = 38 * mm
_QR = 30 * mm
_INK, _MUTED = "#1A1A1A", "#4D4D4D"


def summary_pdf(db: Session, learner: Learner, actor: Actor = None,
                now: datetime | None = None, language: str | None = None) -> bytes:
    """A plain A4 summary of the record: one row per valid badge with a QR to its page."""
    require_organisation(actor, learner.organisation_id)
    now = utc_seconds(now)
    credentials, _ = record_credentials(db, learner, now)
    org = learner.organisation
    words = labels_for(language or learner.language or org.default_language or "en")
    _register_fonts()
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, invariant=True, pageCompression=1,
                 initialFontName=_FONTS[0], initialFontSize=10)
    pdf.setTitle(words["of"] % {"name": learner.name})
    pdf.setCreator("SKY Badges")
    per_page = int((A4[1] - 2 * _MARGIN - 40 * mm) // _ROW)
    pages = [credentials[i:i + per_page] for i in range(0, len(credentials), per_page)] or [[]]
    for number, rows in enumerate(pages, start=1):
        _header(pdf, learner, org.name, words, now)
        top = A4[1] - _MARGIN - 34 * mm
        for credential in rows:
            _row(pdf, credential, words, top)
            top -= _ROW
        if not credentials:
            _text(pdf, _MARGIN, top - 10 * mm, words["none"], 11)
        _footer(pdf, words, number, len(pages))
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _header(pdf: Canvas, learner: Learner, org_name: str, words: dict, now: datetime) -> None:
    top = A4[1] - _MARGIN
    _text(pdf, _MARGIN, top - 8 * mm, words["record"], 18, bold=True)
    _text(pdf, _MARGIN, top - 16 * mm, learner.name, 14)
    _text(pdf, _MARGIN, top - 23 * mm,
          words["exported"] % {"organisation": org_name, "date": now.date().isoformat()}, 9,
          _MUTED)
    pdf.setStrokeColor(_MUTED)
    pdf.setLineWidth(0.5)
    pdf.line(_MARGIN, top - 27 * mm, A4[0] - _MARGIN, top - 27 * mm)


def _row(pdf: Canvas, credential: Credential, words: dict, top: float) -> None:
    url = verify_url(credential)
    _qr(pdf, _MARGIN, top - _QR, _QR, url)
    x = _MARGIN + _QR + 6 * mm
    width = A4[0] - _MARGIN - x
    document = json.loads(credential.signed_json)
    name = clr.achievement_of(document).get("name") or document.get("name", "")
    if credential.kind == SKILL:
        name = words["skill"] % {"name": name}
    _text(pdf, x, top - 7 * mm, _fit(name, width, 12, True), 12, bold=True)
    issuer = (document.get("issuer") or {}).get("name", "")
    _text(pdf, x, top - 14 * mm, _fit(words["issuer"] % {"issuer": issuer}, width, 10), 10)
    _text(pdf, x, top - 20 * mm,
          words["date"] % {"date": credential.issued_at.date().isoformat()}, 10)
    _text(pdf, x, top - 26 * mm, url.split("://", 1)[-1], 10, _MUTED)


def _footer(pdf: Canvas, words: dict, number: int, total: int) -> None:
    _text(pdf, _MARGIN, _MARGIN - 6 * mm, words["scan"], 9, _MUTED)
    page = words["page"] % {"number": number, "total": total}
    pdf.setFont(_FONTS[0], 9)
    pdf.drawRightString(A4[0] - _MARGIN, _MARGIN - 6 * mm, page)


def _qr(pdf: Canvas, x: float, y: float, size: float, url: str) -> None:
    matrix = qr_matrix(url)
    module = size / len(matrix)
    pdf.setFillColor("#000000")
    path = pdf.beginPath()
    for row_index, row in enumerate(matrix):
        for column, dark in enumerate(row):
            if dark:
                path.rect(x + column * module, y + size - (row_index + 1) * module, module,
                          module)
    pdf.drawPath(path, stroke=0, fill=1)


def _text(pdf: Canvas, x: float, y: float, text: str, size: float, colour: str = _INK,
          bold: bool = False) -> None:
    pdf.setFont(_FONTS[bold], size)
    pdf.setFillColor(colour)
    pdf.drawString(x, y, text)


def _fit(text: str, width: float, size: float, bold: bool = False) -> str:
    """`text` shortened with an ellipsis until it fits `width` points."""
    font = _FONTS[bold]
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _register_fonts() -> None:
    if _FONTS[0] not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_FONTS[0], str(FONT_REGULAR)))
        pdfmetrics.registerFont(TTFont(_FONTS[1], str(FONT_BOLD)))
