"""`sky-badges db upgrade` on a database made by the first release keeps every badge verifiable.

The old database is built at the oldest migration (0001) and filled with plain SQL, column by
column of that revision's schema, from badges the service really issued and signed: two valid
badges, a revoked one, an evidence photo. Then the command upgrades it to the head.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, insert, select, text
from sqlalchemy.orm import Session

from issuer.cli import main
from issuer.config import Settings
from issuer.services import unit_of_work
from issuer.services.issuing import issue_for_assessment, save_assessment
from issuer.services.learners import create_learner
from issuer.services.revocation import revoke
from issuer.services.verification import verify_stored
from issuer.store.db import make_engine, make_sessionmaker
from issuer.store.migrations import is_current, upgrade
from issuer.store.models import Credential, EvidenceFile, Organisation
from tests.helpers import ALL_ACQUIRED, issue, point_cli_at

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _issued_world(db, world) -> dict:
    """Three badges issued by the service (one revoked) and an evidence photo."""
    kept = issue(db, world, now=NOW)
    revoked = issue(db, world, world.learners[1], now=NOW)
    with unit_of_work(db):
        db.add(EvidenceFile(uuid="7d0c3c4e-0000-4000-8000-000000000001",
                            assessment_id=kept.assessment_id, gesture_id="dig-hole",
                            filename="trou.jpg", media_type="image/jpeg", data=b"\xff\xd8photo",
                            sha256="0" * 64))
        revoke(db, revoked, "issued by mistake", world.admin, now=NOW)
    third = _new_badge(db, world, "Ñandú Żeta")
    return {"valid": [kept.uuid, third.uuid], "revoked": [revoked.uuid]}


def _new_badge(db, world, name: str) -> Credential:
    """A badge for a new learner of the world's session, issued and committed in `db`."""
    with unit_of_work(db):
        learner = create_learner(db, db.get(Organisation, world.org.id), name, language="fr")
        assessment = save_assessment(db, world.session.id, learner.id, ALL_ACQUIRED, {}, None,
                                     world.trainer)
    with unit_of_work(db):
        return issue_for_assessment(db, assessment.id, world.trainer, now=NOW)


def _copy_into_first_release(source_url: str, old_url: str) -> None:
    """Insert every row of the source into the 0001 schema, only the columns 0001 had."""
    source, old = make_engine(source_url), make_engine(old_url)
    old_schema = MetaData()
    old_schema.reflect(old)
    current = MetaData()
    current.reflect(source)
    with source.connect() as reading, old.begin() as writing:
        for table in old_schema.sorted_tables:
            if table.name == "alembic_version" or table.name not in current.tables:
                continue
            columns = [c.name for c in table.columns]
            rows = [dict(row._mapping) for row in reading.execute(
                select(*[current.tables[table.name].c[name] for name in columns]))]
            if rows:
                writing.execute(insert(table), rows)
            if old.dialect.name == "postgresql" and "id" in columns and rows:
                writing.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                     f"'id'), {max(r['id'] for r in rows)})"))
    source.dispose()
    old.dispose()


def test_db_upgrade_from_the_first_release_keeps_every_badge_verifiable(
        db, world, overrides, blank_database_url, monkeypatch, capsys):
    badges = _issued_world(db, world)
    upgrade(blank_database_url, "0001")
    _copy_into_first_release(overrides["DATABASE_URL"], blank_database_url)
    assert not is_current(blank_database_url)

    point_cli_at(monkeypatch, overrides, DATABASE_URL=blank_database_url)
    assert main(["db", "upgrade"]) == 0
    assert "database schema is up to date" in capsys.readouterr().out
    assert is_current(blank_database_url)

    settings = Settings.from_env({**overrides, "DATABASE_URL": blank_database_url})
    engine = make_engine(blank_database_url)
    with make_sessionmaker(engine, settings)() as upgraded:
        verdicts = {c.uuid: verify_stored(upgraded, c).verdict
                    for c in upgraded.scalars(select(Credential))}
        photo = upgraded.scalar(select(EvidenceFile))
        assert (photo.filename, photo.data) == ("trou.jpg", b"\xff\xd8photo")
    engine.dispose()
    assert verdicts == {**{u: "valid" for u in badges["valid"]},
                        **{u: "revoked" for u in badges["revoked"]}}


def test_the_upgraded_database_serves_its_badges_and_issues_more(
        db, world, overrides, blank_database_url, monkeypatch, capsys):
    from issuer.web import create_app

    badges = _issued_world(db, world)
    originals = {c.uuid: c.signed_json for c in db.scalars(select(Credential))}
    upgrade(blank_database_url, "0001")
    _copy_into_first_release(overrides["DATABASE_URL"], blank_database_url)
    point_cli_at(monkeypatch, overrides, DATABASE_URL=blank_database_url)
    assert main(["db", "upgrade"]) == 0

    app = create_app({**overrides, "DATABASE_URL": blank_database_url})
    client = app.test_client()
    for uuid, signed in originals.items():
        served = client.get(f"/credentials/{uuid}")
        assert served.status_code == 200
        assert json.loads(served.data) == json.loads(signed)
    settings = app.config["SETTINGS"]
    with Session(app.extensions["sky_engine"], info={"settings": settings}) as upgraded:
        kept = upgraded.scalar(select(Credential).where(Credential.uuid == badges["valid"][0]))
        page = client.get(f"/v/{kept.short_id}", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert "Zoé Lefèvre" in page.get_data(as_text=True)
        slots = {(c.status_list_id, c.status_index) for c in upgraded.scalars(select(Credential))}
        fresh = _new_badge(upgraded, world, "Piotr Łęcki")
        assert (fresh.status_list_id, fresh.status_index) not in slots
        assert verify_stored(upgraded, fresh).verdict == "valid"
    app.extensions["sky_queue"].close()
    app.extensions["sky_engine"].dispose()



def test_db_upgrade_refuses_to_finish_when_a_row_points_at_nothing(
        database_url, overrides, blank_database_url, monkeypatch, capsys):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL never lets such a row in: its foreign keys stay on")
    upgrade(blank_database_url, "0001")
    with sqlite3.connect(blank_database_url.removeprefix("sqlite:///")) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("INSERT INTO learner (id, organisation_id, name, created_at) "
                           "VALUES (1, 42, 'Zoé', '2026-03-02 10:00:00')")
    point_cli_at(monkeypatch, overrides, DATABASE_URL=blank_database_url)
    assert main(["db", "upgrade"]) == 1
    assert capsys.readouterr().err == (
        "the upgrade stopped: 1 row(s) of learner point at rows that do not exist; restore "
        "the backup taken before it\n")
