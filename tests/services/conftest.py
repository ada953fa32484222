"""Fixtures of the service tests (database, app and `world` come from tests/conftest.py)."""

import pytest

from issuer.config import Settings
from issuer.services.queue import JobQueue
from tests.helpers import import_sample_catalogue


@pytest.fixture
def templates(db, world):
    """The sample catalogue imported beside the world's: every current template by id."""
    return import_sample_catalogue(db)


@pytest.fixture
def job_queue(overrides):
    """The deployment's real job queue (SQLite file or PostgreSQL tables), emptied."""
    queue = JobQueue(Settings.from_env(overrides))
    queue.huey.flush()
    yield queue
    queue.close()
