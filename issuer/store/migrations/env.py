"""Alembic environment: the models' metadata, one connection, batch mode for SQLite."""

from __future__ import annotations

from alembic import context

from issuer.store.db import make_engine
from issuer.store.migrations import BrokenReferences, load_models

config = context.config
target_metadata = load_models()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, on=False)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=sqlite,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)
        if sqlite:
            _foreign_keys(connection, on=True)
    engine.dispose()


def _foreign_keys(connection, on: bool) -> None:
    """Turn SQLite's foreign keys on or off for this connection.

    A batch migration rebuilds a table (copy, drop, rename): with foreign keys on, dropping a
    table that filled rows of another table point at fails, so every filled database stopped at
    the first such rebuild. SQLite ignores this pragma inside a transaction: it is set, and
    committed, before the migrations' transaction begins.
    """
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


def _check_foreign_keys(connection) -> None:
    """With foreign keys off, nothing stopped a migration from breaking a reference: refuse
    to finish if any row now points at nothing."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise BrokenReferences(len(broken), sorted({row[0] for row in broken}))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
