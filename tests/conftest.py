"""The fixtures every test folder shares; helpers to import are in tests/helpers.py.

Each database test gets an empty, migrated database on SQLite always and on PostgreSQL when
DATABASE_URL is set: a fresh SQLite file, or on PostgreSQL a schema created for this test
session (via `search_path`) and emptied before every test. `world` builds an organisation with a
key, accounts, the test catalogue, a session and learners.

`smtp_server` is a real SMTP server (aiosmtpd) on loopback that keeps what it receives; the
service and web tests of claim e-mails both deliver to it.
"""

import email
import os
import shutil
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import create_engine, text

from issuer.config import Settings
from issuer.core.keys import ED25519, PrivateKey
from issuer.store.db import make_engine, make_sessionmaker, normalise_url
from issuer.store.migrations import load_models, upgrade
from tests.helpers import (
    SMTP_PASSWORD,
    blank_postgres_schema,
    free_port,
    load_vector,
    make_world,
    ob2_site,
    settings_for,
)

QUEUE_TABLES = ("huey_kv", "huey_schedule", "huey_task", "huey_counter")
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])


@pytest.fixture
def vector():
    return load_vector


@pytest.fixture
def holder():
    """A wallet holder's Ed25519 key (its did:key is the holder DID)."""
    return PrivateKey.generate(ED25519)


@pytest.fixture(autouse=True)
def english_terminal(monkeypatch):
    """The CLI speaks the terminal's language; tests start from an English one."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


# --- databases and the app -----------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url():
    """A migrated schema of its own on the DATABASE_URL database, dropped at the end."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        pytest.skip("DATABASE_URL is not set")
    with blank_postgres_schema(base) as url:
        upgrade(url)
        yield url


def _empty_postgres(url: str) -> None:
    engine = create_engine(normalise_url(url))
    # The job queue's tables (services/queue.py) are emptied with the models'.
    names = [t.name for t in load_models().sorted_tables] + list(QUEUE_TABLES)
    tables = ", ".join(f'"{name}"' for name in names)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
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
def blank_database_url(database_url, tmp_path):
    """A second database on the same backend as `database_url`, with no table at all: a SQLite
    file not yet created, or a PostgreSQL schema of its own (dropped after the test)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    with blank_postgres_schema(os.environ["DATABASE_URL"]) as url:
        yield url


@pytest.fixture
def overrides(database_url, tmp_path) -> dict:
    """The settings of this test's instance (create_app's test_config)."""
    return settings_for(tmp_path / "instance", database_url, AUTO_MIGRATE=False)


@pytest.fixture
def db(overrides):
    """A database session outside any request (the services' first argument).

    It needs no app: the service tests run even while a blueprint is being written.
    """
    settings = Settings.from_env(overrides)
    engine = make_engine(settings.database_url)
    session = make_sessionmaker(engine, settings)()
    yield session
    session.close()
    engine.dispose()


@pytest.fixture
def app(overrides):
    from issuer.web import create_app

    application = create_app(overrides)
    yield application
    application.extensions["sky_queue"].close()
    application.extensions["sky_engine"].dispose()


@pytest.fixture
def world(db):
    return make_world(db)


# --- mail ----------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler keeping every delivered message."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, parsed))
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == SMTP_PASSWORD.encode()
    # handled=False: aiosmtpd then answers a refusal with 535; by default (handled=True) it
    # answers nothing and the client waits for its whole timeout.
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server():
    """A loopback SMTP server requiring SMTP_PASSWORD: yields (controller, mailbox)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(),
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def ob2():
    """An Open Badges 2.0 issuer served by a real HTTP server on loopback (helpers.Ob2Site)."""
    with ob2_site() as site:
        yield site
