"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from issuer.store.db import make_engine
from issuer.store.migrations import load_models


def test_migrated_database_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _not_the_queue})
        differences = compare_metadata(context, load_models())
    engine.dispose()
    assert differences == []


def _not_the_queue(name, type_, _parent_names) -> bool:
    # The job queue's tables are Huey's (created by migration 0010, not described by models).
    return not (type_ == "table" and name.startswith("huey_"))


def test_postgresql_has_the_job_queue_tables_and_sqlite_does_not(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    expected = ({"huey_kv", "huey_schedule", "huey_task", "huey_counter"}
                if database_url.startswith("postgres") else set())
    assert {name for name in tables if name.startswith("huey_")} == expected
