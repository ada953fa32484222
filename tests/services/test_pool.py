"""The engine's pool: a connection idle for a while is checked before use, one in use a moment
ago is not (a round trip per request saved), and a connection the server dropped is replaced
instead of failing the request."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from issuer.store.db import make_engine


def test_a_dropped_idle_connection_is_replaced_not_failed(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("the ping is for a server that can drop connections (PostgreSQL)")
    engine = make_engine(database_url, idle_ping_seconds=0)
    try:
        with engine.connect() as connection:
            first = connection.scalar(text("SELECT pg_backend_pid()"))
        with make_engine(database_url).connect() as other:  # the server drops it
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        with engine.connect() as connection:  # idle past the limit: pinged, replaced
            second = connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_just_used_is_not_pinged(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("no ping on SQLite")
    engine = make_engine(database_url)  # the production limit (seconds)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: statements.append(statement))
    try:
        for _ in range(3):
            with engine.connect() as connection:
                connection.scalar(text("SELECT 7"))
        assert statements == ["SELECT 7"] * 3
        with engine.connect() as connection:
            pid = connection.scalar(text("SELECT pg_backend_pid()"))
        with make_engine(database_url).connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(Exception), engine.connect() as connection:  # noqa: B017
            connection.scalar(text("SELECT 1"))  # dropped a moment ago: this request fails...
        with engine.connect() as connection:  # ...and the pool has been emptied: the next works
            assert connection.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()
