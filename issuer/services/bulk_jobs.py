"""Bulk issuance as a background job: checked whole in the request, carried out by a worker.

A thousand rows take longer than a web request may last, so the request only checks the file
(`start` refuses a file with any bad row: nothing is issued from it) and stores it as a
`BulkJob`; a worker (`run`, through the job queue in services/queue.py) carries out the rows.

Exactly once per row: each row's learner, assessment and credential are committed in one
transaction with its `BulkJobRow`, whose (job, line) is unique. Rows go CHUNK at a time: a
chunk's learners and evaluations are saved, its badges minted together (slots, short ids and
inserts in one statement each, the key read once) and the chunk committed in one transaction
with its `BulkJobRow`s. When a row of the chunk fails, or another worker kept one of its rows
first, the chunk is rolled back whole and its rows carried out again one transaction each, so a
bad row is reported alone. A worker that dies mid-way leaves its current chunk rolled back and
every earlier row recorded; whoever runs the job next skips the recorded rows, and two workers
on one job collide on the unique key instead of issuing twice.

A running job beats its heart after each chunk; one whose heart stopped for `STALE_AFTER`
(a killed worker) or that a worker gave up on (`STOPPED`) can be resumed by the admin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.errors import BadgeError
from issuer.core.messages import N_, dump, load
from issuer.store.job_models import DONE, QUEUED, RUNNING, STOPPED, BulkJob, BulkJobRow
from issuer.store.models import Credential, TrainingSession

from . import bulk, catalogue
from .base import NotFound, ServiceError, audit, require_organisation
from .intake import Roster

STALE_AFTER = timedelta(minutes=2)  # a row takes milliseconds; a silent job has lost its worker
CHUNK = 100  # rows carried out, signed and committed together
MAX_NAME = 200


class InvalidBulkFile(ServiceError):
    """Some rows of the file cannot be used: nothing is issued until the file is corrected."""

    def __init__(self, results: list[bulk.RowResult]):
        self.results = results
        errors = [result for result in results if result.verdict == bulk.ERROR]
        super().__init__(N_("%(count)s line(s) have an error: correct them and upload the "
                            "file again; nothing was issued", count=len(errors)))


def start(db: Session, session: TrainingSession, data: bytes, actor,
          filename: str | None = None) -> BulkJob:
    """Check the whole file and keep it as a queued job (the caller commits, then enqueues).

    Raises `bulk.BulkFileError` for a file that cannot be read and `InvalidBulkFile` when any
    row has an error.
    """
    require_organisation(actor, session.organisation_id)
    results = bulk.preview(db, session, data)
    if any(result.verdict == bulk.ERROR for result in results):
        raise InvalidBulkFile(results)
    job = BulkJob(organisation_id=session.organisation_id, session_id=session.id,
                  started_by_id=getattr(actor, "id", None), csv_data=data,
                  filename=(filename or "")[:MAX_NAME] or None, rows_total=len(results),
                  status=QUEUED)
    db.add(job)
    db.flush()
    audit(db, "bulk.start", actor, session.organisation_id, f"bulk job {job.id}",
          session=session.id, rows=len(results))
    return job


def job_of(db: Session, organisation_id: int, job_id: int) -> BulkJob:
    """The organisation's job `job_id`; another organisation's job does not exist for it."""
    job = db.get(BulkJob, job_id)
    if job is None or job.organisation_id != organisation_id:
        raise NotFound(N_("no such bulk job"))
    return job


def jobs_of(db: Session, organisation_id: int, limit: int = 20) -> list[BulkJob]:
    """The organisation's latest jobs, newest first."""
    return list(db.scalars(select(BulkJob).where(BulkJob.organisation_id == organisation_id)
                           .order_by(BulkJob.id.desc()).limit(limit)))


# --- what the admin sees ----------------------------------------------------------------------


def is_stopped(job: BulkJob, now: datetime | None = None) -> bool:
    """A job no worker is carrying on: given up on, or silent for `STALE_AFTER`."""
    if job.status == STOPPED:
        return True
    return (job.status in (QUEUED, RUNNING)
            and (now or utc_seconds()) - job.heartbeat_at > STALE_AFTER)


def counts(db: Session, job: BulkJob) -> dict[str, int]:
    """How many rows got each verdict so far."""
    return dict(db.execute(select(BulkJobRow.verdict, func.count())
                           .where(BulkJobRow.job_id == job.id)
                           .group_by(BulkJobRow.verdict)).all())


def results(db: Session, job: BulkJob, verdicts: tuple[str, ...] | None = None
            ) -> list[bulk.RowResult]:
    """The rows done so far (only those with one of `verdicts` when given), by line."""
    query = (select(BulkJobRow, Credential.short_id, Credential.uuid)
             .outerjoin(Credential, Credential.id == BulkJobRow.credential_id)
             .where(BulkJobRow.job_id == job.id).order_by(BulkJobRow.line))
    if verdicts is not None:
        query = query.where(BulkJobRow.verdict.in_(verdicts))
    return [bulk.RowResult(row.line, row.name, row.verdict,
                           load(row.message) if row.message else "",
                           credential_uuid=uuid, short_id=short_id)
            for row, short_id, uuid in db.execute(query)]


# --- the worker's side ------------------------------------------------------------------------


def resume(db: Session, job: BulkJob, now: datetime | None = None) -> bool:
    """Queue a stopped job again (the caller enqueues it); False when it is not stopped."""
    now = now or utc_seconds()
    if not is_stopped(job, now):
        return False
    queued = db.execute(update(BulkJob).where(
        BulkJob.id == job.id, BulkJob.status == job.status,
        BulkJob.heartbeat_at == job.heartbeat_at).values(status=QUEUED, heartbeat_at=now))
    db.commit()
    return queued.rowcount == 1


def run(db: Session, job_id: int, now: datetime | None = None,
        stopping: Callable[[], bool] = lambda: False) -> BulkJob | None:
    """Carry out a queued job's remaining rows, committing each; None when no job is queued
    under `job_id` (a duplicate message, or another worker took it).

    When `stopping()` turns true (the worker is shutting down) the job is handed back between
    two rows: QUEUED again, for the caller to enqueue. `now` is the issuance time (tests);
    heartbeats use the real clock."""
    job = _claim(db, job_id)
    if job is None:
        return None
    try:
        finished = _run_rows(db, job, now, stopping)
    except Exception:
        db.rollback()
        _set_status(db, job, STOPPED)
        raise
    if finished:
        job.finished_at = utc_seconds()
    _set_status(db, job, DONE if finished else QUEUED)
    return job


def _set_status(db: Session, job: BulkJob, status: str) -> None:
    job.status = status
    db.commit()


def _claim(db: Session, job_id: int) -> BulkJob | None:
    """Take a queued job, atomically: of two workers given the same job, one gets it."""
    taken = db.execute(update(BulkJob).where(BulkJob.id == job_id, BulkJob.status == QUEUED)
                       .values(status=RUNNING, heartbeat_at=utc_seconds(),
                               attempts=BulkJob.attempts + 1))
    db.commit()
    return db.get(BulkJob, job_id, populate_existing=True) if taken.rowcount == 1 else None


def _run_rows(db: Session, job: BulkJob, now: datetime | None,
              stopping: Callable[[], bool]) -> bool:
    """Carry out the rows not done yet, CHUNK at a time; False when `stopping` interrupted
    them."""
    session = job.session
    training = catalogue.training_of(session.template)
    actor = job.started_by
    done = set(db.scalars(select(BulkJobRow.line).where(BulkJobRow.job_id == job.id)))
    roster = Roster(db, session.organisation_id, session)
    rows = [row for row in bulk.parse(bulk.decode(job.csv_data), training)
            if row.line not in done]
    for start in range(0, len(rows), CHUNK):
        if stopping():
            return False
        chunk = rows[start:start + CHUNK]
        if _run_chunk(db, job, session, training, chunk, roster, actor, now):
            continue
        for row in chunk:  # one row failed: each row alone, as its own transaction
            if stopping():
                return False
            _run_row(db, job, session, training, row, roster, actor, now)
    return True


def _run_chunk(db: Session, job: BulkJob, session: TrainingSession, training, chunk: list,
               roster: Roster, actor, now: datetime | None) -> bool:
    """Every row of `chunk` with its `BulkJobRow` in one transaction; False, with nothing
    kept, when one row fails or another worker kept one of them first."""
    rows = [row for row in chunk if isinstance(row, bulk.BulkRow)]
    try:
        results = {result.line: result for result in
                   bulk.carry_out_many(db, session, training, rows, roster, actor, now)}
        for row in chunk:
            result = row if isinstance(row, bulk.RowResult) else results[row.line]
            _add_row(db, job, result, result.credential_id)
        db.commit()
    except (BadgeError, SQLAlchemyError):
        db.rollback()
        return False
    return True


def _run_row(db: Session, job: BulkJob, session: TrainingSession, training, row,
             roster: Roster, actor, now: datetime | None) -> None:
    """One row in its own transaction: its result is kept whatever happens."""
    if db.scalar(select(BulkJobRow.id).where(BulkJobRow.job_id == job.id,
                                             BulkJobRow.line == row.line)) is not None:
        return  # another worker kept it meanwhile
    if isinstance(row, bulk.RowResult):  # the catalogue changed since the file was checked
        _keep(db, job, row)
        return
    try:
        result = bulk.carry_out(db, session, training, row, roster, actor, now)
    except (BadgeError, SQLAlchemyError) as error:
        db.rollback()
        result = bulk.failed(row, error)
    _keep(db, job, result)


def _keep(db: Session, job: BulkJob, result: bulk.RowResult) -> None:
    """Commit the row's outcome with its work. When the commit fails, the row is left to the
    worker that kept it first, or else kept as an error (its work rolled back)."""
    credential_id = result.credential_id
    if credential_id is None and result.credential_uuid:
        credential_id = db.scalar(select(Credential.id).where(
            Credential.uuid == result.credential_uuid))
    _add_row(db, job, result, credential_id)
    try:
        db.commit()
    except SQLAlchemyError as error:
        db.rollback()
        if db.scalar(select(BulkJobRow.id).where(BulkJobRow.job_id == job.id,
                                                 BulkJobRow.line == result.line)) is None:
            _add_row(db, job, bulk.RowResult(result.line, result.name, bulk.ERROR,
                                             bulk.message(error)), None)
            db.commit()


def _add_row(db: Session, job: BulkJob, result: bulk.RowResult, credential_id: int | None):
    db.add(BulkJobRow(job_id=job.id, line=result.line, name=result.name[:MAX_NAME],
                      verdict=result.verdict, credential_id=credential_id,
                      message=dump(result.message) if result.message else None))
    job.heartbeat_at = utc_seconds()
