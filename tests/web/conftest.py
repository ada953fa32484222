"""App, client and database fixtures on SQLite always and on PostgreSQL when DATABASE_URL is set.

Each test gets an empty, migrated database: a fresh SQLite file, or on PostgreSQL a schema
created for this test session (via `search_path`) and emptied before every test. Helpers build
an organisation with a key, accounts, the test catalogue, a session and learners (`world`), and
log in through the real form (`login`).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from issuer.config import Settings, activate
from issuer.core.keys import ED25519, PrivateKey
from issuer.services import unit_of_work
from issuer.services.accounts import create_user
from issuer.services.catalogue import import_catalogue
from issuer.services.keys import active_key
from issuer.services.learners import create_learner
from issuer.store.db import make_engine, make_sessionmaker, normalise_url
from issuer.store.migrations import load_models, upgrade
from issuer.store.models import Organisation, TrainingSession

TEST_CATALOGUE = Path(__file__).parent.parent / "services" / "catalogue"
TEST_PASSWORD = "correct horse battery staple"
BASE_URL = "https://badges.example.org"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])


def settings_for(instance: Path, database_url: str, **extra) -> dict:
    """create_app overrides for a test instance: fixed secrets and cheap argon2 costs."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": BASE_URL,
        "SECRET_KEY": "test-secret-key",
        "SKY_KEY_PASSPHRASE": "test-key-passphrase",
        "SKY_PASSWORD_TIME_COST": 1,
        "SKY_PASSWORD_MEMORY_COST": 64,
        "SKY_KEY_KDF_ITERATIONS": 1000,
        **extra,
    }


@pytest.fixture(scope="session")
def postgres_url():
    """A migrated schema of its own on the DATABASE_URL database, dropped at the end."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        pytest.skip("DATABASE_URL is not set")
    schema = f"sky_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    upgrade(url)
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(normalise_url(url))
    tables = ", ".join(f'"{t.name}"' for t in load_models().sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A migrated, empty SQLite file, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """An empty, migrated database: SQLite file, or the emptied PostgreSQL test schema."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def overrides(database_url, tmp_path) -> dict:
    """The settings of this test's instance (create_app's test_config)."""
    return settings_for(tmp_path / "instance", database_url, AUTO_MIGRATE=False)


@pytest.fixture
def db(overrides):
    """A database session outside any request (the services' first argument).

    It needs no app: the service tests run even while a blueprint is being written.
    """
    settings = activate(Settings.from_env(overrides))
    engine = make_engine(settings.database_url)
    session = make_sessionmaker(engine)()
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def app(overrides):
    from issuer.web import create_app

    application = create_app(overrides)
    yield application
    application.extensions["sky_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class World:
    """One organisation ready to issue: key, admin, trainer, catalogue, a session, learners."""

    org: Organisation
    admin: object
    trainer: object
    template: object
    session: TrainingSession
    learners: list


def make_organisation(db, slug="agfe", name="AGFE", country="FR", language="fr"):
    """An organisation with its first signing key."""
    org = Organisation(slug=slug, name=name, country_code=country, default_language=language,
                       url=f"https://{slug}.example.org", email=f"contact@{slug}.example.org")
    db.add(org)
    db.flush()
    active_key(db, org)
    return org


def make_world(db, slug="agfe", learner_names=("Zoé Lefèvre", "Łukasz Wiśniewski")) -> World:
    """Build and commit a `World` (the catalogue is imported once per database)."""
    with unit_of_work(db):
        org = make_organisation(db, slug=slug)
        admin = create_user(db, org, f"admin@{slug}.example.org", "Ada Admin", "admin",
                            TEST_PASSWORD)
        trainer = create_user(db, org, f"trainer@{slug}.example.org", "Théo Trainer",
                              "trainer", TEST_PASSWORD)
        templates = import_catalogue(db, TEST_CATALOGUE)
        template = templates[0] if templates else _current_template(db)
        session = TrainingSession(organisation_id=org.id, template_pk=template.id,
                                  trainer_id=trainer.id, title="Jardin partagé", place="Lyon",
                                  language="fr", starts_on=date(2026, 3, 2),
                                  ends_on=date(2026, 3, 2))
        db.add(session)
        learners = [create_learner(db, org, name, language="fr") for name in learner_names]
    return World(org, admin, trainer, template, session, learners)


def _current_template(db):
    from issuer.services.catalogue import current_templates

    return current_templates(db)[0]


@pytest.fixture
def world(db):
    return make_world(db)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def submit(client, page: str, data: dict, action: str | None = None, **kwargs):
    """GET `page`, then POST `data` with its CSRF token to `action` (default: the same page)."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={"csrf_token": token, **data}, **kwargs)


@pytest.fixture
def login(client):
    """Log a user in through the log-in form: `login(user)` or `login(email, password)`."""

    def log_in(user_or_email, password=TEST_PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return submit(client, "/auth/login", {"email": email, "password": password})

    return log_in


@pytest.fixture
def badge(db, world):
    """A freshly issued micro-training badge, every gesture acquired."""
    from tests.services.helpers import issue

    return issue(db, world)


@pytest.fixture
def holder():
    """A wallet holder's Ed25519 key (its did:key is the holder DID)."""
    return PrivateKey.generate(ED25519)
