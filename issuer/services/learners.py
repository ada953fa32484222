"""Learners: the least personal data that works, and erasure on request.

Erasure revokes every badge of the learner, then removes their personal data from the database:
the name becomes "erased", e-mail and wallet DID are dropped, comments and photos deleted, and
the stored copies of their credentials are redacted (subject identifiers, narrative, evidence).
The signed copy the learner holds stays theirs; checking it shows it as revoked.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core.builders import normalize_email
from issuer.core.clock import utc_seconds
from issuer.core.errors import BuildError
from issuer.core.messages import N_
from issuer.store.models import Assessment, Credential, Learner, Organisation

from . import consent
from .base import Actor, ServiceError, audit, require_organisation
from .revocation import revoke

ERASED_NAME = "erased"
ERASURE_REASON = "Withdrawn at the learner's request (personal data erased)"


def create_learner(db: Session, org: Organisation, name: str, email: str | None = None,
                   language: str | None = None, actor: Actor = None,
                   answers: consent.Consent | None = None) -> Learner:
    """Quick-add a learner: a name is enough; e-mail, language and consent are optional (no
    answers recorded: the learner agreed to nothing yet)."""
    require_organisation(actor, org.id)
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(N_("a learner needs a name (as it should appear on the badge)"))
    if email:
        try:
            email = normalize_email(email)
        except BuildError as error:
            raise ServiceError(str(error)) from None
    learner = Learner(organisation_id=org.id, name=name, email=email or None,
                      language=language or None)
    db.add(learner)
    db.flush()
    if answers is not None:
        consent.record(db, learner, answers, actor)
    return learner


def erase_learner(db: Session, learner: Learner, actor: Actor,
                  now: datetime | None = None) -> Learner:
    """Revoke the learner's badges and remove their personal data from the database."""
    require_organisation(actor, learner.organisation_id)
    now = utc_seconds(now)
    credentials = db.scalars(select(Credential).where(Credential.learner_id == learner.id)).all()
    for credential in credentials:
        if credential.revoked_at is None:
            revoke(db, credential, ERASURE_REASON, actor, now)
        credential.signed_json = json.dumps(redacted(json.loads(credential.signed_json)),
                                            ensure_ascii=False)
    assessments = db.scalars(select(Assessment).where(Assessment.learner_id == learner.id)).all()
    for assessment in assessments:
        assessment.comments = {}
        assessment.narrative = None
        for evidence in list(assessment.evidence):
            db.delete(evidence)
    for answer in list(learner.consents):  # who agreed to what is theirs too
        db.delete(answer)
    learner.name = ERASED_NAME
    learner.email = None
    learner.wallet_did = None
    learner.person_uuid = None  # the link to their other records is personal data too
    learner.erased_at = now
    db.flush()
    audit(db, "learner.erase", actor, learner.organisation_id, f"learner:{learner.id}",
          credentials=[c.uuid for c in credentials])
    return learner


def redacted(credential: dict) -> dict:
    """A credential without what identifies its learner; its proof no longer verifies."""
    copy = dict(credential)
    subject = dict(copy.get("credentialSubject") or {})
    for key in ("id", "identifier", "narrative", "result", "activityStartDate",
                "activityEndDate"):
        subject.pop(key, None)
    copy["credentialSubject"] = subject
    copy.pop("evidence", None)
    copy["redacted"] = True
    return copy


def is_redacted(document: dict) -> bool:
    """Whether a stored credential was redacted by erasure."""
    return document.get("redacted") is True


