"""Intake: from a request to issue (an API call, a line of a bulk CSV file) to an assessment and,
when the micro-training is validated, a credential.

The API and the CSV file used to read levels and recognise learners each in their own way, and
disagreed. Here there is one of each: `level_id` reads a level, `learner_key` and `Roster`
recognise a learner, `record` saves the evaluation and issues. The bulk file (services/bulk.py)
reads its lines and reports on them with these.

An API request is read against its schema (services/intake_requests.py), planned without
writing (`plan_issue`, so a dry run answers exactly what a real run would) and carried out
(`carry_out`: creates what is missing, saves the evaluation, issues). Refusals are
`IntakeError`s with a stable `code`; the shell decides the HTTP status.

Idempotency: a repeated `idempotency_key` returns the credential issued the first time. The key
is stored in `api_idempotency_key` in the issuing transaction, unique per organisation, so of two
simultaneous requests with one key only one commits; the other is rolled back and answers with
the first one's credential. Without a key, the same learner in the same session returns the
credential they already hold, because issuing is idempotent per evaluation.

With `send_claim_email: true` the claim link goes to the learner's e-mail after the badge is
committed: a mail failure never undoes an issued badge, it is reported in `claim_email`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, joinedload

from issuer.core.clock import utc_seconds
from issuer.domain.catalogue import ACQUIRED, NOT_YET, Gesture, MicroTraining
from issuer.store.models import (
    AchievementTemplate,
    ApiIdempotencyKey,
    ApiToken,
    Assessment,
    Credential,
    Learner,
    TrainingSession,
)

from . import catalogue, consent, issuing, learners, mail, unit_of_work
from .base import settings_of
from .intake_requests import IntakeError, IssueRequest, LearnerInput, Problems, parse_issue_request

API_SESSION_TITLE = "API"
# Words a person may write instead of a rubric level id, folded to the two default levels.
LEVEL_ALIASES = {"acquired": ACQUIRED, "not-yet": NOT_YET, "not yet": NOT_YET,
                 "not_yet": NOT_YET}

# What became of a request (the CSV report and the API answer name the same three).
ISSUED = "issued"
ALREADY_ISSUED = "already-issued"
NOT_YET_ACQUIRED = "not-yet"


# --- one level parser, one learner matcher ----------------------------------------------------


def level_id(gesture: Gesture, value: str) -> str | None:
    """The rubric level of `gesture` that `value` names: a level id, 'acquired' (the required
    level) or 'not-yet' (the level below it); None when there is none, so 'not-yet' names
    nothing when the required level is the lowest."""
    ids = [level.id for level in gesture.levels]
    folded = value.strip().lower()
    if folded in ids:
        return folded
    alias = LEVEL_ALIASES.get(folded)
    if alias == ACQUIRED:
        return gesture.required_level
    if alias == NOT_YET and ids.index(gesture.required_level) > 0:
        return ids[ids.index(gesture.required_level) - 1]
    return None


def not_acquired(training: MicroTraining, levels: Mapping[str, str]) -> list[Gesture]:
    """The gestures whose level is missing, unknown or below the required one."""
    return [gesture for gesture in training.gestures
            if levels.get(gesture.id) not in {level.id for level in gesture.levels}
            or not gesture.is_acquired(levels[gesture.id])]


def unanswered_gestures(training: MicroTraining, levels: Mapping[str, str],
                        language: str) -> list[str]:
    """The names of the gestures the trainer has not evaluated yet (no known level), in
    `language`: an unanswered gesture is a question still open, never a failure."""
    return [gesture.name_in(language) for gesture in training.gestures
            if levels.get(gesture.id) not in {level.id for level in gesture.levels}]


def not_yet_gestures(training: MicroTraining, levels: Mapping[str, str],
                     language: str) -> list[str]:
    """The names of the gestures not acquired, in `language`."""
    return [gesture.name_in(language) for gesture in not_acquired(training, levels)]


def learner_key(name: str, email: str | None) -> tuple[str, str]:
    """How a learner is recognised: the name with its spaces collapsed and the e-mail trimmed,
    both case-insensitively."""
    return " ".join(name.split()).casefold(), (email or "").strip().casefold()


@dataclass(frozen=True)
class Enrolment:
    """A learner known for a session, and the credential they hold for it, if any."""

    learner: Learner
    credential: Credential | None


class Roster:
    """Who intake already knows for a session: its learners (with their credential) first, then
    the organisation's learners with the same name and e-mail, so their badges stack into skills.
    Without an e-mail a name alone is too weak to recognise someone outside the session.
    Erased learners are never recognised."""

    def __init__(self, db: Session, organisation_id: int, session: TrainingSession | None):
        self._db, self._organisation_id = db, organisation_id
        self._enrolled: dict[tuple[str, str], Enrolment] = {}
        self._held: dict[int, Credential] = {}
        self._by_email: dict[str, list[Learner]] = {}
        if session is None:
            return
        for assessment, credential in db.execute(
                select(Assessment, Credential)
                .outerjoin(Credential, Credential.assessment_id == Assessment.id)
                .where(Assessment.session_id == session.id)
                .options(joinedload(Assessment.learner), defer(Credential.signed_json))):
            learner = assessment.learner
            if credential is not None:
                self._held[learner.id] = credential
            if learner.erased_at is None:
                self._enrolled[learner_key(learner.name, learner.email)] = Enrolment(
                    learner, credential)

    def find(self, name: str, email: str | None) -> Enrolment | None:
        """The learner with this name and e-mail, or None when one must be created."""
        key = learner_key(name, email)
        if key in self._enrolled:
            return self._enrolled[key]
        if not key[1]:
            return None
        folded = email.strip().lower()
        known = self._by_email.pop(folded, None)  # read ahead once, then asked afresh
        for learner in known if known is not None else self._with_emails([folded]):
            if learner_key(learner.name, learner.email) == key:
                return Enrolment(learner, None)
        return None

    def read_ahead(self, emails: list[str | None]) -> None:
        """Read the organisation's learners with these e-mails in one query, for the next
        `find` of each (a bulk job reads a chunk's rows so)."""
        folded = sorted({email.strip().lower() for email in emails if email})
        self._by_email = {email: [] for email in folded}
        for learner in self._with_emails(folded):
            self._by_email[learner.email.lower()].append(learner)

    def _with_emails(self, folded: list[str]) -> list[Learner]:
        return list(self._db.scalars(select(Learner).where(
            Learner.organisation_id == self._organisation_id, Learner.erased_at.is_(None),
            func.lower(Learner.email).in_(folded)).order_by(Learner.id)))

    def enrolled(self) -> list[Enrolment]:
        """The session's learners (never an erased one)."""
        return list(self._enrolled.values())

    def held(self, learner: Learner | None) -> Credential | None:
        """The credential `learner` holds for the session."""
        return None if learner is None else self._held.get(learner.id)


# --- from an evaluation to a credential -------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """What a request says of one learner: a level per gesture, comments, dates."""

    levels: dict[str, str]
    comments: dict[str, str]
    narrative: str | None
    activity_start: date | None
    activity_end: date | None
    evidence_public: bool = False  # the learner agreed that comments travel with the badge


def record(db: Session, training: MicroTraining, session: TrainingSession, learner: Learner,
           evaluation: Evaluation, actor, now: datetime | None = None) -> Credential | None:
    """Save the evaluation and issue when it validates the micro-training; None when not yet
    (the evaluation is kept: it counts in the statistics). The caller commits."""
    assessment = save_evaluation(db, session, learner, evaluation, actor)
    if not training.is_validated(evaluation.levels):
        return None
    return _issue(db, assessment, actor, now)


def save_evaluation(db: Session, session: TrainingSession, learner: Learner,
                    evaluation: Evaluation, actor) -> Assessment:
    """Save the evaluation of `learner` in `session` (`record` without issuing)."""
    return save_evaluations(db, session, [(learner, evaluation)], actor)[0]


def save_evaluations(db: Session, session: TrainingSession,
                     evaluated: list[tuple[Learner, Evaluation]], actor) -> list[Assessment]:
    """Save several learners' evaluations in `session` at once (a bulk job's chunk, whose
    validated ones it then issues together with `issue_all`)."""
    return issuing.save_assessments(db, session.id, [issuing.Evaluated(
        learner.id, evaluation.levels, evaluation.comments, evaluation.narrative,
        evaluation.activity_start, evaluation.activity_end, evaluation.evidence_public)
        for learner, evaluation in evaluated], actor)


def _issue(db: Session, assessment: Assessment, actor, now: datetime | None) -> Credential:
    """The one place intake turns an assessment into a credential."""
    return issue_all(db, [assessment], actor, now)[0]


def issue_all(db: Session, assessments: list[Assessment], actor,
              now: datetime | None) -> list[Credential]:
    """The credentials of validated assessments of one session, issued together."""
    return issuing.issue_for_assessments(db, [a.id for a in assessments], actor, now=now)


# --- planning an API request (reads only) -----------------------------------------------------


@dataclass
class Plan:
    """Everything an issue request resolves to; None for what carrying it out will create."""

    request: IssueRequest
    template: AchievementTemplate
    training: MicroTraining
    session: TrainingSession | None
    learner: Learner | None
    levels: dict[str, str]
    existing: Credential | None = None
    not_yet: list[dict] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """What carrying the plan out would do."""
        if self.existing is not None:
            return ALREADY_ISSUED
        return NOT_YET_ACQUIRED if self.not_yet else ISSUED


def plan_issue(db: Session, token: ApiToken, request: IssueRequest) -> Plan:
    """Resolve template, session, learner and levels for `token`'s organisation; write nothing.

    Raises IntakeError: forbidden for another organisation's session or learner,
    idempotency_key_reused for a key reused with different content, else validation_failed.
    """
    replay = _replayed(db, token, request)
    session = _session(db, token, request.session_id) if request.session_id else None
    template = (session.template if session is not None
                else _template(db, token.organisation, request.template_id))
    if session is not None and request.template_id not in (None, template.template_id):
        raise IntakeError("validation_failed", "the session is of another micro-training",
                          [{"field": "template_id", "message": f"session {session.id} is of "
                            f"{template.template_id!r}, not {request.template_id!r}"}])
    training = catalogue.training_of(template)
    levels = _levels(training, request.results)
    _check_comments(training, request.comments)
    if session is None:
        session = _api_session(db, token, template, request)
    roster = Roster(db, token.organisation_id, session)
    learner = _learner(db, token, request, roster)
    _check_claim_email(db, request, learner)
    plan = Plan(request, template, training, session, learner, levels)
    plan.existing = replay or roster.held(learner)
    plan.not_yet = not_yet_details(training, levels)
    return plan


def _replayed(db: Session, token: ApiToken, request: IssueRequest) -> Credential | None:
    """The credential issued for this request's idempotency key; refused if the key meant
    another request."""
    if request.idempotency_key is None:
        return None
    remembered = db.scalar(select(ApiIdempotencyKey).where(
        ApiIdempotencyKey.organisation_id == token.organisation_id,
        ApiIdempotencyKey.key == request.idempotency_key))
    if remembered is None:
        return None
    if remembered.fingerprint != request.fingerprint:
        raise IntakeError("idempotency_key_reused",
                          "this idempotency_key was already used for a different request; "
                          "use a new key for a new badge", [{"field": "idempotency_key",
                                                             "message": "already used"}])
    return remembered.credential


def _check_claim_email(db: Session, request: IssueRequest, learner: Learner | None) -> None:
    """Refuse `send_claim_email` up front when no e-mail could go out (nothing is written)."""
    if not request.send_claim_email:
        return
    problems = Problems()
    if not mail.is_configured(settings_of(db)):
        problems.add("send_claim_email", "e-mail is not configured on this server "
                     "(SMTP_HOST and SMTP_FROM)")
    address = learner.email if learner is not None else (
        request.learner.email if request.learner is not None else None)
    if not address:
        problems.add("send_claim_email", "the learner has no e-mail address")
    elif not (consent.given(learner, consent.EMAIL) if learner is not None else
              bool((request.learner.consent or {}).get(consent.EMAIL))):
        problems.add("send_claim_email", "the learner did not agree to receive e-mail "
                     "(consent.email): hand over the printed card instead")
    problems.raise_if_any()


def _session(db: Session, token: ApiToken, session_id: int) -> TrainingSession:
    session = db.get(TrainingSession, session_id)
    if session is None:
        raise IntakeError("validation_failed", f"there is no session {session_id}",
                          [{"field": "session_id", "message": "no such session"}])
    if session.organisation_id != token.organisation_id:
        raise IntakeError("forbidden", f"session {session_id} belongs to another organisation")
    return session


def _template(db: Session, organisation, template_id: str) -> AchievementTemplate:
    # The version this organisation issues from (its own, adopted, or the shared catalogue's).
    template = catalogue.issuable_template(db, organisation, template_id)
    if template is None or template.kind != catalogue.TRAINING:
        raise IntakeError("validation_failed", f"there is no micro-training {template_id!r}",
                          [{"field": "template_id",
                            "message": "not in the imported catalogue (GET /api/v1/templates)"}])
    return template


def _levels(training: MicroTraining, results: Mapping[str, str]) -> dict[str, str]:
    problems = Problems()
    gestures = {gesture.id: gesture for gesture in training.gestures}
    levels = {}
    for gesture_id, value in results.items():
        gesture = gestures.get(gesture_id)
        if gesture is None:
            problems.add(f"results.{gesture_id}",
                         f"{training.id} has no gesture {gesture_id!r}; its gestures are "
                         f"{', '.join(gestures)}")
            continue
        level = level_id(gesture, value)
        if level is None:
            known = [level.id for level in gesture.levels]
            problems.add(f"results.{gesture_id}",
                         f"{value!r} is not a level; use one of {', '.join(known)}")
        else:
            levels[gesture_id] = level
    problems.raise_if_any()
    return levels


def _check_comments(training: MicroTraining, comments: Mapping[str, str]) -> None:
    gestures = {gesture.id for gesture in training.gestures}
    problems = Problems()
    for key in comments:
        if key and key not in gestures:
            problems.add(f"comments.{key}", f"{training.id} has no gesture {key!r} "
                         "(use \"\" for a comment on the whole training)")
    problems.raise_if_any()


def not_yet_details(training: MicroTraining, levels: Mapping[str, str]) -> list[dict]:
    """One detail per gesture below its required level (or not evaluated), [] when validated."""
    if training.is_validated(levels):
        return []
    return [{
        "field": f"results.{gesture.id}",
        "message": f"{gesture.name_in('en')}: not yet acquired "
                   f"(needs {gesture.required_level!r}, got {levels.get(gesture.id)!r})",
        "gesture": gesture.id,
        "level": levels.get(gesture.id),
        "required_level": gesture.required_level,
    } for gesture in not_acquired(training, levels)]


def not_yet_error(plan: Plan) -> IntakeError:
    """The refusal of an evaluation that does not validate the micro-training."""
    names = ", ".join(detail["gesture"] for detail in plan.not_yet)
    return IntakeError("not_yet_acquired",
                       f"{plan.training.name_in('en')} is not validated yet: "
                       f"{plan.training.gestures_needed} of {len(plan.training.gestures)} "
                       f"gestures must be acquired; not yet: {names}. The evaluation was saved.",
                       plan.not_yet)


def session_dates(request: IssueRequest) -> tuple[date, date]:
    """The dates of the API session a request without session_id goes into (default: today)."""
    starts_on = request.activity_start or request.activity_end or _today()
    return starts_on, request.activity_end or starts_on


def _api_session(db: Session, token: ApiToken, template: AchievementTemplate,
                 request: IssueRequest) -> TrainingSession | None:
    """The organisation's API session of this template and these dates, if one exists."""
    starts_on, ends_on = session_dates(request)
    return db.scalars(select(TrainingSession).where(
        TrainingSession.organisation_id == token.organisation_id,
        TrainingSession.template_pk == template.id,
        TrainingSession.title == API_SESSION_TITLE,
        TrainingSession.trainer_id.is_(None),
        TrainingSession.starts_on == starts_on,
        TrainingSession.ends_on == ends_on,
    ).order_by(TrainingSession.id)).first()


def _learner(db: Session, token: ApiToken, request: IssueRequest, roster: Roster
             ) -> Learner | None:
    if request.learner_id is not None:
        learner = learner_of(db, token, request.learner_id, field_name="learner_id")
        if learner.erased_at is not None:
            raise IntakeError("learner_erased", "this learner's personal data was erased at "
                              "their request: no badge can be issued to them")
        return learner
    enrolment = roster.find(request.learner.name, request.learner.email)
    return enrolment.learner if enrolment is not None else None


def learner_of(db: Session, token: ApiToken, learner_id: int,
               field_name: str | None = None) -> Learner:
    """The organisation's learner; not_found (validation_failed when named in a body field) if
    unknown, forbidden if another organisation's."""
    learner = db.get(Learner, learner_id)
    if learner is None and field_name is not None:
        raise IntakeError("validation_failed", f"there is no learner {learner_id}",
                          [{"field": field_name, "message": "no such learner"}])
    if learner is None:
        raise IntakeError("not_found", f"there is no learner {learner_id}")
    if learner.organisation_id != token.organisation_id:
        raise IntakeError("forbidden", f"learner {learner_id} belongs to another organisation")
    return learner


def _today() -> date:
    return utc_seconds().date()


# --- carrying an API request out --------------------------------------------------------------


@dataclass
class Outcome:
    """What an issue request did: issued, already issued, or saved but not yet acquired."""

    verdict: str
    credential: Credential | None = None
    claim_token: str | None = None
    error: IntakeError | None = None  # the not_yet_acquired refusal
    claim_email: dict | None = None  # {"sent": bool, "message": str?} when one was asked for


def carry_out(db: Session, token: ApiToken, plan: Plan) -> Outcome:
    """Create what the plan lacks, save the evaluation and issue; the caller commits.

    A "not yet" evaluation is saved (it counts in the statistics) and refused.
    """
    if plan.existing is not None:
        return Outcome(ALREADY_ISSUED, plan.existing)
    request = plan.request
    session = plan.session or _new_session(db, token, plan)
    learner = plan.learner or _new_learner(db, token, request.learner)
    credential = record(db, plan.training, session, learner, Evaluation(
        plan.levels, request.comments, request.narrative, request.activity_start,
        request.activity_end, request.publish_evidence), token)
    if credential is None:
        return Outcome(NOT_YET_ACQUIRED, error=not_yet_error(plan))
    if request.idempotency_key is not None:
        # Flushed now: a concurrent request holding the same key makes this fail (or wait for
        # it, then fail) on the unique constraint, and its whole transaction is undone.
        db.add(ApiIdempotencyKey(organisation_id=token.organisation_id,
                                 key=request.idempotency_key, credential_id=credential.id,
                                 fingerprint=request.fingerprint))
        db.flush()
    return Outcome(ISSUED, credential, getattr(credential, "claim_token", None))


def _new_session(db: Session, token: ApiToken, plan: Plan) -> TrainingSession:
    starts_on, ends_on = session_dates(plan.request)
    session = TrainingSession(
        organisation_id=token.organisation_id, template_pk=plan.template.id, trainer_id=None,
        title=API_SESSION_TITLE, language=token.organisation.default_language,
        starts_on=starts_on, ends_on=ends_on)
    db.add(session)
    db.flush()
    return session


def _new_learner(db: Session, token: ApiToken, described: LearnerInput) -> Learner:
    learner = learners.create_learner(db, token.organisation, described.name, described.email,
                                      described.language, actor=token,
                                      answers=consent.answers_given(described.consent))
    learner.wallet_did = described.wallet_did
    db.flush()
    return learner


def issue_one(db: Session, token: ApiToken, body: Any) -> Outcome:
    """Read, plan and carry out one request in its own transaction; never half-done.

    Raises IntakeError (or another service's BadgeError) for a refused request, after rolling
    back; a "not yet" outcome is committed (the evaluation is kept).
    """
    request = parse_issue_request(body)
    try:
        with unit_of_work(db):
            _take_turns(db, token, request)
            outcome = carry_out(db, token, plan_issue(db, token, request))
    except IntegrityError:
        # A concurrent request with the same idempotency key committed first: answer as a
        # repeat of it (or refuse if it carried a different request).
        replay = _replayed(db, token, request)
        if replay is None:
            raise
        outcome = Outcome(ALREADY_ISSUED, replay)
    if request.send_claim_email:
        outcome.claim_email = _send_claim_email(outcome)
    return outcome


def _take_turns(db: Session, token: ApiToken, request: IssueRequest) -> None:
    """Requests about the same learner of one organisation run one after another.

    Two identical requests arriving together would otherwise both find no learner (or no
    API session) and both create one, then issue twice. A PostgreSQL transaction lock keyed on
    the organisation and the learner makes the second wait and find the first's badge. SQLite
    has one writer at a time and needs none.
    """
    if db.get_bind().dialect.name != "postgresql":
        return
    learner = (str(request.learner_id) if request.learner is None
               else "\x1f".join(learner_key(request.learner.name, request.learner.email)))
    identity = f"intake\x1f{token.organisation_id}\x1f{learner}".encode()
    key = int.from_bytes(hashlib.sha256(identity).digest()[:8], "big", signed=True)
    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _send_claim_email(outcome: Outcome) -> dict | None:
    """E-mail the claim link of a badge just issued (committed); report what happened."""
    if outcome.credential is None:
        return None
    if outcome.claim_token is None:
        return {"sent": False, "message": "the badge was issued before: its claim link was "
                "not sent again"}
    try:
        mail.email_claim_link(outcome.credential, outcome.claim_token)
    except mail.MailError as error:
        return {"sent": False, "message": str(error)}
    return {"sent": True}
