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


@pytest.fixture
def environment(overrides, monkeypatch):
    """The process environment of a `sky-badges` command on this test's instance."""
    for name in ("DATABASE_URL", "PUBLIC_BASE_URL", "SKY_KEY_PASSPHRASE", "SECRET_KEY",
                 "SKY_PASSWORD_TIME_COST", "SKY_PASSWORD_MEMORY_COST", "SKY_KEY_KDF_ITERATIONS"):
        monkeypatch.setenv(name, str(overrides[name]))
    monkeypatch.setenv("SKY_INSTANCE_PATH", overrides["INSTANCE_PATH"])
    for name in ("SMTP_HOST", "SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    return overrides
