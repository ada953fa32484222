"""Issuing through the API: read a request, plan it without writing, then carry it out.

A request names a micro-training (or a session), a learner (existing, or name and details) and
one level per gesture. `plan_issue` resolves and checks everything and writes nothing, so a bulk
dry run answers exactly what a real run would; `carry_out` creates what is missing (learner,
an "API" session for the template and dates), saves the evaluation and issues.

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
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.domain.catalogue import ACQUIRED, LANGUAGE_CODE, NOT_YET, Gesture, MicroTraining
from issuer.services import catalogue, issuing, learners, mail, unit_of_work
from issuer.store.models import (
    AchievementTemplate,
    ApiIdempotencyKey,
    ApiToken,
    Assessment,
    Credential,
    Learner,
    TrainingSession,
)

API_SESSION_TITLE = "API"
MAX_TEXT = 5000
MAX_NAME = 200
MAX_KEY = 200
MAX_ID = 2**31 - 1  # the largest id every database accepts
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISSUE_FIELDS = frozenset({
    "template_id", "session_id", "learner", "learner_id", "results", "comments", "narrative",
    "activity_start", "activity_end", "idempotency_key", "send_claim_email",
})
# Not part of what is issued: a retry may change them without being "a different request".
UNFINGERPRINTED = frozenset({"idempotency_key", "send_claim_email"})
LEARNER_FIELDS = frozenset({"name", "email", "language", "wallet_did"})
# Words a client may send instead of a rubric level id (as in the CSV bulk file).
LEVEL_ALIASES = {"acquired": ACQUIRED, "not-yet": NOT_YET, "not_yet": NOT_YET,
                 "not yet": NOT_YET}


class ApiError(Exception):
    """A refusal the API reports as `{"error": {code, message, details}}` with `status`."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or []

    def to_json(self) -> dict:
        """The error body."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class Problems:
    """Field problems gathered while reading a request, reported together as one 422."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, field_name: str, message: str, **extra: Any) -> None:
        """Record that `field_name` is wrong and why."""
        self.items.append({"field": field_name, "message": message, **extra})

    def raise_if_any(self) -> None:
        """Refuse the request when anything was recorded."""
        if self.items:
            raise ApiError(422, "validation_failed", _summary(self.items), self.items)


def _summary(items: list[dict]) -> str:
    first = items[0]
    more = f" (and {len(items) - 1} more problems)" if len(items) > 1 else ""
    return f"{first['field']}: {first['message']}{more}"


# --- reading a request ------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerInput:
    """A learner described in a request: a name is enough."""

    name: str
    email: str | None = None
    language: str | None = None
    wallet_did: str | None = None


@dataclass(frozen=True)
class IssueRequest:
    """One checked request to issue a badge."""

    template_id: str | None
    session_id: int | None
    learner_id: int | None
    learner: LearnerInput | None
    results: dict[str, str]
    comments: dict[str, str]
    narrative: str | None
    activity_start: date | None
    activity_end: date | None
    idempotency_key: str | None
    fingerprint: str
    send_claim_email: bool = False


def parse_issue_request(body: Any) -> IssueRequest:
    """Check the shape and types of an issue request; raise ApiError 422 listing every problem."""
    problems = Problems()
    if not isinstance(body, dict):
        raise ApiError(422, "validation_failed", "the request must be a JSON object",
                       [{"field": "", "message": "expected an object"}])
    for unknown in sorted(set(body) - ISSUE_FIELDS):
        problems.add(unknown, "is not a field of an issue request")
    template_id = _optional_string(body, "template_id", problems, MAX_NAME)
    session_id = _optional_id(body, "session_id", problems)
    if template_id is None and session_id is None:
        problems.add("template_id", "give the micro-training's template_id (or a session_id)")
    learner_id = _optional_id(body, "learner_id", problems)
    learner = None
    described, named = body.get("learner") is not None, body.get("learner_id") is not None
    if described and named:
        problems.add("learner", "give either a learner object or a learner_id, not both")
    elif described:
        learner = parse_learner(body["learner"], problems, "learner.")
    elif not named:
        problems.add("learner", "give either a learner object (at least a name) or a learner_id")
    start = _optional_date(body, "activity_start", problems)
    end = _optional_date(body, "activity_end", problems)
    if start and end and end < start:
        problems.add("activity_end", f"{end} is before activity_start {start}")
    request = IssueRequest(
        template_id=template_id,
        session_id=session_id,
        learner_id=learner_id,
        learner=learner,
        results=_string_map(body, "results", problems, required=True),
        comments=_string_map(body, "comments", problems),
        narrative=_optional_string(body, "narrative", problems, MAX_TEXT),
        activity_start=start,
        activity_end=end,
        idempotency_key=_optional_string(body, "idempotency_key", problems, MAX_KEY),
        fingerprint=_fingerprint(body),
        send_claim_email=_optional_flag(body, "send_claim_email", problems),
    )
    problems.raise_if_any()
    return request


def parse_learner(value: Any, problems: Problems, prefix: str = "") -> LearnerInput | None:
    """A learner object: name required; e-mail, language code and wallet DID checked if given."""
    if not isinstance(value, dict):
        problems.add(prefix.rstrip(".") or "learner", "must be an object with at least a name")
        return None
    for unknown in sorted(set(value) - LEARNER_FIELDS):
        problems.add(prefix + unknown, "is not a field of a learner")
    name = _optional_string(value, "name", problems, MAX_NAME, prefix)
    if not name:
        problems.add(prefix + "name", "is required: the name as it should appear on the badge")
    email = _optional_string(value, "email", problems, 320, prefix)
    if email and not EMAIL.match(email):
        problems.add(prefix + "email", f"{email!r} is not an e-mail address")
    language = _optional_string(value, "language", problems, 16, prefix)
    if language and not LANGUAGE_CODE.match(language):
        problems.add(prefix + "language", f"{language!r} is not a language code like en or fr")
    wallet_did = _optional_string(value, "wallet_did", problems, 500, prefix)
    if wallet_did and not wallet_did.startswith("did:"):
        problems.add(prefix + "wallet_did", "must be a DID (starting with 'did:')")
    return LearnerInput(" ".join((name or "").split()), email, language, wallet_did)


def _optional_string(body: Mapping, key: str, problems: Problems, limit: int,
                     prefix: str = "") -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(prefix + key, "must be a string")
        return None
    if len(value) > limit:
        problems.add(prefix + key, f"is too long (at most {limit} characters)")
        return None
    return value.strip() or None


def _optional_flag(body: Mapping, key: str, problems: Problems) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        problems.add(key, "must be true or false")
        return False
    return value


def _optional_id(body: Mapping, key: str, problems: Problems) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        problems.add(key, "must be a positive integer id")
        return None
    return value


def _optional_date(body: Mapping, key: str, problems: Problems) -> date | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        # fromisoformat alone would also take "20260314" or a week date.
        if isinstance(value, str) and _ISO_DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems.add(key, f"{value!r} is not a date like 2026-03-14")
    return None


def _string_map(body: Mapping, key: str, problems: Problems, required: bool = False
                ) -> dict[str, str]:
    value = body.get(key)
    if value is None:
        if required:
            problems.add(key, "is required: an object mapping each gesture id to a level id")
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        problems.add(key, "must be an object whose keys and values are strings")
        return {}
    if any(len(v) > MAX_TEXT for v in value.values()):
        problems.add(key, f"a value is too long (at most {MAX_TEXT} characters)")
        return {}
    return dict(value)


def _fingerprint(body: dict) -> str:
    """What identifies the request's content, whatever its idempotency key."""
    content = {k: v for k, v in body.items() if k not in UNFINGERPRINTED}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- planning (reads only) --------------------------------------------------------------------


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


def plan_issue(db: Session, token: ApiToken, request: IssueRequest) -> Plan:
    """Resolve template, session, learner and levels for `token`'s organisation; write nothing.

    Raises ApiError: 403 for another organisation's session or learner, 409 for an
    idempotency key reused with different content, 422 for anything else that is wrong.
    """
    replay = _replayed(db, token, request)
    session = _session(db, token, request.session_id) if request.session_id else None
    template = session.template if session is not None else _template(db, request.template_id)
    if session is not None and request.template_id not in (None, template.template_id):
        raise ApiError(422, "validation_failed", "the session is of another micro-training",
                       [{"field": "template_id", "message": f"session {session.id} is of "
                         f"{template.template_id!r}, not {request.template_id!r}"}])
    training = catalogue.training_of(template)
    levels = _levels(training, request.results)
    _check_comments(training, request.comments)
    if session is None:
        session = _api_session(db, token, template, request)
    learner = _learner(db, token, request, session)
    _check_claim_email(request, learner)
    plan = Plan(request, template, training, session, learner, levels)
    plan.existing = replay or _held(db, session, learner)
    plan.not_yet = not_yet_details(training, levels)
    return plan


def _replayed(db: Session, token: ApiToken, request: IssueRequest) -> Credential | None:
    """The credential issued for this request's idempotency key; 409 if the key meant another."""
    if request.idempotency_key is None:
        return None
    remembered = db.scalar(select(ApiIdempotencyKey).where(
        ApiIdempotencyKey.organisation_id == token.organisation_id,
        ApiIdempotencyKey.key == request.idempotency_key))
    if remembered is None:
        return None
    if remembered.fingerprint != request.fingerprint:
        raise ApiError(409, "idempotency_key_reused",
                       "this idempotency_key was already used for a different request; "
                       "use a new key for a new badge", [{"field": "idempotency_key",
                                                          "message": "already used"}])
    return remembered.credential


def _check_claim_email(request: IssueRequest, learner: Learner | None) -> None:
    """Refuse `send_claim_email` up front when no e-mail could go out (nothing is written)."""
    if not request.send_claim_email:
        return
    problems = Problems()
    if not mail.is_configured():
        problems.add("send_claim_email", "e-mail is not configured on this server "
                     "(SMTP_HOST and SMTP_FROM)")
    address = learner.email if learner is not None else (
        request.learner.email if request.learner is not None else None)
    if not address:
        problems.add("send_claim_email", "the learner has no e-mail address")
    problems.raise_if_any()


def _session(db: Session, token: ApiToken, session_id: int) -> TrainingSession:
    session = db.get(TrainingSession, session_id)
    if session is None:
        raise ApiError(422, "validation_failed", f"there is no session {session_id}",
                       [{"field": "session_id", "message": "no such session"}])
    if session.organisation_id != token.organisation_id:
        raise ApiError(403, "forbidden", f"session {session_id} belongs to another organisation")
    return session


def _template(db: Session, template_id: str) -> AchievementTemplate:
    template = db.scalar(select(AchievementTemplate).where(
        AchievementTemplate.template_id == template_id, AchievementTemplate.current.is_(True),
        AchievementTemplate.kind == catalogue.TRAINING))
    if template is None:
        raise ApiError(422, "validation_failed", f"there is no micro-training {template_id!r}",
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


def level_id(gesture: Gesture, value: str) -> str | None:
    """A rubric level id of `gesture` for `value` (a level id, 'acquired' or 'not-yet')."""
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
    details = []
    for gesture in training.gestures:
        level = levels.get(gesture.id)
        if level is not None and gesture.is_acquired(level):
            continue
        details.append({
            "field": f"results.{gesture.id}",
            "message": f"{gesture.name_in('en')}: not yet acquired "
                       f"(needs {gesture.required_level!r}, got {level!r})",
            "gesture": gesture.id,
            "level": level,
            "required_level": gesture.required_level,
        })
    return details


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


def _learner(db: Session, token: ApiToken, request: IssueRequest,
             session: TrainingSession | None) -> Learner | None:
    if request.learner_id is not None:
        learner = learner_of(db, token, request.learner_id, field_name="learner_id")
        if learner.erased_at is not None:
            raise ApiError(422, "learner_erased", "this learner's personal data was erased at "
                           "their request: no badge can be issued to them")
        return learner
    if session is None:
        return None
    wanted = _learner_key(request.learner.name, request.learner.email)
    for assessment in db.scalars(select(Assessment).where(Assessment.session_id == session.id)):
        known = assessment.learner
        if known.erased_at is None and _learner_key(known.name, known.email) == wanted:
            return known
    return None


def learner_of(db: Session, token: ApiToken, learner_id: int,
               field_name: str | None = None) -> Learner:
    """The organisation's learner; 404 (422 when named in a body) if unknown, 403 if not ours."""
    learner = db.get(Learner, learner_id)
    if learner is None and field_name is not None:
        raise ApiError(422, "validation_failed", f"there is no learner {learner_id}",
                       [{"field": field_name, "message": "no such learner"}])
    if learner is None:
        raise ApiError(404, "not_found", f"there is no learner {learner_id}")
    if learner.organisation_id != token.organisation_id:
        raise ApiError(403, "forbidden", f"learner {learner_id} belongs to another organisation")
    return learner


def _learner_key(name: str, email: str | None) -> tuple[str, str]:
    return " ".join(name.split()).casefold(), (email or "").strip().casefold()


def _held(db: Session, session: TrainingSession | None, learner: Learner | None
          ) -> Credential | None:
    if session is None or learner is None:
        return None
    return db.scalar(select(Credential).join(Assessment, Credential.assessment_id == Assessment.id)
                     .where(Assessment.session_id == session.id,
                            Assessment.learner_id == learner.id))


def _today() -> date:
    return datetime.now(UTC).date()


# --- carrying it out --------------------------------------------------------------------------


@dataclass
class Outcome:
    """What an issue request did: 201 issued, 200 already issued, 422 saved but not yet."""

    status: int
    credential: Credential | None = None
    claim_token: str | None = None
    error: ApiError | None = None
    claim_email: dict | None = None  # {"sent": bool, "message": str?} when one was asked for


def planned_status(plan: Plan) -> int:
    """The status carrying the plan out would answer (for dry runs)."""
    if plan.existing is not None:
        return 200
    return 422 if plan.not_yet else 201


def not_yet_error(plan: Plan) -> ApiError:
    """The 422 for an evaluation that does not validate the micro-training."""
    names = ", ".join(detail["gesture"] for detail in plan.not_yet)
    return ApiError(422, "not_yet_acquired",
                    f"{plan.training.name_in('en')} is not validated yet: "
                    f"{plan.training.gestures_needed} of {len(plan.training.gestures)} gestures "
                    f"must be acquired; not yet: {names}. The evaluation was saved.",
                    plan.not_yet)


def carry_out(db: Session, token: ApiToken, plan: Plan) -> Outcome:
    """Create what the plan lacks, save the evaluation and issue; the caller commits.

    A "not yet" evaluation is saved (it counts in the statistics) and answered with 422.
    """
    if plan.existing is not None:
        return Outcome(200, plan.existing)
    request = plan.request
    session = plan.session or _new_session(db, token, plan)
    learner = plan.learner or _new_learner(db, token, request.learner)
    assessment = issuing.save_assessment(
        db, session.id, learner.id, plan.levels, request.comments, request.narrative, token,
        activity_start=request.activity_start, activity_end=request.activity_end)
    if plan.not_yet:
        return Outcome(422, error=not_yet_error(plan))
    credential = issuing.issue_for_assessment(db, assessment.id, token)
    if request.idempotency_key is not None:
        # Flushed now: a concurrent request holding the same key makes this fail (or wait for
        # it, then fail) on the unique constraint, and its whole transaction is undone.
        db.add(ApiIdempotencyKey(organisation_id=token.organisation_id,
                                 key=request.idempotency_key, credential_id=credential.id,
                                 fingerprint=request.fingerprint))
        db.flush()
    return Outcome(201, credential, getattr(credential, "claim_token", None))


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
                                      described.language, actor=token)
    learner.wallet_did = described.wallet_did
    db.flush()
    return learner


def issue_one(db: Session, token: ApiToken, body: Any) -> Outcome:
    """Read, plan and carry out one request in its own transaction; never half-done.

    Raises ApiError (or a service's BadgeError) for a refused request, after rolling back;
    a "not yet" outcome is committed (the evaluation is kept).
    """
    request = parse_issue_request(body)
    try:
        with unit_of_work(db):
            outcome = carry_out(db, token, plan_issue(db, token, request))
    except IntegrityError:
        # A concurrent request with the same idempotency key committed first: answer as a
        # repeat of it (or 409 if it carried a different request).
        replay = _replayed(db, token, request)
        if replay is None:
            raise
        outcome = Outcome(200, replay)
    if request.send_claim_email:
        outcome.claim_email = _send_claim_email(outcome)
    return outcome


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
