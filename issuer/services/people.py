"""Who is the same person: learner records linked by proof, never by a shared e-mail address.

An organisation can type anyone's e-mail address into a learner record, and two people can share
an office address; so an address alone links nothing. Records become one person only when the
learner proves they hold both: on a claim page (the secret on the back of one card) they enter
the claim link of another card. Stacking across organisations and the learner record then join
exactly those records, and nothing of one organisation is shown with another's without it.
"""

from __future__ import annotations

import uuid as uuidlib

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from issuer.core.messages import N_
from issuer.store.models import Learner
from issuer.store.stacking_models import SkillAward

from .base import ServiceError, audit


def person_key(learner: Learner) -> str:
    """The key of the person a learner record belongs to (its own record unless linked)."""
    return f"person:{learner.person_uuid}" if learner.person_uuid else f"learner:{learner.id}"


def same_person(learner: Learner) -> Select:
    """The ids of every learner record of this learner's person (a subquery)."""
    if learner.person_uuid:
        return select(Learner.id).where(Learner.person_uuid == learner.person_uuid)
    return select(Learner.id).where(Learner.id == learner.id)


def link(db: Session, first: Learner, second: Learner) -> str:
    """Record that two learner records are one person; the caller has the proof (both claim
    links). Returns the person's id. Skill progress moves to the person's key."""
    if first.erased_at is not None or second.erased_at is not None:
        raise ServiceError(N_("this badge's learner asked for their data to be erased"))
    person = first.person_uuid or second.person_uuid or str(uuidlib.uuid4())
    merged = {value for value in (first.person_uuid, second.person_uuid) if value}
    records = [first, second]
    if merged:
        records += list(db.scalars(select(Learner).where(Learner.person_uuid.in_(merged))))
    old_keys = {person_key(record) for record in records}
    for record in records:
        record.person_uuid = person
    db.flush()
    _move_progress(db, old_keys, f"person:{person}")
    for organisation_id in sorted({record.organisation_id for record in records}):
        audit(db, "learner.link", None, organisation_id, f"person:{person}",
              learners=sorted(r.id for r in records if r.organisation_id == organisation_id))
    return person


def _move_progress(db: Session, old_keys: set[str], new_key: str) -> None:
    # A skill already under the new key keeps its row; the others move to it.
    taken = set(db.scalars(select(SkillAward.skill_id).where(SkillAward.person_key == new_key)))
    for award in db.scalars(select(SkillAward).where(
            or_(*(SkillAward.person_key == key for key in old_keys)))):
        if award.skill_id not in taken:
            taken.add(award.skill_id)
            db.execute(update(SkillAward).where(SkillAward.id == award.id)
                       .values(person_key=new_key))
    db.flush()
