"""Engine and session factory for SQLite (embedded default) and PostgreSQL (production).

The settings travel with the session: `make_sessionmaker(engine, settings)` puts them in every
session's `info["settings"]`, where the services read them (`issuer.services.base.settings_of`)
instead of from a global.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from issuer.config import Settings


def normalise_url(url: str) -> str:
    """Accept the usual `postgres://` / `postgresql://` forms and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine whose errors never carry SQL parameters (learners' names and addresses)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         hide_parameters=True)


def _sqlite_pragmas(connection, _record):
    # secure_delete: deleted rows and freed pages are overwritten with zeros, so an erased
    # learner's data does not linger in the file's free space (GDPR erasure).
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_sessionmaker(engine: Engine, settings: Settings) -> sessionmaker[Session]:
    """Sessions on `engine` that carry `settings` (every service call needs them)."""
    return sessionmaker(engine, expire_on_commit=False, info={"settings": settings})
