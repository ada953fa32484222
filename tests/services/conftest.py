"""Fixtures of the service tests (database, app and `world` come from tests/conftest.py)."""

import pytest

from tests.helpers import import_sample_catalogue


@pytest.fixture
def templates(db, world):
    """The sample catalogue imported beside the world's: every current template by id."""
    return import_sample_catalogue(db)
