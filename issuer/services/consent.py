"""A learner's consent: four answers recorded at enrolment, and what the service does with them.

Most learners are vulnerable people and each organisation is a data controller: what a learner
did not agree to is not done. No recorded answer is a "no" — a learner enrolled before consent
was recorded, or by a channel that did not ask, keeps their badges but gets none of the four
until an admin records their answers.

- NAME: the badge carries the learner's name; otherwise the credential's subject carries only a
  salted hash of it (builders.hashed_name_identifier), and pages and cards show no name.
- EMAIL: the claim link may be e-mailed; otherwise the trainer hands over the card or a text.
- PHOTO: evidence photos may be taken and published; otherwise no photo is accepted, and none
  travels with a badge.
- STATISTICS: the learner is counted in the pilot statistics; otherwise left out of every count.

Each answer keeps when and by whom (account or API token) it was recorded; a change is recorded
again and the audit log keeps what it replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from issuer.core import builders
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import ApiToken, Learner, LearnerConsent, User

from .base import Actor, ServiceError, audit, require_organisation

NAME, EMAIL, PHOTO, STATISTICS = "name", "email", "photo", "statistics"
PURPOSES = (NAME, EMAIL, PHOTO, STATISTICS)

# What a table cell may say, in the six languages (and a tick mark); empty is "no".
YES_WORDS = frozenset({"yes", "y", "true", "1", "x", "✓", "oui", "ja", "sí", "si", "sì", "tak"})
NO_WORDS = frozenset({"", "no", "n", "false", "0", "non", "nee", "nie"})
COLUMNS = tuple(f"consent_{purpose}" for purpose in PURPOSES)  # their columns in a file


class ConsentError(ServiceError):
    """Consent answers that cannot be recorded as given."""


@dataclass(frozen=True)
class Consent:
    """A learner's four answers; the default is "no" to each."""

    name: bool = False
    email: bool = False
    photo: bool = False
    statistics: bool = False

    @classmethod
    def everything(cls) -> Consent:
        """Yes to all four (fictional demo learners)."""
        return cls(True, True, True, True)

    @classmethod
    def of(cls, answers: Mapping[str, bool]) -> Consent:
        """The answers named in `answers` (a purpose → bool mapping); unnamed ones are "no"."""
        unknown = sorted(set(answers) - set(PURPOSES))
        if unknown:
            raise ConsentError(N_("unknown consent question(s) %(names)s; the questions are "
                                  "%(purposes)s", names=", ".join(unknown),
                                  purposes=", ".join(PURPOSES)))
        if any(not isinstance(value, bool) for value in answers.values()):
            raise ConsentError(N_("each consent answer is true or false"))
        return cls(**dict(answers))

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


def read_cells(cells: Mapping[str, str], problems: list) -> Consent:
    """The answers in a row's consent columns (see COLUMNS); an unreadable one is a problem."""
    answers = {}
    for column in COLUMNS:
        value = cells.get(column, "").strip().casefold()
        if value in YES_WORDS or value in NO_WORDS:
            answers[column.removeprefix("consent_")] = value in YES_WORDS
        else:
            problems.append(N_("%(column)s: %(value)s is not an answer; write yes or no "
                               "(empty is no)", column=column, value=repr(value[:20])))
    return Consent(**answers)


def answers_given(answers: Mapping[str, bool] | None) -> Consent | None:
    """The answers a request gave (None when it gave none: nothing is recorded)."""
    return None if answers is None else Consent.of(answers)


def record(db: Session, learner: Learner, answers: Consent, actor: Actor,
           now: datetime | None = None) -> list[str]:
    """Record the learner's answers; return the purposes whose answer changed (or was new).

    Each changed answer gets this date and actor; an unchanged one keeps when it was given.
    """
    require_organisation(actor, learner.organisation_id)
    if learner.erased_at is not None:
        raise ConsentError(N_("this learner's personal data was erased"))
    now = utc_seconds(now)
    current = {row.purpose: row for row in learner.consents}
    wanted = answers.as_dict()
    changed, earlier = [], {}
    for purpose in PURPOSES:
        row = current.get(purpose)
        if row is not None and row.given == wanted[purpose]:
            continue
        if row is None:
            row = LearnerConsent(learner_id=learner.id, purpose=purpose)
            learner.consents.append(row)
        else:
            earlier[purpose] = row.given
        row.given = wanted[purpose]
        row.recorded_at = now
        row.recorded_by_id = actor.id if isinstance(actor, User) else None
        row.recorded_by_token_id = actor.id if isinstance(actor, ApiToken) else None
        changed.append(purpose)
    if changed:
        db.flush()
        audit(db, "learner.consent", actor, learner.organisation_id, f"learner:{learner.id}",
              answers={purpose: wanted[purpose] for purpose in changed}, earlier=earlier)
    return changed


def answers_of(learner: Learner) -> Consent:
    """The learner's answers as recorded (no row, or erased: "no")."""
    if learner.erased_at is not None:
        return Consent()
    return Consent(**{row.purpose: row.given for row in learner.consents
                      if row.purpose in PURPOSES})


def given(learner: Learner | None, purpose: str) -> bool:
    """Whether the learner agreed to `purpose`."""
    if learner is None or learner.erased_at is not None:
        return False
    return any(row.purpose == purpose and row.given for row in learner.consents)


def recorded(learner: Learner) -> dict[str, LearnerConsent]:
    """The recorded rows by purpose, for pages that show when and by whom."""
    return {row.purpose: row for row in learner.consents}


def subject_identifiers(learner: Learner) -> list[dict]:
    """The learner's IdentityObjects for a credential: the name in clear only with consent."""
    return builders.person_identifiers(learner.name, learner.email,
                                       name_shown=given(learner, NAME))


def learners_who_agreed(purpose: str) -> Select:
    """The ids of learners who agreed to `purpose`, as a subquery for counts."""
    return select(LearnerConsent.learner_id).where(LearnerConsent.purpose == purpose,
                                                   LearnerConsent.given.is_(True))


# Why something was not done, and what to do instead.
NO_EMAIL = N_("the learner did not agree to receive e-mail: hand over the printed card, or "
              "send the link by text message")
NO_PHOTO = N_("the learner did not agree to photos: no photo was kept")


def require(learner: Learner, purpose: str) -> None:
    """Refuse what the learner did not agree to, with the reason a trainer can act on."""
    if not given(learner, purpose):
        raise ConsentError(NO_EMAIL if purpose == EMAIL else NO_PHOTO if purpose == PHOTO
                           else N_("the learner did not agree to this"))
