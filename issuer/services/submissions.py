"""Evaluations sent from a trainer's device: each under the id the device gave it, answered once.

A trainer's phone queues an evaluation while the network is away and sends it when it returns,
perhaps twice (the answer to the first try was lost). Each carries a client-generated id and the
version of the evaluation its form was loaded with:

- a replay of an id already received is answered from its record, never applied again;
- a version that is no longer the evaluation's (another phone saved in between) and a content
  that differs from what stands is a conflict: the submission is kept, nothing is overwritten,
  and the trainer chooses which version stands (`choose`); both stay on record;
- otherwise the evaluation is saved through `issuing.save_assessment` (which counts the version).

A learner added on the phone (a walk-in, perhaps while offline) travels the same way before
their evaluation: `enrol` creates them once per id, and a replay answers with the same learner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import (
    Assessment,
    Credential,
    EvaluationSubmission,
    TrainingSession,
    User,
)

from . import consent, issuing
from .base import Actor, InvalidAssessment, NotFound, audit, require_organisation
from .learners import create_learner

CLIENT_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
APPLIED, CONFLICT, CHOSEN, SET_ASIDE = "applied", "conflict", "chosen", "set-aside"
SAVE, ISSUE, ENROL = "save", "issue", "enrol"


@dataclass(frozen=True)
class Evaluation:
    """What an evaluation form says: levels and comments per gesture, narrative, consent, dates."""

    levels: dict[str, str]
    comments: dict[str, str]
    narrative: str | None = None
    evidence_public: bool = False
    activity_start: date | None = None
    activity_end: date | None = None

    @classmethod
    def of(cls, record: Assessment | EvaluationSubmission) -> Evaluation:
        return cls(dict(record.levels or {}), dict(record.comments or {}), record.narrative,
                   bool(record.evidence_public), record.activity_start, record.activity_end)


@dataclass(frozen=True)
class Receipt:
    """The submission as recorded, and whether this call was a replay of an earlier one."""

    submission: EvaluationSubmission
    replayed: bool

    @property
    def conflict(self) -> bool:
        return self.submission.outcome == CONFLICT


@dataclass(frozen=True)
class NewLearner:
    """What the quick-add form says of a learner: name, optional e-mail and language, consent."""

    name: str
    email: str | None
    language: str | None
    answers: consent.Consent


def enrol(db: Session, training_session: TrainingSession, client_id: str, learner: NewLearner,
          actor: Actor) -> Receipt:
    """Add a new learner to the session under the id the device gave the addition: created
    once, with their consent and an empty evaluation; a replay answers with that evaluation
    (recorded as an `enrol` submission of it) and creates nobody."""
    if not CLIENT_ID.match(client_id or ""):
        raise InvalidAssessment(N_("this evaluation was sent without a valid id"))
    organisation_id = training_session.organisation_id
    require_organisation(actor, organisation_id)
    earlier = _submission(db, organisation_id, client_id)
    if earlier is not None:
        return Receipt(earlier, replayed=True)
    try:
        # All or nothing: of the same id arriving twice at once, one learner stays.
        with db.begin_nested():
            person = create_learner(db, training_session.organisation, learner.name,
                                    learner.email, learner.language, actor,
                                    answers=learner.answers)
            assessment = issuing.save_assessment(db, training_session.id, person.id, {}, {},
                                                 None, actor)
            submission = EvaluationSubmission(
                organisation_id=organisation_id, client_id=client_id,
                assessment_id=assessment.id,
                user_id=actor.id if isinstance(actor, User) else None,
                base_version=None, levels={}, comments={}, action=ENROL, outcome=APPLIED)
            db.add(submission)
            db.flush()
    except IntegrityError:
        winner = _submission(db, organisation_id, client_id)
        if winner is None:
            raise
        return Receipt(winner, replayed=True)
    return Receipt(submission, replayed=False)


def receive(db: Session, assessment: Assessment, client_id: str, base_version: int | None,
            evaluation: Evaluation, action: str, actor: Actor) -> Receipt:
    """Record one submission of `assessment` and save it unless it conflicts (see the module)."""
    if not CLIENT_ID.match(client_id or "") or action not in (SAVE, ISSUE):
        raise InvalidAssessment(N_("this evaluation was sent without a valid id"))
    organisation_id = assessment.session.organisation_id
    require_organisation(actor, organisation_id)
    earlier = _submission(db, organisation_id, client_id)
    if earlier is not None:
        return _replay(earlier, assessment)
    # One submission of an evaluation at a time (PostgreSQL): of two phones sending at once,
    # the second reads the version the first wrote.
    db.execute(select(Assessment.id).where(Assessment.id == assessment.id).with_for_update())
    db.refresh(assessment)
    stale = base_version is not None and base_version != assessment.version
    changed = evaluation != Evaluation.of(assessment)
    # An issued evaluation no longer changes: a different version sent afterwards waits too.
    outcome = CONFLICT if changed and (stale or _issued(db, assessment)) else APPLIED
    submission = EvaluationSubmission(
        organisation_id=organisation_id, client_id=client_id, assessment_id=assessment.id,
        user_id=actor.id if isinstance(actor, User) else None, base_version=base_version,
        levels=evaluation.levels, comments=evaluation.comments, narrative=evaluation.narrative,
        evidence_public=evaluation.evidence_public, activity_start=evaluation.activity_start,
        activity_end=evaluation.activity_end, action=action, outcome=outcome)
    try:
        with db.begin_nested():
            db.add(submission)
            db.flush()
    except IntegrityError:
        # The same id arrived twice at once: the first one recorded is the answer.
        winner = _submission(db, organisation_id, client_id)
        if winner is None:
            raise
        return _replay(winner, assessment)
    if outcome == CONFLICT:
        audit(db, "evaluation.conflict", actor, organisation_id,
              subject=f"assessment:{assessment.id}", submission=client_id,
              loaded_version=base_version, standing_version=assessment.version)
    elif changed:
        _apply(db, assessment, evaluation, actor)
    return Receipt(submission, replayed=False)


def open_conflicts(db: Session, assessment: Assessment) -> list[EvaluationSubmission]:
    """The submissions of this evaluation waiting for the trainer's choice, oldest first."""
    return list(db.scalars(select(EvaluationSubmission).where(
        EvaluationSubmission.assessment_id == assessment.id,
        EvaluationSubmission.outcome == CONFLICT).order_by(EvaluationSubmission.id)))


def learners_in_conflict(db: Session, session_id: int) -> set[int]:
    """The learners of a session whose evaluation waits for the trainer's choice."""
    return set(db.scalars(select(Assessment.learner_id).join(
        EvaluationSubmission, EvaluationSubmission.assessment_id == Assessment.id).where(
        Assessment.session_id == session_id, EvaluationSubmission.outcome == CONFLICT)))


def choose(db: Session, assessment: Assessment, submission_id: int | None,
           actor: Actor) -> EvaluationSubmission | None:
    """Settle the open conflicts of `assessment`: the submission `submission_id` stands (it is
    saved as a new version), or with None the version that stands now stays. The others are set
    aside, and kept. Returns the chosen submission (None when the standing version stays)."""
    require_organisation(actor, assessment.session.organisation_id)
    waiting = open_conflicts(db, assessment)
    chosen = next((item for item in waiting if item.id == submission_id), None)
    if submission_id is not None and chosen is None:
        raise NotFound(N_("this version was already settled or does not exist"))
    now = utc_seconds()
    if chosen is not None:
        _apply(db, assessment, Evaluation.of(chosen), actor)
    for item in waiting:
        item.outcome = CHOSEN if item is chosen else SET_ASIDE
        item.resolved_at = now
        item.resolved_by = actor.id if isinstance(actor, User) else None
    audit(db, "evaluation.conflict_resolved", actor, assessment.session.organisation_id,
          subject=f"assessment:{assessment.id}",
          chosen=chosen.client_id if chosen is not None else "standing",
          set_aside=[item.client_id for item in waiting if item is not chosen],
          version=assessment.version)
    return chosen


def _apply(db: Session, assessment: Assessment, evaluation: Evaluation, actor: Actor) -> None:
    issuing.save_assessment(
        db, assessment.session_id, assessment.learner_id, evaluation.levels, evaluation.comments,
        evaluation.narrative, actor, activity_start=evaluation.activity_start,
        activity_end=evaluation.activity_end, evidence_public=evaluation.evidence_public)


def _issued(db: Session, assessment: Assessment) -> bool:
    return db.scalar(select(Credential.id).where(Credential.assessment_id == assessment.id)) \
        is not None


def _submission(db: Session, organisation_id: int, client_id: str) -> EvaluationSubmission | None:
    return db.scalar(select(EvaluationSubmission).where(
        EvaluationSubmission.organisation_id == organisation_id,
        EvaluationSubmission.client_id == client_id))


def _replay(earlier: EvaluationSubmission, assessment: Assessment) -> Receipt:
    if earlier.assessment_id != assessment.id:
        raise InvalidAssessment(N_("this evaluation id was already used for another learner"))
    return Receipt(earlier, replayed=True)
