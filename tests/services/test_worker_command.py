"""`sky-badges worker` as a real process: it carries out queued jobs, and SIGTERM (what a
process manager sends) hands a running job back to the queue between two rows, so the next
worker goes on with it and every row is carried out once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from issuer.services import bulk_jobs
from issuer.store.job_models import DONE, QUEUED, BulkJob, BulkJobRow
from issuer.store.models import Credential
from tests.helpers import count, free_port
from tests.services.helpers import csv_file, queued, will_issue


def start_command(overrides, log_path, *arguments):
    """`sky-badges ARGUMENTS…` in its own process, on the test's database and instance."""
    environment = {**os.environ, **{name: str(value) for name, value in overrides.items()
                                    if name.isupper() and name not in ("TESTING",
                                                                      "AUTO_MIGRATE")}}
    environment["SKY_INSTANCE_PATH"] = str(overrides["INSTANCE_PATH"])
    log = log_path.open("a", encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from issuer.cli import main; sys.exit(main())",
         *arguments], env=environment, stdout=log, stderr=subprocess.STDOUT)


def start_worker(overrides, log_path):
    return start_command(overrides, log_path, "worker", "--threads", "1")


def wait_for(condition, timeout: float, what: str, log_path):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not seen in {timeout} s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)


def rows_done(db, job) -> int:
    return count(db, BulkJobRow, BulkJobRow.job_id == job.id)


def status(db, job) -> str:
    db.expire_all()
    return db.get(BulkJob, job.id).status


def test_sigterm_hands_the_job_back_and_the_next_worker_finishes_it(db, world, overrides,
                                                                    job_queue, tmp_path):
    # The worker stops between two chunks: enough rows that some are left after the second.
    rows, log_path = 4 * bulk_jobs.CHUNK, tmp_path / "worker.log"
    job = queued(db, world, csv_file(rows))
    job_queue.enqueue_bulk_job(job.id)
    first = start_worker(overrides, log_path)
    try:
        wait_for(lambda: rows_done(db, job) >= 10, 120, "progress", log_path)
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0
    finally:
        first.kill()
    done_by_first = rows_done(db, job)
    assert status(db, job) == QUEUED and 10 <= done_by_first < rows
    assert job_queue.huey.pending_count() == 1  # its message is back in the queue

    second = start_worker(overrides, log_path)
    try:
        wait_for(lambda: status(db, job) == DONE, 300, "the job done", log_path)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert rows_done(db, job) == rows
    assert count(db, Credential) == will_issue(rows)
    assert db.get(BulkJob, job.id).attempts == 2
    assert sorted(bulk_jobs.counts(db, job).values()) == [rows // 10, will_issue(rows)]


def test_serve_alone_carries_out_queued_jobs_the_embedded_default(db, world, overrides,
                                                                 job_queue, tmp_path):
    log_path = tmp_path / "serve.log"
    job = queued(db, world, csv_file(5))
    job_queue.enqueue_bulk_job(job.id)
    port = free_port()
    server = start_command(overrides, log_path, "serve", "--no-demo", "--port", str(port))
    try:
        wait_for(lambda: status(db, job) == DONE, 120, "the job done", log_path)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    assert count(db, Credential) == will_issue(5)


def test_serve_without_its_worker_leaves_jobs_to_the_workers(db, world, overrides, job_queue,
                                                             tmp_path):
    log_path = tmp_path / "serve.log"
    job = queued(db, world, csv_file(2))
    job_queue.enqueue_bulk_job(job.id)
    port = free_port()
    server = start_command(overrides, log_path, "serve", "--no-demo", "--no-worker",
                           "--port", str(port))
    try:
        wait_for(lambda: "SKY Badges on" in log_path.read_text(), 60, "the server", log_path)
        time.sleep(2)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    assert (status(db, job), job_queue.huey.pending_count()) == (QUEUED, 1)
