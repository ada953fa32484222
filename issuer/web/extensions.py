"""What the blueprints share with the app factory: configuration, the request's session, CSRF,
the job queue, the tally of badge page views.

Pages read the app's configuration only through `app_config` and `settings` here; services get
the settings with the database session (`issuer.store.db.make_sessionmaker`).

Kept apart from the factory so that `issuer.web` imports its blueprints by name and no
blueprint imports the package that registers it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, g
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer.config import Settings
from issuer.services import views
from issuer.services.queue import JobQueue

csrf = CSRFProtect()


def db() -> Session:
    """The database session of the current request, closed when the request ends."""
    if "db" not in g:
        g.db = current_app.extensions["sky_sessionmaker"]()
    return g.db


def close_db(_error: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()  # rolls back anything a view did not commit


def app_config(name: str, default: Any = None) -> Any:
    """A value of the running app's Flask configuration (`create_app`, instance file, tests)."""
    return current_app.config.get(name, default)


def settings() -> Settings:
    """The settings of the running app (`create_app` puts them in its config)."""
    return app_config("SETTINGS")


def count_view(credential_id: int) -> None:
    """Count one view of a badge's public page; write the batch when it is due (services/views.py).

    The write is a short transaction of its own, on a session of its own, so the page never
    waits on it twice and a failed write never fails the page (the batch is dropped, logged)."""
    if current_app.config.get("SKY_STATIC_EXPORT"):
        return  # the static copy's pages are built, not viewed (web/static_site.py)
    tally = current_app.extensions["sky_views"]
    if not tally.add(credential_id, datetime.now(UTC)):
        return
    try:
        with current_app.extensions["sky_sessionmaker"]() as session:
            views.flush(session, tally)
    except SQLAlchemyError:
        current_app.logger.warning("a batch of badge page views could not be written")


def job_queue() -> JobQueue:
    """The queue long work is handed to (`create_app` builds it from the settings)."""
    return current_app.extensions["sky_queue"]
