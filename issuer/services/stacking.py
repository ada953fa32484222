"""Skill badges: awarded once a learner holds every part of a skill, withdrawn with a part.

Rules (docs/STACKING.md says why):
- A person is a learner record, or the learner records the learner proved are theirs by
  presenting both claim links (services.people): never records that merely share an e-mail.
  `person_key` is "person:<uuid>" or "learner:<id>".
- The organisation whose badge completes the stack awards the skill badge. For a skill that is
  not `cross_organisation`, only that organisation's badges count.
- `award = "automatic"`: the skill badge is issued in the transaction that issued the last part.
  `award = "one-click"`: the award waits (state "pending") for a trainer's `confirm_award`.
- Exactly once: one `SkillAward` row per (person, skill), unique in the database and locked
  (SELECT … FOR UPDATE) before progress is counted, so concurrent transactions take turns and
  the second sees the first's badge.
- Revoking a part revokes the skill badge ("A component badge was revoked"); if the person
  still holds another valid badge for that part, a new skill badge is due at once, otherwise
  when the part is earned again.

Stacking listens: `on_credential_issued` (`on_credentials_issued` for a bulk job's chunk) and
`on_credential_revoked` receive the `events.issued` and `events.revoked` announcements
(connected by the package root), in the announcer's transaction. A skill badge is minted by
`minting.mint` like every other badge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.core import builders
from issuer.core.clock import utc_seconds
from issuer.core.errors import BadgeError, TemplateError
from issuer.core.messages import N_
from issuer.domain import catalogue as core_catalogue
from issuer.domain import stacking
from issuer.domain.catalogue import MicroTraining, Skill
from issuer.store.models import AchievementTemplate, Credential, Learner
from issuer.store.stacking_models import (
    IN_PROGRESS,
    ISSUED,
    PENDING,
    SkillAward,
    SkillAwardPart,
)

from . import consent
from .base import Actor, NotFound, NotIssuable, audit, require_organisation
from .catalogue import SKILL, TRAINING, achievement_id, skill_of, training_of
from .endorsements import endorsements_for
from .keys import issuer_profile_builder
from .learners import ERASURE_REASON
from .minting import learner_language, mint
from .people import person_key, same_person
from .revocation import revoke
from .urls import verify_url

ONE_CLICK = "one-click"
PART_REVOKED_REASON = "A component badge was revoked"


# --- identity and catalogue ------------------------------------------------------------------


def _current(db: Session, kind: str) -> dict[str, AchievementTemplate]:
    query = select(AchievementTemplate).where(AchievementTemplate.kind == kind,
                                              AchievementTemplate.current.is_(True))
    return {template.template_id: template for template in db.scalars(query)}


def skills_with_part(db: Session, training_id: str) -> list[tuple[AchievementTemplate, Skill]]:
    """The current skills (template, skill) that count `training_id` among their parts."""
    found = [(template, skill_of(template)) for template in _current(db, SKILL).values()]
    return [(template, skill) for template, skill in found if training_id in skill.parts]


# --- listeners of the issued and revoked events ----------------------------------------------


def on_credential_issued(db: Session, credential: Credential, actor: Actor = None,
                         now: datetime | None = None) -> list[SkillAward]:
    """After a micro-training badge is issued: award every skill it completes.

    Returns the awards that became due (issued, or pending a trainer's click). A skill badge
    that cannot be built is recorded in the audit log and does not undo the part's issuance.
    """
    return on_credentials_issued(db, [credential], actor, now)


def on_credentials_issued(db: Session, credentials: list[Credential], actor: Actor = None,
                          now: datetime | None = None) -> list[SkillAward]:
    """`on_credential_issued` for a chunk of badges (a bulk job): the skills are read once,
    and only a badge of a skill's part has its holder's progress counted."""
    parts = [credential for credential in credentials
             if credential.kind == TRAINING and credential.learner is not None]
    if not parts:
        return []
    now = utc_seconds(now)
    skills = [(template, skill_of(template)) for template in _current(db, SKILL).values()]
    due = []
    for credential in parts:
        training_id = credential.template.template_id
        for template, skill in skills:
            if training_id not in skill.parts:
                continue
            try:
                with db.begin_nested():
                    award = _award_if_complete(db, template, skill, credential, actor, now)
            except BadgeError as error:
                audit(db, "skill.award-failed", actor, credential.organisation_id, skill.id,
                      part=credential.uuid, error=str(error))
                continue
            if award is not None:
                due.append(award)
    return due


def on_credential_revoked(db: Session, credential: Credential, actor: Actor = None,
                          now: datetime | None = None) -> list[SkillAward]:
    """After a badge is revoked: revoke the skill badges that counted it; re-award if still due.

    Returns the awards whose skill badge was revoked.
    """
    if credential.kind != TRAINING or credential.learner is None:
        return []
    now = utc_seconds(now)
    counted = db.scalars(select(SkillAward).join(SkillAwardPart).where(
        SkillAwardPart.credential_id == credential.id, SkillAward.state == ISSUED)).all()
    for award in counted:
        _lock(db, award.id)
        _withdraw(db, award, credential, now)
    if credential.revocation_reason != ERASURE_REASON:
        # An erasure withdraws everything: no new skill badge from a spare part meanwhile.
        _recheck(db, credential, actor, now)
    return list(counted)


# --- one-click awards ------------------------------------------------------------------------


def pending_awards(db: Session, organisation_id: int) -> list[SkillAward]:
    """Skill badges of this organisation waiting for a trainer's click, oldest first."""
    return list(db.scalars(select(SkillAward).where(
        SkillAward.organisation_id == organisation_id, SkillAward.state == PENDING)
        .order_by(SkillAward.updated_at, SkillAward.id)))


def confirm_award(db: Session, award_id: int, actor: Actor,
                  now: datetime | None = None) -> Credential:
    """The trainer's click: issue a pending skill badge (a second click returns the same one).

    Raises NotIssuable when a part was revoked since the award became due.
    """
    award = db.get(SkillAward, award_id)
    if award is None:
        raise NotFound(N_("no skill award with id %(id)s", id=award_id))
    require_organisation(actor, award.organisation_id)
    award = _lock(db, award_id)
    if award.state == ISSUED:
        return award.credential
    if award.state != PENDING:
        raise NotIssuable(N_("this skill badge is not due: a part is missing"))
    template, skill = award.template, skill_of(award.template)
    progress = _progress(db, award.learner, skill, award.organisation_id, utc_seconds(now))
    if not progress.complete:
        award.state = IN_PROGRESS
        db.flush()
        raise NotIssuable(N_("a part was revoked meanwhile; missing: %(missing)s",
                               missing=", ".join(progress.missing)))
    return _issue(db, award, template, skill, progress, actor, utc_seconds(now))


# --- awarding --------------------------------------------------------------------------------


def _award_if_complete(db: Session, template: AchievementTemplate, skill: Skill,
                       credential: Credential, actor: Actor, now: datetime) -> SkillAward | None:
    award = _award_row(db, person_key(credential.learner), skill.id)
    if award.state in (ISSUED, PENDING):
        return None
    progress = _progress(db, credential.learner, skill, credential.organisation_id, now)
    if not progress.complete:
        return None
    award.organisation_id = credential.organisation_id
    award.learner_id = credential.learner_id
    award.template_pk = template.id
    if skill.award == ONE_CLICK:
        award.state = PENDING
        db.flush()
        audit(db, "skill.pending", actor, credential.organisation_id, skill.id,
              learner=credential.learner_id)
        return award
    _issue(db, award, template, skill, progress, actor, now)
    return award


def _award_row(db: Session, key: str, skill_id: str) -> SkillAward:
    """The (person, skill) row, created if need be, locked for this transaction."""
    existing = db.scalar(select(SkillAward.id).where(SkillAward.person_key == key,
                                                     SkillAward.skill_id == skill_id))
    if existing is None:
        try:
            with db.begin_nested():
                row = SkillAward(person_key=key, skill_id=skill_id, state=IN_PROGRESS)
                db.add(row)
                db.flush()
                existing = row.id
        except IntegrityError:
            # Another transaction created it first; the lock below waits for it to finish.
            existing = db.scalar(select(SkillAward.id).where(SkillAward.person_key == key,
                                                             SkillAward.skill_id == skill_id))
    return _lock(db, existing)


def _lock(db: Session, award_id: int) -> SkillAward:
    return db.scalars(select(SkillAward).where(SkillAward.id == award_id).with_for_update()
                      .execution_options(populate_existing=True)).one()


def _progress(db: Session, learner: Learner, skill: Skill, organisation_id: int,
              now: datetime) -> stacking.StackProgress:
    return _progress_of(skill, _valid_parts(db, learner, skill, organisation_id, now),
                        organisation_id)


def _progress_of(skill: Skill, parts: list[Credential], organisation_id: int | None
                 ) -> stacking.StackProgress:
    held = [stacking.HeldBadge(c.template.template_id, c.organisation_id, c.issued_at, c)
            for c in parts]
    return stacking.progress(skill, held, organisation_id)


def _valid_parts(db: Session, learner: Learner, skill: Skill, organisation_id: int | None,
                 now: datetime) -> list[Credential]:
    """The person's valid (unrevoked, unexpired) badges of the skill's parts."""
    people = same_person(learner)
    if not skill.cross_organisation and organisation_id is not None:
        people = people.where(Learner.organisation_id == organisation_id)
    query = (select(Credential).join(AchievementTemplate)
             .where(Credential.learner_id.in_(people), Credential.kind == TRAINING,
                    Credential.revoked_at.is_(None),
                    AchievementTemplate.template_id.in_(skill.parts),
                    or_(Credential.valid_until.is_(None), Credential.valid_until > now))
             .order_by(Credential.issued_at, Credential.id))
    return list(db.scalars(query))


def _withdraw(db: Session, award: SkillAward, part: Credential, now: datetime) -> None:
    skill_badge = award.credential
    if skill_badge is not None and skill_badge.revoked_at is None:
        # The system revokes: the part may belong to another organisation than the skill badge.
        revoke(db, skill_badge, PART_REVOKED_REASON, None, now)
    audit(db, "skill.withdraw", None, award.organisation_id, award.skill_id,
          part=part.uuid, skill_badge=skill_badge.uuid if skill_badge else None)
    award.state = IN_PROGRESS
    award.credential_id = None
    award.parts.clear()
    db.flush()


def _recheck(db: Session, part: Credential, actor: Actor, now: datetime) -> None:
    """After a revocation: pending awards may no longer be due; withdrawn ones may be due again."""
    for template, skill in skills_with_part(db, part.template.template_id):
        award = db.scalar(select(SkillAward).where(
            SkillAward.person_key == person_key(part.learner), SkillAward.skill_id == skill.id))
        if award is None or award.state == ISSUED:
            continue
        award = _lock(db, award.id)
        learner = award.learner or part.learner
        organisation_id = award.organisation_id or part.organisation_id
        progress = _progress(db, learner, skill, organisation_id, now)
        if award.state == PENDING and not progress.complete:
            award.state = IN_PROGRESS
            db.flush()
        elif award.state == IN_PROGRESS and progress.complete:
            trigger = progress.done[-1].reference
            with db.begin_nested():
                _award_if_complete(db, template, skill, trigger, actor, now)


# --- the skill badge ---------------------------------------------------------------------------


def _issue(db: Session, award: SkillAward, template: AchievementTemplate, skill: Skill,
           progress: stacking.StackProgress, actor: Actor, now: datetime) -> Credential:
    org, learner = award.organisation, award.learner
    parts = [badge.reference for badge in progress.done]
    language = learner_language(learner, org, skill)
    credential = mint(
        db, org,
        lambda credential_id, status: build_skill_credential(
            db, template, skill, learner, org, parts, language, credential_id, status, now),
        now, learner_id=learner.id, template_pk=template.id, kind=SKILL, language=language,
        valid_from=now, valid_until=_valid_until(parts))
    award.state = ISSUED
    award.credential_id = credential.id
    award.parts = [SkillAwardPart(credential_id=part.id) for part in parts]
    db.flush()
    audit(db, "skill.issue", actor, org, credential.uuid, short_id=credential.short_id,
          template=f"{template.template_id}@{template.version}",
          parts=[part.uuid for part in parts])
    return credential


def build_skill_credential(db: Session, template: AchievementTemplate, skill: Skill,
                           learner: Learner, org, parts: list[Credential], language: str,
                           credential_id: str, credential_status: dict,
                           now: datetime) -> dict:
    """The unsigned OpenBadgeCredential of a skill: a Competency naming its parts.

    Each part is an `evidence` entry whose id is the part badge's verification page and whose
    name is the part's name; the achievement lists the parts in its criteria and aligns to their
    achievement definitions.
    """
    trainings = _trainings(db, skill)
    achievement = skill_achievement(db, template, skill, language)
    subject = builders.AchievementSubject(
        achievement=achievement,
        identifiers=tuple(consent.subject_identifiers(learner)),
        id=learner.wallet_did or None,
    )
    return builders.OpenBadgeCredential(
        id=credential_id,
        issuer=issuer_profile_builder(org),
        subject=subject,
        valid_from=now,
        valid_until=_valid_until(parts),
        evidence=tuple(_part_evidence(part, trainings, language) for part in parts),
        credential_status=credential_status,
    ).to_json()


def skill_achievement(db: Session, template: AchievementTemplate, skill: Skill,
                      language: str) -> builders.Achievement:
    """The skill's Competency achievement in `language`, with its endorsements.

    Its parts are the current versions of the micro-trainings, each in `language` when written
    in it (else in its first language).
    """
    language = language if language in skill.languages else skill.languages[0]
    current = _current(db, TRAINING)
    trainings = _trainings(db, skill)
    part_ids = {part: achievement_id(current[part], _language_of(trainings[part], language))
                for part in skill.parts}
    related = {other: achievement_id(template, other) for other in skill.languages
               if other != language}
    achievement = core_catalogue.skill_achievement_for(
        skill, language, achievement_id(template, language), part_ids, trainings, related)
    return replace(achievement, endorsements=tuple(endorsements_for(db, template, language)))


def _trainings(db: Session, skill: Skill) -> dict[str, MicroTraining]:
    missing = [part for part in skill.parts if part not in _current(db, TRAINING)]
    if missing:
        raise TemplateError(N_("skill %(skill)s: parts not in the catalogue: %(missing)s; "
                               "import them first", skill=repr(skill.id),
                               missing=", ".join(missing)))
    return {part: training_of(t) for part, t in _current(db, TRAINING).items()
            if part in skill.parts}


def _part_evidence(part: Credential, trainings: dict[str, MicroTraining],
                   language: str) -> builders.Evidence:
    training = trainings.get(part.template.template_id)
    name = training.name_in(language) if training else part.template.template_id
    return builders.Evidence(id=verify_url(part), name=name,
                             description=part.organisation.name, genre="Open Badge")


def _language_of(training: MicroTraining, language: str) -> str:
    return language if language in training.languages else training.languages[0]


def _valid_until(parts: list[Credential]) -> datetime | None:
    # The skill is held as long as every part is: it expires with the first part to expire.
    ends = [part.valid_until for part in parts if part.valid_until is not None]
    return min(ends) if ends else None



# --- progress for the claim and verification pages ------------------------------------------


@dataclass
class SkillProgressView:
    """One skill a badge counts toward, as the learner's claim page and verification page show
    it: the skill (name, description, parts, further training), plus progress."""

    skill_id: str
    name: str
    description: str | None
    parts: list[str]  # part names, in the skill's order
    further_training: list[dict]  # {"name", "provider", "url"}
    done: list[str] = field(default_factory=list)  # names of the parts held
    missing: list[str] = field(default_factory=list)  # names of the parts not held yet
    complete: bool = False
    pending: bool = False  # complete, waiting for a trainer's click
    skill_badge_url: str | None = None  # the skill badge's verification page, once issued
    # The first expiry among the held parts: until then, time alone changes nothing shown here.
    changes_at: datetime | None = None


def stack_progress(db: Session, credential: Credential, language: str,
                   now: datetime | None = None) -> list[SkillProgressView]:
    """The skills `credential`'s micro-training counts toward, with the holder's progress."""
    if credential.kind != TRAINING or credential.learner is None:
        return []
    now = utc_seconds(now)
    names = {part_id: training_of(t).name_in(language)
             for part_id, t in _current(db, TRAINING).items()}
    views = []
    for _template, skill in skills_with_part(db, credential.template.template_id):
        parts = _valid_parts(db, credential.learner, skill, credential.organisation_id, now)
        progress = _progress_of(skill, parts, credential.organisation_id)
        award = db.scalar(select(SkillAward).where(
            SkillAward.person_key == person_key(credential.learner),
            SkillAward.skill_id == skill.id))
        views.append(SkillProgressView(
            skill_id=skill.id,
            name=skill.name_in(language),
            description=skill.text("description", language),
            parts=[names.get(part, part) for part in skill.parts],
            further_training=[{"name": p.name_in(language), "provider": p.provider,
                               "url": p.url} for p in skill.further_training],
            done=[names.get(part, part) for part in progress.done_ids],
            missing=[names.get(part, part) for part in progress.missing],
            complete=progress.complete,
            pending=award is not None and award.state == PENDING,
            skill_badge_url=verify_url(award.credential)
            if award is not None and award.state == ISSUED and award.credential else None,
            changes_at=min((part.valid_until for part in parts if part.valid_until),
                           default=None),
        ))
    return views
