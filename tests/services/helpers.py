"""Helpers the service tests share: bulk CSV files and queued bulk jobs."""

from __future__ import annotations

from issuer.services import bulk_jobs, unit_of_work
from issuer.store.job_models import BulkJob

HEADER = "name,email,language,dig-hole,stake-and-water,comment,activity_start,activity_end"


def csv_file(rows: int, not_yet_every: int = 10) -> bytes:
    """`rows` learners; every `not_yet_every`-th one has not yet acquired a gesture."""
    lines = [HEADER] + [
        f"Learner {n:04d} Łódź,learner{n}@example.org,,acquired,"
        f"{'not-yet' if n % not_yet_every == 0 else 'acquired'},,,"
        for n in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


def will_issue(rows: int, not_yet_every: int = 10) -> int:
    return rows - rows // not_yet_every


def queued(db, world, data: bytes) -> BulkJob:
    with unit_of_work(db):
        return bulk_jobs.start(db, world.session, data, world.admin, "learners.csv")

