"""A learner's badges for Europass: ELM credential documents (domain/europass.py maps them).

From the claim page the learner downloads one badge, or every valid badge of theirs (the same
ones as their learner record), as an unsealed European Learning Model credential to upload to
their Europass profile. The texts come in every language the catalogue has them in; the
learner's name only when they agreed that their badges carry it, as on the badges themselves.
Each badge's card (the picture printed for it, with its verification QR code) is a page of the
document: ELM requires a picture to display.
"""

from __future__ import annotations

from babel.core import get_global
from sqlalchemy.orm import Session

from issuer.core.clock import utc_stamp
from issuer.core.errors import BadgeError
from issuer.core.messages import N_
from issuer.domain import europass
from issuer.rendering import cards as card_rendering
from issuer.store.models import Credential, Learner

from . import catalogue, consent, learner_record, publishing
from .base import NotFound
from .cards import card_for
from .people import person_key

MEDIA_TYPE = "application/ld+json"
PAGE_DPI = 110  # a card picture of about 40 kB: the document stays small enough to upload
# CLDR aliases that are no country's own code: the "exceptionally reserved" FXX (it too maps
# to FR) and ZZZ (unknown region).
_NOT_COUNTRIES = {"FXX", "ZZZ"}


def badge_document(db: Session, credential: Credential, language: str) -> dict:
    """One badge as an ELM credential, its texts in every language of its catalogue entry."""
    return _document([credential], credential.learner, f"urn:credential:{credential.uuid}",
                     language)


def record_document(db: Session, learner: Learner, language: str) -> dict:
    """Every valid badge of the learner (their learner record's) as one ELM credential."""
    credentials, _left_out = learner_record.record_credentials(db, learner)
    copies = {credential.supersedes_id for credential in credentials}
    credentials = [credential for credential in credentials if credential.id not in copies]
    if not credentials:
        raise NotFound(N_("no valid badge to export"))
    return _document(credentials, learner, f"urn:credential:record:{credentials[-1].uuid}",
                     language)


def _document(credentials: list[Credential], learner: Learner | None, document_id: str,
              language: str) -> dict:
    named = learner is not None and learner.erased_at is None \
        and consent.given(learner, consent.NAME)
    person = europass.Learner(
        id=_person_id(credentials[0], learner),
        full_name=learner.name if named else None)
    badges = [_badge(credential) for credential in credentials]
    pages = [card_rendering.card_png(card_for(credential), dpi=PAGE_DPI)
             for credential in credentials]
    return europass.elm_credential(badges, person, document_id, utc_stamp(), language, pages)


def _person_id(credential: Credential, learner: Learner | None) -> str:
    """The subject's DID once the learner bound a wallet, else a URN of this person here."""
    subject = publishing.credential_document(credential).get("credentialSubject") or {}
    if isinstance(subject, dict) and str(subject.get("id", "")).startswith("did:"):
        return subject["id"]
    key = person_key(learner) if learner is not None else f"credential:{credential.uuid}"
    return f"urn:epass:person:{key.replace(':', '-')}"


def _badge(credential: Credential) -> europass.Badge:
    return europass.Badge(credential=publishing.credential_document(credential),
                          texts=_texts(credential),
                          country_alpha3=country_alpha3(credential.organisation.country_code))


def _texts(credential: Credential) -> europass.BadgeTexts | None:
    """The catalogue's texts of the badge's template version, in each of its languages."""
    if credential.template is None or credential.template.kind != "training":
        return None
    try:
        training = catalogue.training_of(credential.template)
    except BadgeError:
        return None
    return europass.BadgeTexts(
        title=dict(training.name), description=dict(training.description),
        learning_outcomes={lang: tuple(items) for lang, items
                           in training.learning_outcomes.items()},
        quality_assurance=dict(training.quality_assurance),
        gestures=[dict(gesture.name) for gesture in training.gestures],
        esco_skills=[(skill.uri, dict(skill.name)) for skill in training.esco_skills])


def country_alpha3(alpha2: str | None) -> str | None:
    """The ISO 3166-1 alpha-3 code of a country (the EU's country table names it so)."""
    if not alpha2:
        return None
    wanted = [alpha2.upper()]
    found = sorted(code for code, targets in get_global("territory_aliases").items()
                   if len(code) == 3 and code.isalpha() and targets == wanted
                   and code not in _NOT_COUNTRIES)
    return found[0] if found else None
