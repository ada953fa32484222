"""Engine and session factory for SQLite (embedded default) and PostgreSQL (production).

The settings travel with the session: `make_sessionmaker(engine, settings)` puts them in every
session's `info["settings"]`, where the services read them (`issuer.services.base.settings_of`)
instead of from a global.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, exc
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


# A pooled PostgreSQL connection idle for longer than this is checked (`SELECT 1`) before use.
IDLE_PING_SECONDS = 10.0


def make_engine(url: str, idle_ping_seconds: float = IDLE_PING_SECONDS) -> Engine:
    """An engine whose errors never carry SQL parameters (learners' names and addresses).

    On PostgreSQL a connection that sat in the pool for `idle_ping_seconds` is pinged before
    use and replaced if the server dropped it (a restart, an idle timeout). A connection in use
    a moment ago is not: SQLAlchemy's `pool_pre_ping` pings on every checkout, a round trip per
    request that cost the busiest public pages about a third of their time. Should the server
    go away between two close requests, the failing request's disconnect empties the whole pool
    (SQLAlchemy invalidates every older connection), so the next requests reconnect.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10, hide_parameters=True)
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _ping_if_idle(idle_ping_seconds))
    return engine


def _note_idle(_dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(seconds: float):
    def ping(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:  # any failure: the pool replaces this connection
            raise exc.DisconnectionError("the pooled connection is gone") from error

    return ping


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
