"""Tables of background jobs: a bulk issuance job and the outcome of each of its rows.

The queue (Huey) only carries "run job N"; everything the admin sees — progress, per-row
outcomes, who started it — is here, so a lost queue message or a crashed worker loses nothing:
the job is resumed from these rows. A `BulkJobRow` is written in the same transaction as the
row's learner, assessment and credential, and (job, line) is unique: a row is carried out at
most once, whoever runs it and however often.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, Credential, Organisation, TrainingSession, User, utcnow

# BulkJob.status
QUEUED = "queued"  # waiting for a worker
RUNNING = "running"  # a worker holds it and beats its heart after each row
DONE = "done"  # every row has an outcome
STOPPED = "stopped"  # a worker gave up on it (an unexpected error); the admin may resume


class BulkJob(Base):
    """One uploaded CSV file being issued for one training session."""

    __tablename__ = "bulk_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str | None] = mapped_column(String(200))
    csv_data: Mapped[bytes] = mapped_column(LargeBinary)  # the checked file, at most 300 kB
    rows_total: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # how often a worker took it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    session: Mapped[TrainingSession] = relationship()
    started_by: Mapped[User | None] = relationship()


class BulkJobRow(Base):
    """What became of one line of a job's file; its presence means "done, never again"."""

    __tablename__ = "bulk_job_row"
    __table_args__ = (UniqueConstraint("job_id", "line"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_job.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(16))
    message: Mapped[dict | None]  # a translatable message (issuer.core.messages.dump)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("credential.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    credential: Mapped[Credential | None] = relationship()
