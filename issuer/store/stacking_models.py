"""Tables of stacks and endorsements: skill awards, the parts they count, endorsements.

A `SkillAward` row exists once per (person, skill): its unique key makes two transactions that
complete the same stack at the same moment meet on one row, and the row lock taken on it
serialises them, so the skill badge is issued exactly once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import (
    AchievementTemplate,
    Base,
    Credential,
    Learner,
    Organisation,
    utcnow,
)

# SkillAward.state
IN_PROGRESS = "in-progress"  # some parts held, or a part was revoked after the award
PENDING = "pending"  # complete, waiting for a trainer's click (award = "one-click")
ISSUED = "issued"  # the skill badge is issued and counts its parts


class SkillAward(Base):
    """One person's progress on one skill, and the skill badge once issued."""

    __tablename__ = "skill_award"
    __table_args__ = (UniqueConstraint("person_key", "skill_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # "person:<uuid>" for learner records linked by proof, else "learner:<id>" (services.people).
    person_key: Mapped[str] = mapped_column(String(80))
    skill_id: Mapped[str] = mapped_column(String(100))  # the skill's catalogue id
    state: Mapped[str] = mapped_column(String(16), default=IN_PROGRESS)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learner.id"))
    template_pk: Mapped[int | None] = mapped_column(ForeignKey("achievement_template.id"))
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credential.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    learner: Mapped[Learner | None] = relationship()
    template: Mapped[AchievementTemplate | None] = relationship()
    credential: Mapped[Credential | None] = relationship()
    parts: Mapped[list[SkillAwardPart]] = relationship(
        back_populates="award", cascade="all, delete-orphan")


class SkillAwardPart(Base):
    """A component badge the issued skill badge counted (its evidence)."""

    __tablename__ = "skill_award_part"
    award_id: Mapped[int] = mapped_column(ForeignKey("skill_award.id"), primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), primary_key=True,
                                               index=True)

    award: Mapped[SkillAward] = relationship(back_populates="parts")
    credential: Mapped[Credential] = relationship()


class Endorsement(Base):
    """A signed EndorsementCredential of one achievement (a template version in one language)."""

    __tablename__ = "endorsement"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    endorser_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    template_pk: Mapped[int] = mapped_column(ForeignKey("achievement_template.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    achievement_id: Mapped[str] = mapped_column(String(500))
    comment: Mapped[str | None] = mapped_column(Text)
    signed_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    # The endorsement's revocation slot: withdrawing sets it, so badges issued earlier, which
    # embed the endorsement, stop showing it as valid. None for endorsements signed before.
    status_list_id: Mapped[int | None] = mapped_column(ForeignKey("status_list.id"))
    status_index: Mapped[int | None] = mapped_column(Integer)

    endorser: Mapped[Organisation] = relationship()
    template: Mapped[AchievementTemplate] = relationship()
