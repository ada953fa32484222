"""One SQLAlchemy session per request: opened on first use, closed when the request ends.

Its own module so that the blueprints (and `auth`, which the app package imports) reach the
session without importing the app package back.
"""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session


def db() -> Session:
    """The database session of the current request, closed when the request ends."""
    if "db" not in g:
        g.db = current_app.extensions["sky_sessionmaker"]()
    return g.db


def close_db(_error: BaseException | None = None) -> None:
    """Close the request's session: anything a view did not commit is rolled back."""
    session = g.pop("db", None)
    if session is not None:
        session.close()
