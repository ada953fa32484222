"""The job queue: long work runs in a worker, never inside a web request.

Two tasks: a bulk issuance (`bulk-job`) and the re-signing of a withdrawn key's badges
(`resign-key`). Huey carries the messages ("run bulk job N", "re-sign for key N"); the state
lives in the project's own tables (services/bulk_jobs.py; for a key, the badges that still
carry its signature), so a lost message costs a click on Resume or Carry on, never a badge.
The queue follows the database, so no new server is needed:

- SQLite (the embedded default): a queue file `jobs.db` in the instance folder, consumed by
  threads inside `sky-badges serve` (`start_in_process`);
- PostgreSQL: Huey's PostgresStorage in the same database (tables `huey_*`, created by the
  migrations), consumed by any number of `sky-badges worker` processes on any host.
"""

from __future__ import annotations

import logging

from huey import Huey, PostgresHuey, SqliteHuey
from huey.consumer import Consumer

from issuer.config import Settings
from issuer.store.db import make_engine, make_sessionmaker
from issuer.store.job_models import QUEUED
from issuer.store.models import SigningKey

from . import bulk_jobs, key_withdrawal

QUEUE_NAME = "sky-badges"
BULK_TASK = "bulk-job"
RESIGN_TASK = "resign-key"
logger = logging.getLogger(__name__)


class JobQueue:
    """The queue of one deployment and the tasks its workers run."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.huey = _huey(settings)
        self._sessions = None
        self._stop_flags: list = []  # of the consumers in this process
        self._bulk_task = self.huey.task(name=BULK_TASK)(self._run_bulk_job)
        self._resign_task = self.huey.task(name=RESIGN_TASK)(self._run_resign)

    def enqueue_bulk_job(self, job_id: int) -> None:
        """Ask a worker to run the job (a second message for one job is harmless)."""
        self._bulk_task(job_id)

    def enqueue_resign(self, key_id: int) -> None:
        """Ask a worker to re-sign what the withdrawn key `key_id` still signs (a second
        message for one key is harmless: it finds less, or nothing, left)."""
        self._resign_task(key_id)

    def consumer(self, workers: int = 2) -> Consumer:
        """A consumer of this queue whose workers are threads.

        SIGTERM (what process managers send) and SIGINT stop it gracefully: a running job is
        handed back to the queue between two rows, for the next worker to go on with."""
        consumer = self.huey.create_consumer(workers=workers, worker_type="thread",
                                             periodic=False, graceful_signal="TERM")
        self._stop_flags.append(consumer.stop_flag)
        return consumer

    def start_in_process(self, workers: int = 1) -> Consumer:
        """Run the consumer's threads in this process (the embedded default, tests).

        Unlike `Consumer.start`, it leaves the process's signal handlers alone: Ctrl-C still
        stops the web server, and the daemon threads with it. Stop with `consumer.stop()`.
        """
        consumer = self.consumer(workers)
        consumer.scheduler.start()
        for _, thread in consumer.worker_threads:
            thread.start()
        return consumer

    def close(self) -> None:
        """Release the queue's and the tasks' database connections."""
        self.huey.storage.close()
        if self._sessions is not None:
            self._sessions.kw["bind"].dispose()

    def _session(self):
        if self._sessions is None:
            self._sessions = make_sessionmaker(make_engine(self.settings.database_url),
                                               self.settings)
        return self._sessions()

    def _run_bulk_job(self, job_id: int) -> None:
        with self._session() as db:
            job = bulk_jobs.run(db, job_id, stopping=self._stopping)
        logger.info("bulk job %s: %s", job_id, job.status if job else "not queued")
        if job is not None and job.status == QUEUED:  # handed back by a stopping worker
            self.enqueue_bulk_job(job_id)

    def _run_resign(self, key_id: int) -> None:
        with self._session() as db:
            key = db.get(SigningKey, key_id)
            if key is None or key.withdrawn_at is None:
                return
            done = key_withdrawal.resign_remaining(db, key, stopping=self._stopping)
            left = key_withdrawal.left_to_resign(db, key)
        logger.info("key %s: %s re-signed, %s left", key_id, done, left)
        if left and self._stopping():  # handed back by a stopping worker
            self.enqueue_resign(key_id)

    def _stopping(self) -> bool:
        return any(flag.is_set() for flag in self._stop_flags)


def _huey(settings: Settings) -> Huey:
    if settings.is_sqlite:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(settings.instance_path / "jobs.db"),
                          results=False)
    return PostgresHuey(QUEUE_NAME, dsn=libpq_url(settings.database_url), results=False,
                        create_tables=False)


def libpq_url(url: str) -> str:
    """The database URL as psycopg itself reads it (without SQLAlchemy's driver name)."""
    scheme, _, rest = url.partition("://")
    return "postgresql://" + rest if scheme.startswith("postgres") else url
