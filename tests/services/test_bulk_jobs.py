"""Bulk issuance as a job: checked whole before anything is issued, run by a real queue
consumer, progress readable mid-way, resumed after a crash with every row carried out once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from issuer.core.messages import N_, Joined, Localised, dump, load
from issuer.services import NotFound, PermissionDenied, bulk, bulk_jobs
from issuer.store.job_models import DONE, QUEUED, RUNNING, STOPPED, BulkJob, BulkJobRow
from issuer.store.models import Assessment, AuditEvent, Credential, Learner, utcnow
from tests.helpers import count, make_world
from tests.services.helpers import csv_file, queued, will_issue


class Crash(BaseException):
    """A worker dying mid-row (killed): nothing of the row is committed, nothing is caught."""


# --- checked whole, before anything is issued -------------------------------------------------


def test_a_file_with_one_bad_row_is_refused_and_nothing_is_stored(db, world):
    data = csv_file(5).replace(b"Learner 0003 \xc5\x81\xc3\xb3d\xc5\xba,learner3@example.org",
                               b"Learner 0003,learner3@")
    with pytest.raises(bulk_jobs.InvalidBulkFile) as refused:
        queued(db, world, data)
    assert str(refused.value) == ("1 line(s) have an error: correct them and upload the file "
                                  "again; nothing was issued")
    errors = [r for r in refused.value.results if r.verdict == bulk.ERROR]
    assert [(r.line, r.problems) for r in errors] == [
        (4, ["email: 'learner3@' is not an e-mail address"])]
    assert (count(db, BulkJob), count(db, Learner), count(db, Assessment)) == (0, 2, 0)


def test_a_valid_file_becomes_a_queued_job_and_issues_nothing_yet(db, world):
    job = queued(db, world, csv_file(3))
    assert (job.status, job.rows_total, job.started_by_id, job.filename) == (
        QUEUED, 3, world.admin.id, "learners.csv")
    assert count(db, Credential) == 0
    assert count(db, AuditEvent, AuditEvent.action == "bulk.start",
                 AuditEvent.user_id == world.admin.id) == 1


def test_an_admin_of_another_organisation_cannot_start_a_job_for_the_session(db, world):
    other = make_world(db, slug="barka", learner_names=())
    with pytest.raises(PermissionDenied):
        bulk_jobs.start(db, world.session, csv_file(1), other.admin)


def test_another_organisations_job_does_not_exist_for_it(db, world):
    job = queued(db, world, csv_file(1))
    other = make_world(db, slug="barka", learner_names=())
    with pytest.raises(NotFound):
        bulk_jobs.job_of(db, other.org.id, job.id)
    assert bulk_jobs.job_of(db, world.org.id, job.id) is job
    assert bulk_jobs.jobs_of(db, other.org.id) == []


# --- run ----------------------------------------------------------------------------------------


def test_run_carries_out_every_row_and_keeps_each_outcome(db, world):
    job = queued(db, world, csv_file(20))
    assert bulk_jobs.run(db, job.id).status == DONE
    assert bulk_jobs.counts(db, job) == {bulk.ISSUED: 18, bulk.NOT_YET_ACQUIRED: 2}
    not_yet = bulk_jobs.results(db, job, (bulk.NOT_YET_ACQUIRED,))
    assert [(r.line, r.message) for r in not_yet] == [(11, "Stake and water the tree"),
                                                      (21, "Stake and water the tree")]
    issued = bulk_jobs.results(db, job, (bulk.ISSUED,))[0]
    credential = db.scalar(select(Credential).where(Credential.uuid == issued.credential_uuid))
    assert (issued.line, issued.short_id, credential.learner.name) == (
        2, credential.short_id, "Learner 0001 Łódź")
    assert count(db, Credential) == 18


def test_a_job_is_run_by_one_worker_only(db, world):
    job = queued(db, world, csv_file(2))
    assert bulk_jobs.run(db, job.id) is not None
    assert bulk_jobs.run(db, job.id) is None  # a second message for the same job
    assert count(db, Credential) == 2


def test_a_row_refused_while_issuing_is_kept_as_an_error_and_the_others_go_on(db, world,
                                                                                 monkeypatch):
    real = bulk.carry_out_many

    def refuse_line_3(db, session, training, rows, *args):
        if any(row.line == 3 for row in rows):
            raise bulk_jobs.ServiceError(N_("the learner's personal data was erased"))
        return real(db, session, training, rows, *args)

    # The chunk of three fails whole, then each row is carried out alone.
    monkeypatch.setattr(bulk, "carry_out_many", refuse_line_3)
    job = queued(db, world, csv_file(3))
    bulk_jobs.run(db, job.id)
    assert [(r.line, r.verdict, r.message) for r in bulk_jobs.results(db, job)] == [
        (2, bulk.ISSUED, ""), (3, bulk.ERROR, "the learner's personal data was erased"),
        (4, bulk.ISSUED, "")]
    assert count(db, Learner, Learner.name.like("Learner 0002%")) == 0  # rolled back


def test_an_unexpected_error_stops_the_job_so_it_can_be_resumed(db, world, monkeypatch):
    def broken(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "carry_out_many", broken)
    job = queued(db, world, csv_file(2))
    with pytest.raises(RuntimeError):
        bulk_jobs.run(db, job.id)
    db.refresh(job)
    assert (job.status, bulk_jobs.is_stopped(job)) == (STOPPED, True)


# --- crash and resume -------------------------------------------------------------------------


def test_after_a_crash_mid_row_resume_carries_out_each_row_exactly_once(db, world, monkeypatch,
                                                                        overrides):
    rows, crash_at, chunk = 60, 31, 7
    real = bulk.carry_out_many

    def die_on_line(db, session, training, chunk_rows, *args):
        results = real(db, session, training, chunk_rows, *args)  # issued, not committed yet
        if any(row.line == crash_at for row in chunk_rows):
            raise Crash()
        return results

    monkeypatch.setattr(bulk_jobs, "CHUNK", chunk)
    monkeypatch.setattr(bulk, "carry_out_many", die_on_line)
    job = queued(db, world, csv_file(rows))
    with pytest.raises(Crash):
        bulk_jobs.run(db, job.id)
    db.rollback()  # the dead worker's connection is gone: its open transaction with it
    db.refresh(job)
    # Lines start at 2: the chunks before the one holding line 31 were committed, whole.
    committed = (crash_at - 2) // chunk * chunk
    assert (job.status, sum(bulk_jobs.counts(db, job).values())) == (RUNNING, committed)
    assert count(db, Credential) == will_issue(committed)
    assert not bulk_jobs.is_stopped(job)  # its heart beat a moment ago
    assert not bulk_jobs.resume(db, job)

    monkeypatch.setattr(bulk, "carry_out_many", real)
    later = utcnow() + bulk_jobs.STALE_AFTER + timedelta(seconds=1)
    assert bulk_jobs.is_stopped(job, later)
    assert bulk_jobs.resume(db, job, later)
    assert bulk_jobs.run(db, job.id).status == DONE

    assert (job.attempts, count(db, BulkJobRow)) == (2, rows)
    assert count(db, Credential) == will_issue(rows)
    per_learner = db.execute(select(Learner.name, func.count(Credential.id))
                             .join(Credential, Credential.learner_id == Learner.id)
                             .group_by(Learner.name)).all()
    assert {n for _, n in per_learner} == {1} and len(per_learner) == will_issue(rows)
    assert count(db, Learner) == 2 + rows


# --- a real queue --------------------------------------------------------------------------------


def test_a_thousand_row_job_completes_in_the_consumer_with_progress_visible_mid_way(
        db, world, job_queue):
    job = queued(db, world, csv_file(bulk.MAX_ROWS))
    consumer = job_queue.start_in_process()
    started = time.monotonic()
    try:
        job_queue.enqueue_bulk_job(job.id)
        seen = _progress_until_done(db, job, timeout=600)
    finally:
        consumer.stop(graceful=True)
    elapsed = time.monotonic() - started
    print(f"\n1,000-row bulk job on {db.bind.dialect.name}: {elapsed:.1f} s")
    assert any(0 < done < bulk.MAX_ROWS for done in seen)  # progress while it ran
    assert bulk_jobs.counts(db, job) == {bulk.ISSUED: will_issue(bulk.MAX_ROWS),
                                         bulk.NOT_YET_ACQUIRED: bulk.MAX_ROWS // 10}
    assert count(db, Credential) == will_issue(bulk.MAX_ROWS)


def _progress_until_done(db, job, timeout: float) -> list[int]:
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.expire_all()
        db.refresh(job)
        seen.append(sum(bulk_jobs.counts(db, job).values()))
        db.commit()  # a fresh snapshot next time round
        if job.status == DONE:
            return seen
        time.sleep(0.2)
    pytest.fail(f"job not done after {timeout} s: {job.status}, {seen[-1]} rows")


def test_two_consumers_given_the_same_job_issue_each_row_once(db, world, job_queue):
    job = queued(db, world, csv_file(40))
    consumers = [job_queue.start_in_process(), job_queue.start_in_process()]
    try:
        for _ in range(3):
            job_queue.enqueue_bulk_job(job.id)
        _progress_until_done(db, job, timeout=120)
        time.sleep(0.5)  # let the other messages be taken (and found not queued)
    finally:
        for consumer in consumers:
            consumer.stop(graceful=True)
    assert (count(db, BulkJobRow), count(db, Credential)) == (40, will_issue(40))


# --- messages kept in the database --------------------------------------------------------------


def test_a_kept_message_is_translatable_again():
    message = N_("%(column)s: %(count)s problems: %(list)s", column="name", count=3,
                 list=Joined([N_("a %(x)s", x="b"), Localised({"en": "Tree", "fr": "Arbre"})]))
    again = load(dump(message))
    assert (again, again.template, again.params["count"]) == (message, message.template, 3)
    assert again.params["list"].items[1].in_language("fr") == "Arbre"
