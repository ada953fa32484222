"""Demo data: the six SKY partners, their accounts, the catalogue, learners and badges.

Passwords are generated and returned once (printed at start by `sky-badges serve`); only their
argon2 hashes are stored. Badges come in every state a verifier must show: valid, revoked
(with a reason) and expired (issued in the past through the injected clock).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from issuer.config import Settings
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.domain.catalogue import MicroTraining
from issuer.store.models import Organisation, TrainingSession, User

from .accounts import create_user
from .base import NotIssuable
from .catalogue import current_templates, import_catalogue, training_of
from .consent import Consent
from .issuing import issue_for_assessment, save_assessment
from .keys import active_key
from .learners import create_learner
from .revocation import revoke

DEMO_DOMAIN = "sky-badges.test"  # RFC 2606: never a real mailbox


@dataclass(frozen=True)
class Partner:
    slug: str
    name: str
    country: str
    language: str
    description: str
    locality: str | None
    learners: tuple[str, ...]
    admin: str
    trainer: str


PARTNERS = (
    Partner("cec", "CEC", "BE", "fr", "Coordinator of the SKY partnership (Erasmus+ 2022–2024).",
            None, ("Amélie Dubois", "Mehdi Benali", "Françoise Lemaître", "Jérôme Vandenberghe"),
            "Nathalie Moreau", "Olivier Lambert"),
    Partner("scf", "SCF", "IT", "it", "SKY partner in Italy.", None,
            ("Giulia Esposito", "Niccolò Bianchi", "Chiara Colombo", "Francesca De Luca"),
            "Marco Ricci", "Elena Galli"),
    Partner("agfe", "AGFE", "FR", "fr", "SKY partner in France.", None,
            ("Zoé Lefèvre", "Karim Haddad", "Hélène Garnier", "Noël Durand"),
            "Sophie Martin", "Théo Girard"),
    Partner("mirec", "MIREC", "BE", "fr", "SKY partner in Belgium.", None,
            ("Léa Peeters", "Youssef El Amrani", "Céline Dupont", "François Lemmens"),
            "Isabelle Renard", "Julien Claes"),
    Partner("trinijove", "Fundació Trinijove", "ES", "es", "SKY partner in Spain.", "Barcelona",
            ("María José Núñez", "Jordi Puig", "Lucía Fernández", "Iñaki Etxeberria"),
            "Montserrat Vidal", "Sergio Muñoz"),
    Partner("barka", "Fundacja Barka", "PL", "pl", "SKY partner in Poland.", "Poznań",
            ("Łukasz Wiśniewski", "Małgorzata Kowalczyk", "Paweł Żółkowski",
             "Agnieszka Dąbrowska"),
            "Katarzyna Nowak", "Tomasz Wójcik"),
)

REVOCATION_REASON = "Issued to the wrong learner by mistake; a corrected badge was issued."


def seed_demo(db: Session, settings: Settings, catalogue_path: str | Path | None = None,
              now: datetime | None = None) -> dict:
    """Create the demo world in `db` (not committed); return accounts and badges created.

    `{"base_url": …, "accounts": [{"organisation", "role", "email", "password"}],
      "credentials": {"valid": [short ids], "revoked": […], "expired": […]}}`
    """
    now = utc_seconds(now)
    import_catalogue(db, catalogue_path or settings.catalogue_path)
    templates = current_templates(db)
    if not templates:
        raise NotIssuable(N_("the catalogue has no micro-training to run demo sessions with"))
    summary = {"base_url": settings.public_base_url, "accounts": [],
               "credentials": {"valid": [], "revoked": [], "expired": []}}
    for number, partner in enumerate(PARTNERS):
        _seed_partner(db, partner, number, templates, now, summary)
    return summary


def _seed_partner(db: Session, partner: Partner, number: int, templates: list, now: datetime,
                  summary: dict) -> None:
    org = Organisation(slug=partner.slug, name=partner.name, country_code=partner.country,
                       default_language=partner.language, description=partner.description,
                       locality=partner.locality, email=f"contact@{partner.slug}.{DEMO_DOMAIN}")
    db.add(org)
    db.flush()
    active_key(db, org)
    admin = _account(db, org, partner, "admin", partner.admin, summary)
    trainer = _account(db, org, partner, "trainer", partner.trainer, summary)
    learners = [
        create_learner(db, org, name, language=partner.language,  # fictional: agree to all
                       email=f"{_mailbox(name)}@{DEMO_DOMAIN}" if index == 0 else None,
                       answers=Consent.everything())
        for index, name in enumerate(partner.learners)
    ]
    today = now.date()
    first = templates[number % len(templates)]
    second = templates[(number + 3) % len(templates)]
    session = _session(db, org, trainer, first, today - timedelta(days=14), partner.language)
    credentials = [_assess(db, session, learner, trainer, now, acquired=index < 3)
                   for index, learner in enumerate(learners)]
    summary["credentials"]["valid"] += [c.short_id for c in credentials[:2]]
    revoke(db, credentials[2], REVOCATION_REASON, admin, now)
    summary["credentials"]["revoked"].append(credentials[2].short_id)
    later = _session(db, org, trainer, second, today - timedelta(days=7), partner.language)
    summary["credentials"]["valid"].append(
        _assess(db, later, learners[1], trainer, now, acquired=True).short_id)
    _seed_expired(db, org, trainer, learners[0], templates, now, partner.language, summary)


def _seed_expired(db, org, trainer, learner, templates, now, language, summary) -> None:
    # A badge whose validity ran out: issued with a clock set further back than its validity.
    lasting = [t for t in templates if training_of(t).validity_months]
    if not lasting:
        return
    months = training_of(lasting[0]).validity_months
    then = now - timedelta(days=31 * (months + 1))
    session = _session(db, org, trainer, lasting[0], then.date(), language)
    summary["credentials"]["expired"].append(
        _assess(db, session, learner, trainer, then, acquired=True).short_id)


def _account(db, org, partner: Partner, role: str, name: str, summary: dict) -> User:
    email = f"{role}@{partner.slug}.{DEMO_DOMAIN}"
    password = secrets.token_urlsafe(12)
    user = create_user(db, org, email, name, role, password, language=partner.language)
    summary["accounts"].append(
        {"organisation": partner.name, "role": role, "email": email, "password": password})
    return user


def _session(db, org, trainer, template, day: date, language: str) -> TrainingSession:
    training = training_of(template)
    session = TrainingSession(organisation_id=org.id, template_pk=template.id,
                              trainer_id=trainer.id, title=training.name_in(language),
                              place=org.locality, language=language, starts_on=day, ends_on=day)
    db.add(session)
    db.flush()
    return session


def _assess(db, session, learner, trainer, now: datetime, acquired: bool):
    """Evaluate every gesture (all acquired, or the last one not yet) and issue if validated."""
    training: MicroTraining = training_of(session.template)
    levels = {g.id: g.required_level for g in training.gestures}
    if not acquired:
        last = training.gestures[-1]
        levels[last.id] = last.levels[0].id
    assessment = save_assessment(db, session.id, learner.id, levels, {}, None, trainer)
    if not acquired:
        return None
    return issue_for_assessment(db, assessment.id, trainer, now=now)


def _mailbox(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ".".join(part.lower() for part in ascii_name.split() if part.isalnum()) or "learner"
