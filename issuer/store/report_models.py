"""Tables of the pilot's reporting: partner targets, learners' follow-ups, badge page views.

None of them names who looked at a badge: `CredentialViewDay` is a number per credential and
day, added to in batches (services/views.py), with no address, agent or cookie behind it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, Credential, Learner, Organisation, User, utcnow

# LearnerOutcome.situation
OUTCOMES = ("job", "further_training", "volunteering", "none", "unknown")
FOLLOW_UP_MONTHS = (3, 6)


class PartnerTarget(Base):
    """What a partner set out to reach in the pilot (the coordinator edits it)."""

    __tablename__ = "partner_target"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    learners: Mapped[int] = mapped_column(Integer)
    micro_trainings: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    organisation: Mapped[Organisation] = relationship()


class LearnerOutcome(Base):
    """A learner's situation 3 or 6 months after the training, as a trainer or adviser heard it."""

    __tablename__ = "learner_outcome"
    __table_args__ = (UniqueConstraint("learner_id", "months"),
                      CheckConstraint("months IN (3, 6)", name="ck_learner_outcome_months"))
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"))
    months: Mapped[int] = mapped_column(Integer)
    situation: Mapped[str] = mapped_column(String(32))
    observed_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    learner: Mapped[Learner] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class CredentialViewDay(Base):
    """How many times a badge's public page was opened on one (UTC) day; nothing about who."""

    __tablename__ = "credential_view_day"
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)

    credential: Mapped[Credential] = relationship()
