"""A learner's record: every valid badge as one signed CLR 2.0 file, and a printable summary.

The record holds the person's valid badges (not revoked, not expired): those of this learner
record, and of the records the learner proved are theirs (services.people); a shared e-mail
address alone joins nothing. Each badge is embedded exactly as its issuer signed
it; the learner's organisation signs the whole. `association` links each part to the skills it
counts toward, including skills not complete yet, whose definitions are in `achievement`.
`partial` is true when badges of the person were left out (revoked or expired).
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core import builders, clr
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.domain.signed_texts import RECORD_NAME
from issuer.languages import DEFAULT_LANGUAGE, catalogue, in_language, normalise
from issuer.rendering.record import RecordRow, SkillLine, record_pdf
from issuer.store.models import Credential, Learner

from . import consent
from .base import Actor, NotFound, audit, require_organisation
from .catalogue import template_name
from .keys import issuer_profile_builder, sign
from .learners import is_redacted
from .people import same_person
from .stacking import (
    SKILL,
    SkillProgressView,
    skill_achievement,
    skills_with_part,
    stack_progress,
)
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
    "progress": N_("Skill: %(name)s — %(done)s of %(total)s badges"),
    "still": N_("Still to do: %(parts)s"),
}


def labels_for(language: str | None) -> dict[str, str]:
    """The summary's words in `language` (its catalogue; English for a language not ours)."""
    gettext = catalogue(normalise(language) or DEFAULT_LANGUAGE).gettext
    return {key: gettext(text.template) for key, text in _WORDS.items()}


# Without the learner's consent to their name: the record is not titled with it either.
_UNNAMED_RECORD = {"en": "Learner record", "fr": "Parcours", "nl": "Leerlingdossier",
                   "it": "Percorso", "es": "Expediente", "pl": "Rejestr osiągnięć"}


def record_name(language: str | None, name: str) -> str:
    """The signed name of the record ("Parcours de Zoé Lefèvre"), English for other languages."""
    return in_language(RECORD_NAME, language).format(name=name)


def _signed_name(language: str | None, learner: Learner) -> str:
    if consent.given(learner, consent.NAME):
        return record_name(language, learner.name)
    return in_language(_UNNAMED_RECORD, language)


# --- which badges ------------------------------------------------------------------------------


def record_credentials(db: Session, learner: Learner,
                       now: datetime | None = None) -> tuple[list[Credential], bool]:
    """The person's valid badges, oldest first, and whether any of their badges was left out
    (revoked, suspended or expired).

    A wallet copy (`supersedes_id`: the same badge re-signed for the learner's DID) is never a
    second badge: the original is the one in the record, the one its issuer's page and status
    list describe.
    """
    now = utc_seconds(now)
    people = same_person(learner)
    every = list(db.scalars(select(Credential).where(Credential.learner_id.in_(people),
                                                     Credential.supersedes_id.is_(None))
                            .order_by(Credential.issued_at, Credential.id)))
    valid = [c for c in every if _is_valid(c, now)]
    return valid, len(valid) < len(every)


def one_per_achievement(credentials: list[Credential]) -> list[Credential]:
    """Each achievement once (the CLR's rule): of two valid badges of one issuer for one
    achievement (the same training passed twice), the newest stands for it. The same
    achievement attested by two issuers stays twice: each organisation vouches on its own."""
    newest = {_achievement_key(c): c for c in credentials}  # later badges overwrite earlier
    return [c for c in credentials if newest[_achievement_key(c)] is c]


def _achievement_key(credential: Credential) -> tuple[int, str]:
    achievement = clr.achievement_of(json.loads(credential.signed_json)) or {}
    return credential.organisation_id, achievement.get("id") or credential.uuid


def _is_valid(credential: Credential, now: datetime) -> bool:
    if credential.revoked_at is not None or credential.suspended_at is not None:
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
    credentials = one_per_achievement(credentials)
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
        name=_signed_name(language, learner),
        subject_id=learner.wallet_did or None,
        identifiers=consent.subject_identifiers(learner),
        achievements=achievements,
        associations=associations,
        partial=partial,
    )
    clr.check_clr(document)
    signed = sign(db, org, document, builders.timestamp(now))
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


def summary_pdf(db: Session, learner: Learner, actor: Actor = None,
                now: datetime | None = None, language: str | None = None) -> bytes:
    """A plain A4 summary of the record: one row per valid badge with a QR to its page."""
    require_organisation(actor, learner.organisation_id)
    now = utc_seconds(now)
    credentials, _ = record_credentials(db, learner, now)
    org = learner.organisation
    language = language or learner.language or org.default_language or "en"
    skills = [SkillLine(s.name, len(s.done), len(s.parts), tuple(s.missing))
              for s in skills_under_way(db, credentials, language, now)]
    return record_pdf(learner.name, org.name, [_summary_row(c) for c in credentials],
                      labels_for(language), now.date(), skills)


def skills_under_way(db: Session, credentials: list[Credential], language: str,
                     now: datetime | None = None) -> list[SkillProgressView]:
    """The skills the badges count toward and are not complete yet, each once."""
    found: dict[str, SkillProgressView] = {}
    for credential in credentials:
        for progress in stack_progress(db, credential, language, now):
            if not progress.complete:
                found.setdefault(progress.skill_id, progress)
    return list(found.values())


# --- the learner's own list --------------------------------------------------------------------

VALID, REVOKED, SUSPENDED, EXPIRED = "valid", "revoked", "suspended", "expired"


@dataclass(frozen=True)
class HeldBadge:
    """One badge on the learner's "my badges" list."""

    name: str
    issuer: str
    issued_on: date
    state: str  # VALID, REVOKED, SUSPENDED or EXPIRED
    url: str
    skill: bool


def held_badges(db: Session, learner: Learner, language: str,
                now: datetime | None = None) -> list[HeldBadge]:
    """Every badge of the person (this learner record and those they proved are theirs),
    newest first, named in `language`; a wallet copy is the same badge and is left out."""
    now = utc_seconds(now)
    credentials = db.scalars(select(Credential).where(
        Credential.learner_id.in_(same_person(learner)), Credential.supersedes_id.is_(None))
        .order_by(Credential.issued_at.desc(), Credential.id.desc()))
    return [HeldBadge(name=template_name(c.template, language),
                      issuer=c.organisation.name, issued_on=c.issued_at.date(),
                      state=_state(c, now), url=verify_url(c), skill=c.kind == SKILL)
            for c in credentials]


def _state(credential: Credential, now: datetime) -> str:
    if credential.revoked_at is not None:
        return REVOKED
    if credential.suspended_at is not None:
        return SUSPENDED
    if credential.valid_until is not None and credential.valid_until <= now:
        return EXPIRED
    return VALID


def _summary_row(credential: Credential) -> RecordRow:
    document = json.loads(credential.signed_json)
    return RecordRow(
        name=clr.achievement_of(document).get("name") or document.get("name", ""),
        issuer=(document.get("issuer") or {}).get("name", ""),
        issued_on=credential.issued_at.date(),
        url=verify_url(credential),
        skill=credential.kind == SKILL,
    )
