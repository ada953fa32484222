"""Alembic migrations, shipped inside the package so `sky-badges db upgrade` works anywhere.

SQLite (the embedded default) is upgraded automatically when the app starts; PostgreSQL is
upgraded explicitly with `sky-badges db upgrade` before a deployment starts new workers.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent
_NOT_MODELS = ("db", "migrations")


class BrokenReferences(Exception):
    """An upgraded SQLite database holds rows whose foreign key points at nothing."""

    def __init__(self, count: int, tables: list[str]):
        super().__init__(f"{count} reference(s) in {', '.join(tables)} point at nothing")
        self.count, self.tables = count, tables


def load_models():
    """Import every model module of `issuer.store`; return the metadata holding all tables.

    Tables may live beside models.py (ratelimit.py, stacking_models.py …): all belong to the
    schema the migrations build.
    """
    import issuer.store
    from issuer.store.models import Base

    for module in pkgutil.iter_modules(issuer.store.__path__):
        if module.name not in _NOT_MODELS:
            importlib.import_module(f"issuer.store.{module.name}")
    return Base.metadata


def alembic_config(url: str) -> Config:
    """The Alembic configuration for the database at `url`."""
    from issuer.store.db import normalise_url

    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE))
    # ConfigParser interpolation would read a '%' in a password as a placeholder.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (creating every table on a new database)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def revisions() -> list[str]:
    """Every revision this release knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def is_current(url: str) -> bool:
    """Whether the database at `url` is at the latest revision (False when never migrated)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from issuer.store.db import make_engine

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    return current == heads
