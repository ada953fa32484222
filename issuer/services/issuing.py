"""From a trainer's evaluation to a signed OpenBadgeCredential, atomically and only once.

`save_assessment` stores the evaluation first (a trainer never loses one). `issue_for_assessment`
checks the micro-training's validation rule, builds the credential in the learner's language
and mints it (`minting.mint`: validated before signing, signed with the organisation's active
key, stored with its status slot, short id and claim token) with its audit event — all inside
one SAVEPOINT, so a failure leaves nothing behind. Then it announces `events.issued`, on which
skill stacking awards the skills this badge completes, in the same transaction.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session, selectinload

from issuer.core import builders
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_, Joined, Localised, Message
from issuer.domain import catalogue as core_catalogue
from issuer.domain.catalogue import MicroTraining
from issuer.domain.signed_texts import TRAINER_COMMENT
from issuer.languages import in_language
from issuer.store.models import (
    Assessment,
    Credential,
    EvidenceFile,
    Learner,
    TrainingSession,
    User,
)

from . import catalogue as catalogue_service
from . import claim_links, consent, events
from .base import (
    Actor,
    InvalidAssessment,
    NotFound,
    NotIssuable,
    ServiceError,
    audit,
    require_organisation,
)
from .endorsements import endorsements_for
from .keys import issuer_profile_builder
from .minting import Order, learner_language, mint_many
from .urls import public_url


class AlreadyIssued(ServiceError):
    """The assessment has a credential; change it by revoking and re-evaluating."""


def evidence_url(evidence: EvidenceFile) -> str:
    """The https URL of an evidence file (never a data: URI inside the credential)."""
    return public_url(evidence, f"/evidence/{evidence.uuid}")


@dataclass(frozen=True)
class Evaluated:
    """One learner's evaluation to save (see `save_assessment`)."""

    learner_id: int
    levels: Mapping[str, str]
    comments: Mapping[str, str]
    narrative: str | None
    activity_start: date | None = None
    activity_end: date | None = None
    evidence_public: bool = False


def save_assessment(db: Session, session_id: int, learner_id: int, levels: Mapping[str, str],
                    comments: Mapping[str, str], narrative: str | None, actor: Actor,
                    activity_start: date | None = None, activity_end: date | None = None,
                    evidence_public: bool = False) -> Assessment:
    """Create or update the evaluation of one learner in one session; return it (flushed).

    `levels` maps gesture id → rubric level id (a gesture may be left out: not evaluated yet);
    `comments` maps gesture id (or "" for the whole) → text. The comments, narrative and photos
    go into the badge only with `evidence_public` (the learner agreed to show them).
    """
    return save_assessments(db, session_id, [Evaluated(
        learner_id, levels, comments, narrative, activity_start, activity_end,
        evidence_public)], actor)[0]


def save_assessments(db: Session, session_id: int, evaluations: list[Evaluated],
                     actor: Actor) -> list[Assessment]:
    """`save_assessment` for several learners of one session (a chunk of a bulk job): their
    earlier evaluations are read in one query and the new ones inserted in one flush."""
    session = _get(db, TrainingSession, session_id, N_("no training session with id %(id)s"))
    require_organisation(actor, session.organisation_id)
    training = catalogue_service.training_of(session.template)
    learner_ids = [evaluation.learner_id for evaluation in evaluations]
    for evaluation in evaluations:
        learner = _get(db, Learner, evaluation.learner_id, N_("no learner with id %(id)s"))
        if learner.organisation_id != session.organisation_id:
            raise NotFound(N_("this learner does not belong to the session's organisation"))
        _check_levels(training, evaluation.levels, evaluation.comments)
    earlier = {assessment.learner_id: assessment for assessment in db.scalars(
        select(Assessment).where(Assessment.session_id == session_id,
                                 Assessment.learner_id.in_(learner_ids)))}
    issued = _credentials_of(db, [a.id for a in earlier.values()]) if earlier else {}
    saved = []
    for evaluation in evaluations:
        assessment = earlier.get(evaluation.learner_id)
        if assessment is None:
            assessment = Assessment(session_id=session_id, learner_id=evaluation.learner_id)
            db.add(assessment)
        elif assessment.id in issued:
            raise AlreadyIssued(
                N_("this evaluation already has a badge; revoke it to evaluate again"))
        else:
            assessment.version = (assessment.version or 1) + 1
        assessment.levels = {k: v for k, v in evaluation.levels.items() if v}
        assessment.comments = {k: v.strip() for k, v in evaluation.comments.items()
                               if v and v.strip()}
        assessment.narrative = (evaluation.narrative or "").strip() or None
        assessment.evidence_public = evaluation.evidence_public
        assessment.activity_start = evaluation.activity_start
        assessment.activity_end = evaluation.activity_end
        assessment.trainer_id = actor.id if isinstance(actor, User) else assessment.trainer_id
        saved.append(assessment)
    db.flush()
    return saved


def issue_for_assessment(db: Session, assessment_id: int, actor: Actor,
                         now: datetime | None = None) -> Credential:
    """Issue the badge of an assessment; a second call returns the same credential.

    On first issue the returned credential carries the claim token once, in the transient
    attribute `claim_token` (only its sha256 is stored); otherwise `claim_token` is None.
    Raises NotIssuable when the validation rule is not met or the learner was erased.
    """
    return issue_for_assessments(db, [assessment_id], actor, now)[0]


def issue_for_assessments(db: Session, assessment_ids: list[int], actor: Actor,
                          now: datetime | None = None) -> list[Credential]:
    """`issue_for_assessment` for several assessments of one session at once (a chunk of a
    bulk job), in the same order: minted together (`minting.mint_many`) in one SAVEPOINT and
    announced together. Raises as soon as one of them cannot be issued, issuing none."""
    assessments = [_get(db, Assessment, assessment_id, N_("no assessment with id %(id)s"))
                   for assessment_id in assessment_ids]
    existing = _credentials_of(db, assessment_ids)
    for credential in existing.values():
        credential.claim_token = None
    new = [assessment for assessment in assessments if assessment.id not in existing]
    if new:
        now = utc_seconds(now)
        session = new[0].session
        require_organisation(actor, session.organisation_id)
        training = catalogue_service.training_of(session.template)
        for assessment in new:
            if assessment.session_id != session.id:
                raise ValueError("assessments of one session only")
            _check_issuable(training, assessment, assessment.learner)
        try:
            with db.begin_nested():
                issued = _issue(db, new, training, actor, now)
        except IntegrityError:
            if len(new) > 1:  # which one? Each in turn, as alone.
                return [issue_for_assessment(db, assessment_id, actor, now)
                        for assessment_id in assessment_ids]
            # A concurrent request issued this assessment first: its credential is the answer.
            winner = _credential_of(db, new[0].id)
            if winner is None:
                raise
            winner.claim_token = None
            return [winner]
        events.issued.send_many(db, issued, actor, now)
        existing.update({credential.assessment_id: credential for credential in issued})
    return [existing[assessment_id] for assessment_id in assessment_ids]


def credential_for_claim_token(db: Session, token: str) -> Credential | None:
    """The credential a claim token opens, or None."""
    return claim_links.credential_for_token(db, token)


# --- issuing ---------------------------------------------------------------------------------


def _issue(db: Session, assessments: list[Assessment], training: MicroTraining, actor: Actor,
           now: datetime) -> list[Credential]:
    session = assessments[0].session
    org = session.organisation
    _load_consents(db, assessments)
    achievements: dict[str, builders.Achievement] = {}  # one per language for the chunk
    orders = []
    for assessment in assessments:
        language = learner_language(assessment.learner, org, training)
        if language not in achievements:
            achievements[language] = _achievement(session.template, training, language)
        orders.append(Order(partial(build_credential, assessment, training, language, now=now,
                                    achievement=achievements[language]),
                            {"learner_id": assessment.learner_id, "assessment_id": assessment.id,
                             "template_pk": session.template_pk,
                             "kind": catalogue_service.TRAINING, "language": language,
                             "valid_from": now, "valid_until": _valid_until(training, now)}))
    credentials = mint_many(db, org, orders, now)
    template = f"{session.template.template_id}@{session.template.version}"
    for credential in credentials:
        audit(db, "credential.issue", actor, org, credential.uuid,
              short_id=credential.short_id, template=template)
    return credentials


def _load_consents(db: Session, assessments: list[Assessment]) -> None:
    """Read the learners' consent answers in one query for a chunk, not one per badge."""
    if len(assessments) > 1:
        db.scalars(select(Learner).where(Learner.id.in_([a.learner_id for a in assessments]))
                   .options(selectinload(Learner.consents))).all()


def build_credential(assessment: Assessment, training: MicroTraining, language: str,
                     credential_id: str, credential_status: dict, *, now: datetime,
                     achievement: builders.Achievement | None = None) -> dict:
    """The unsigned OpenBadgeCredential of an assessment (`achievement`: the micro-training's
    in `language`, when the caller has it already)."""
    session, learner = assessment.session, assessment.learner
    achievement = achievement or _achievement(session.template, training, language)
    subject = builders.AchievementSubject(
        achievement=achievement,
        identifiers=tuple(consent.subject_identifiers(learner)),
        id=learner.wallet_did or None,
        results=tuple(_results(training, achievement, assessment.levels)),
        activity_start_date=_midnight(assessment.activity_start or session.starts_on),
        activity_end_date=_midnight(assessment.activity_end or session.ends_on),
        narrative=assessment.narrative if assessment.evidence_public else None,
    )
    credential = builders.OpenBadgeCredential(
        id=credential_id,
        issuer=issuer_profile_builder(session.organisation),
        subject=subject,
        valid_from=now,
        valid_until=_valid_until(training, now),
        evidence=tuple(_evidence(assessment, training, language)),
        credential_status=credential_status,
    )
    return credential.to_json()


def _achievement(template, training: MicroTraining, language: str) -> builders.Achievement:
    return achievement_of(object_session(template), template, language, training)


def achievement_of(db: Session, template, language: str,
                   training: MicroTraining | None = None) -> builders.Achievement:
    """The Achievement of a micro-training version in `language`, as credentials embed it.

    Issuance and the published achievement document both build it here, so the document at an
    achievement's id is exactly what new credentials carry, partners' endorsements included.
    """
    training = training or catalogue_service.training_of(template)
    related = {other: catalogue_service.achievement_id(template, other)
               for other in training.languages if other != language}
    achievement = core_catalogue.achievement_for(
        training, language, catalogue_service.achievement_id(template, language), related)
    endorsed = endorsements_for(db, template, language)
    return replace(achievement, endorsements=tuple(endorsed))


def _results(training: MicroTraining, achievement: builders.Achievement,
             levels: Mapping[str, str]) -> list[builders.Result]:
    # The achievement lists one result description per gesture, in the file's order, and each
    # description's rubric levels in the gesture's order.
    results = []
    for gesture, description in zip(training.gestures, achievement.result_descriptions,
                                    strict=True):
        level_id = levels.get(gesture.id)
        if level_id is None:
            continue
        position = [level.id for level in gesture.levels].index(level_id)
        level = description.rubric_criterion_levels[position]
        results.append(builders.Result(result_description=description.id,
                                       achieved_level=level.id))
    return results


def _evidence(assessment: Assessment, training: MicroTraining, language: str):
    # Comments and photos are the learner's: they travel with the badge, which anyone may
    # read, only when the learner agreed.
    if not assessment.evidence_public:
        return
    names = {gesture.id: gesture.name_in(language) for gesture in training.gestures}
    if assessment.comments.get(""):
        yield builders.Evidence(name=in_language(TRAINER_COMMENT, language),
                                narrative=assessment.comments[""])
    # A photo is published only if the learner agreed to photos too.
    shown = assessment.evidence if consent.given(assessment.learner, consent.PHOTO) else []
    for gesture in training.gestures:
        comment = assessment.comments.get(gesture.id)
        photos = [f for f in shown if f.gesture_id == gesture.id]
        if comment and not photos:
            yield builders.Evidence(name=names[gesture.id], narrative=comment)
        for number, photo in enumerate(photos):
            yield builders.Evidence(id=evidence_url(photo), name=names[gesture.id],
                                    narrative=comment if number == 0 else None,
                                    genre=_genre(photo))
    for photo in (f for f in shown if f.gesture_id not in names):
        yield builders.Evidence(id=evidence_url(photo), name=photo.filename,
                                genre=_genre(photo))


def _genre(evidence: EvidenceFile) -> str:
    return "Photograph" if evidence.media_type.startswith("image/") else "Document"


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def _valid_until(training: MicroTraining, now: datetime) -> datetime | None:
    if not training.validity_months:
        return None
    months = now.month - 1 + training.validity_months
    year, month = now.year + months // 12, months % 12 + 1
    day = min(now.day, calendar.monthrange(year, month)[1])
    return now.replace(year=year, month=month, day=day)


# --- checks ----------------------------------------------------------------------------------


def _check_levels(training: MicroTraining, levels: Mapping[str, str],
                  comments: Mapping[str, str]) -> None:
    gestures = {gesture.id: gesture for gesture in training.gestures}
    for gesture_id, level_id in levels.items():
        if gesture_id not in gestures:
            raise InvalidAssessment(N_("%(training)s has no gesture %(gesture)s",
                                       training=training.id, gesture=repr(gesture_id)))
        known = [level.id for level in gestures[gesture_id].levels]
        if level_id and level_id not in known:
            raise InvalidAssessment(N_(
                "gesture %(gesture)s has no level %(level)s; choose one of %(levels)s",
                gesture=repr(gesture_id), level=repr(level_id), levels=str(known)))
    for key in comments:
        if key and key not in gestures:
            raise InvalidAssessment(N_("%(training)s has no gesture %(gesture)s to comment on",
                                       training=training.id, gesture=repr(key)))


def _check_issuable(training: MicroTraining, assessment: Assessment, learner: Learner) -> None:
    if learner.erased_at is not None:
        raise NotIssuable(N_("the learner's personal data was erased at their request"))
    if not training.is_validated(assessment.levels):
        missing = [Localised(gesture.name) for gesture in training.gestures
                   if gesture.id not in assessment.levels
                   or not gesture.is_acquired(assessment.levels[gesture.id])]
        raise NotIssuable(N_(
            "%(training)s is not validated yet: %(needed)s of %(total)s gestures must be "
            "acquired; not yet: %(missing)s", training=Localised(training.name),
            needed=training.gestures_needed, total=len(training.gestures),
            missing=Joined(missing, ", ")))


def _credential_of(db: Session, assessment_id: int) -> Credential | None:
    return db.scalar(select(Credential).where(Credential.assessment_id == assessment_id))


def _credentials_of(db: Session, assessment_ids: list[int]) -> dict[int, Credential]:
    """The credentials already issued for these assessments, by assessment id."""
    return {credential.assessment_id: credential for credential in db.scalars(
        select(Credential).where(Credential.assessment_id.in_(assessment_ids)))}


def _get(db: Session, model, record_id: int, missing: Message):
    """The record, or NotFound with `missing` (an N_ template with `%(id)s`) filled in."""
    record = db.get(model, record_id)
    if record is None:
        raise NotFound(N_(missing.template, id=record_id))
    return record
