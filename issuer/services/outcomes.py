"""Follow-ups: what became of a learner 3 and 6 months after the training.

A trainer or adviser of the learner's organisation records the situation they heard of (a job,
further training, volunteering, none, or unknown), the day it was true, and is recorded as the
one who said so. One answer per learner and follow-up; recording again replaces it (the audit
log keeps the earlier one). The figures (`stats.outcome_report`) count them, never name them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core.messages import N_
from issuer.store.models import Assessment, Learner, TrainingSession, User
from issuer.store.report_models import FOLLOW_UP_MONTHS, OUTCOMES, LearnerOutcome

from .base import NotFound, PermissionDenied, ServiceError, audit, require_organisation


class InvalidOutcome(ServiceError):
    """A follow-up names an unknown situation or follow-up, or a day in the future."""


def record_outcome(db: Session, learner_id: int, months: int, situation: str,
                   observed_on: date, actor: User, now: datetime) -> LearnerOutcome:
    """Record (or replace) `learner_id`'s situation `months` after the training."""
    if actor is None or actor.role not in ("trainer", "admin", "coordinator"):
        raise PermissionDenied(N_("Only trainers and advisers record follow-ups."))
    learner = db.get(Learner, learner_id)
    if learner is None or learner.erased_at is not None:
        raise NotFound(N_("There is no such learner."))
    require_organisation(actor, learner.organisation_id)
    if months not in FOLLOW_UP_MONTHS:
        raise InvalidOutcome(N_("A follow-up is made at 3 or 6 months."))
    if situation not in OUTCOMES:
        raise InvalidOutcome(N_("“%(value)s” is not a known situation.", value=situation))
    if observed_on > now.date():
        raise InvalidOutcome(N_("The day of a follow-up cannot be in the future."))
    outcome = db.scalar(select(LearnerOutcome).where(
        LearnerOutcome.learner_id == learner.id, LearnerOutcome.months == months))
    if outcome is None:
        outcome = LearnerOutcome(organisation_id=learner.organisation_id, learner_id=learner.id,
                                 months=months)
        db.add(outcome)
    outcome.situation, outcome.observed_on = situation, observed_on
    outcome.recorded_by_id, outcome.recorded_at = actor.id, now
    audit(db, "outcome.record", actor, learner.organisation_id, f"learner:{learner.id}",
          months=months, situation=situation)
    db.flush()
    return outcome


def follow_up_list(db: Session, organisation_id: int
                   ) -> list[tuple[Learner, dict[int, LearnerOutcome]]]:
    """The organisation's evaluated learners, by name, each with their follow-ups by month."""
    learners = db.scalars(
        select(Learner).where(
            Learner.organisation_id == organisation_id, Learner.erased_at.is_(None),
            Learner.id.in_(select(Assessment.learner_id)
                           .join(TrainingSession, Assessment.session_id == TrainingSession.id)
                           .where(TrainingSession.organisation_id == organisation_id)))
        .order_by(Learner.name, Learner.id)).all()
    outcomes: dict[int, dict[int, LearnerOutcome]] = {}
    for outcome in db.scalars(select(LearnerOutcome).where(
            LearnerOutcome.organisation_id == organisation_id)):
        outcomes.setdefault(outcome.learner_id, {})[outcome.months] = outcome
    return [(learner, outcomes.get(learner.id, {})) for learner in learners]
