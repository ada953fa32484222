"""Fixtures of the web tests: a test client, the real log-in form, a logged-in admin or
trainer, an API token, a badge.

The app, database and `world` fixtures come from tests/conftest.py.
"""

from __future__ import annotations

import pytest

from issuer.services import unit_of_work
from issuer.services.api_tokens import create_token
from tests.helpers import TEST_PASSWORD, issue, open_claim, submit


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """Log a user in through the log-in form: `login(user)` or `login(email, password)`."""

    def log_in(user_or_email, password=TEST_PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return submit(client, "/auth/login", {"email": email, "password": password})

    return log_in


@pytest.fixture
def admin(client, world, login):
    """The world's administrator, logged in."""
    login(world.admin)
    return world.admin


@pytest.fixture
def trainer(client, world, login):
    """The world's trainer, logged in."""
    login(world.trainer)
    return world.trainer


@pytest.fixture
def token(db, world):
    """A live API token of the world's organisation (the plain value)."""
    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "LMS")
    return plain


@pytest.fixture
def headers(token):
    """The API request headers carrying `token`."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def badge(db, world, client):
    """A freshly issued micro-training badge, every gesture acquired, whose claim link the
    learner has opened in `client` (the code chosen: `tests.helpers.LEARNERS_CODE`)."""
    credential = issue(db, world)
    assert open_claim(client, credential.claim_token).status_code == 302
    return credential
