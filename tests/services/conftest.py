"""The service tests share the web fixtures: an empty migrated database per test, a `world`."""

from tests.web.conftest import (  # noqa: F401  (fixtures)
    app,
    database_url,
    db,
    migrated_sqlite,
    overrides,
    postgres_url,
    world,
)
