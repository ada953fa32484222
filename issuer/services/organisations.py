"""A partner organisation joins: its did:web identity, its first signing key, its first admin.

The operator runs it from the command line (`sky-badges org create`), the project's coordinator
from the web; both get the first admin's invitation link (also e-mailed when SMTP is set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.core.messages import N_
from issuer.domain.catalogue import SLUG
from issuer.languages import LANGUAGES
from issuer.store.models import Credential, Organisation, User

from .account_tokens import invite
from .base import Actor, PermissionDenied, ServiceError, audit
from .consent import STATISTICS, learners_who_agreed
from .keys import active_key

COUNTRY = re.compile(r"^[A-Z]{2}$")
MAX_SLUG = 64
MAX_NAME = 200


def create_organisation(db: Session, slug: str, name: str, country_code: str,
                        actor: Actor = None, language: str = "en") -> Organisation:
    """A new organisation with its first signing key (its did:web document lists it)."""
    _require_coordinator(actor)
    slug, name, country_code = slug.strip(), " ".join(name.split()), country_code.strip().upper()
    if not SLUG.match(slug) or len(slug) > MAX_SLUG:
        raise ServiceError(N_("%(slug)s is not a valid short name: use lower-case letters, "
                              "digits and hyphens", slug=repr(slug[:80])))
    if not name or len(name) > MAX_NAME:
        raise ServiceError(N_("the organisation needs a name of at most %(count)s characters",
                              count=MAX_NAME))
    if not COUNTRY.match(country_code):
        raise ServiceError(N_("%(country)s is not a two-letter country code",
                              country=repr(country_code[:10])))
    if language not in LANGUAGES:
        raise ServiceError(N_("%(language)s is not one of the languages %(languages)s",
                              language=repr(language[:10]), languages=", ".join(LANGUAGES)))
    if db.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None:
        raise ServiceError(N_("an organisation with the short name %(slug)s already exists",
                              slug=slug))
    org = Organisation(slug=slug, name=name, country_code=country_code, default_language=language)
    db.add(org)
    db.flush()
    active_key(db, org)
    audit(db, "organisation.create", actor, org, slug)
    return org


def onboard(db: Session, slug: str, name: str, country_code: str, admin_email: str,
            actor: Actor = None, language: str = "en", coordinator: bool = False,
            now: datetime | None = None) -> tuple[Organisation, User, str]:
    """A new organisation and its first admin's invitation: (organisation, account, token).

    `coordinator` makes that admin the project's coordinator (who can onboard the others).
    """
    org = create_organisation(db, slug, name, country_code, actor, language)
    role = "coordinator" if coordinator else "admin"
    user, token = invite(db, org, admin_email, role, actor, now=now)
    return org, user, token


def _require_coordinator(actor: Actor) -> None:
    # The system (the operator's command line) or the project's coordinator, nobody else.
    if actor is not None and getattr(actor, "role", None) != "coordinator":
        raise PermissionDenied(N_("only the project's coordinator can add an organisation"))


@dataclass(frozen=True)
class PartnerSummary:
    """What the coordinator sees of a partner: counts, never a learner's data."""

    slug: str
    name: str
    country_code: str
    accounts: int
    issued: int
    revoked: int


def partner_overview(db: Session) -> list[PartnerSummary]:
    """Every organisation with its active accounts and badges issued and revoked, by name
    (badges of learners who agreed to be counted)."""
    accounts = dict(db.execute(select(User.organisation_id, func.count())
                               .where(User.active.is_(True)).group_by(User.organisation_id)).all())
    badges = {org_id: (issued, revoked) for org_id, issued, revoked in db.execute(
        select(Credential.organisation_id, func.count(), func.count(Credential.revoked_at))
        .where(Credential.supersedes_id.is_(None),
               Credential.learner_id.in_(learners_who_agreed(STATISTICS)))
        .group_by(Credential.organisation_id)).all()}
    return [PartnerSummary(org.slug, org.name, org.country_code, accounts.get(org.id, 0),
                           *badges.get(org.id, (0, 0)))
            for org in db.scalars(select(Organisation).order_by(Organisation.name))]
