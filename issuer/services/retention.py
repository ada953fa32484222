"""Retention: each organisation keeps evidence photos and learners' contact data only so long.

Two periods per organisation, in months (`Organisation.evidence_retention_months`,
`contact_retention_months`; 12 and 24 by default, 1 to 120). `sweep` removes what is past them:

- evidence photos taken before the evidence period;
- contact data of learners whose last evaluation or badge (or, without either, their being
  added) is older than the contact period: their e-mail address, so no claim e-mail goes out
  any more; the files of finished bulk jobs (they list e-mail addresses) and the API's
  idempotency records (a digest of each request, e-mail included) of that age.

Badges, names on them, evaluations' levels and the anonymous statistics stay. A sweep is
idempotent (a second one finds nothing) and safe to run daily (`sky-badges retention run`);
a dry run counts without removing. Counts only: nothing personal is returned or logged.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.job_models import DONE, BulkJob
from issuer.store.models import (
    ApiIdempotencyKey,
    Assessment,
    Credential,
    EvidenceFile,
    Learner,
    Organisation,
    TrainingSession,
)

from .base import Actor, ServiceError, audit, require_organisation

MIN_MONTHS, MAX_MONTHS = 1, 120
DEFAULT_EVIDENCE_MONTHS, DEFAULT_CONTACT_MONTHS = 12, 24


@dataclass(frozen=True)
class Swept:
    """What a sweep removed (or would remove) in one organisation: counts only."""

    organisation: str  # the organisation's slug
    evidence_photos: int
    email_addresses: int
    bulk_files: int
    api_requests: int

    @property
    def total(self) -> int:
        return self.evidence_photos + self.email_addresses + self.bulk_files + self.api_requests


@dataclass(frozen=True)
class Periods:
    """An organisation's retention periods in months, as its privacy notice states them."""

    evidence_months: int
    contact_months: int

    @property
    def standard(self) -> bool:
        """Whether these are the periods every organisation starts with."""
        return (self.evidence_months, self.contact_months) == (DEFAULT_EVIDENCE_MONTHS,
                                                               DEFAULT_CONTACT_MONTHS)


def periods_of(org: Organisation) -> Periods:
    """The periods `org` applies (the standard ones where it has none recorded)."""
    return Periods(org.evidence_retention_months or DEFAULT_EVIDENCE_MONTHS,
                   org.contact_retention_months or DEFAULT_CONTACT_MONTHS)


def set_periods(db: Session, org: Organisation, evidence_months: int, contact_months: int,
                actor: Actor) -> None:
    """Change the organisation's retention periods (whole months, 1 to 120)."""
    require_organisation(actor, org.id)
    for months in (evidence_months, contact_months):
        if not isinstance(months, int) or not MIN_MONTHS <= months <= MAX_MONTHS:
            raise ServiceError(N_("a retention period is %(low)s to %(high)s months",
                                  low=MIN_MONTHS, high=MAX_MONTHS))
    org.evidence_retention_months = evidence_months
    org.contact_retention_months = contact_months
    audit(db, "organisation.retention", actor, org, org.slug, evidence_months=evidence_months,
          contact_months=contact_months)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def sweep(db: Session, org: Organisation, now: datetime | None = None,
          dry_run: bool = False) -> Swept:
    """Remove (or only count, when `dry_run`) what `org` keeps past its periods; the caller
    commits."""
    now = utc_seconds(now)
    evidence_cutoff = months_before(now, org.evidence_retention_months)
    contact_cutoff = months_before(now, org.contact_retention_months)
    photos = list(db.scalars(select(EvidenceFile.id).join(Assessment).join(TrainingSession)
                             .where(TrainingSession.organisation_id == org.id,
                                    EvidenceFile.created_at < evidence_cutoff)))
    learners = _quiet_learners(db, org, contact_cutoff)
    jobs = list(db.scalars(select(BulkJob.id).where(
        BulkJob.organisation_id == org.id, BulkJob.status == DONE,
        func.length(BulkJob.csv_data) > 0,
        func.coalesce(BulkJob.finished_at, BulkJob.created_at) < contact_cutoff)))
    requests = list(db.scalars(select(ApiIdempotencyKey.id).where(
        ApiIdempotencyKey.organisation_id == org.id,
        ApiIdempotencyKey.created_at < contact_cutoff)))
    swept = Swept(org.slug, len(photos), len(learners), len(jobs), len(requests))
    if dry_run or not swept.total:
        return swept
    if photos:
        db.execute(delete(EvidenceFile).where(EvidenceFile.id.in_(photos)))
    for learner in db.scalars(select(Learner).where(Learner.id.in_(learners))):
        learner.email = None
    for job in db.scalars(select(BulkJob).where(BulkJob.id.in_(jobs))):
        job.csv_data = b""
    if requests:
        db.execute(delete(ApiIdempotencyKey).where(ApiIdempotencyKey.id.in_(requests)))
    db.flush()
    audit(db, "retention.sweep", None, org, org.slug, evidence_photos=swept.evidence_photos,
          email_addresses=swept.email_addresses, bulk_files=swept.bulk_files,
          api_requests=swept.api_requests)
    return swept


def _quiet_learners(db: Session, org: Organisation, cutoff: datetime) -> list[int]:
    """Learners with an e-mail address and nothing newer than `cutoff`."""
    evaluated = (select(Assessment.learner_id, func.max(Assessment.updated_at).label("last"))
                 .group_by(Assessment.learner_id).subquery())
    badged = (select(Credential.learner_id, func.max(Credential.issued_at).label("last"))
              .where(Credential.organisation_id == org.id, Credential.learner_id.is_not(None))
              .group_by(Credential.learner_id).subquery())
    query = (select(Learner.id)
             .outerjoin(evaluated, evaluated.c.learner_id == Learner.id)
             .outerjoin(badged, badged.c.learner_id == Learner.id)
             .where(Learner.organisation_id == org.id, Learner.email.is_not(None),
                    Learner.created_at < cutoff,
                    (evaluated.c.last.is_(None)) | (evaluated.c.last < cutoff),
                    (badged.c.last.is_(None)) | (badged.c.last < cutoff)))
    return list(db.scalars(query))
