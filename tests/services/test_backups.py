"""`sky-badges backup` / `restore`: a deployment carries on from its backup.

After a restore into an empty database and instance folder, on the same backend or the other
one: every badge verifies as before (revocations kept), a learner's claim link opens with their
code, and issuing goes on without reusing a status slot. A backup taken while badges are issued
is one consistent moment; a damaged file or a filled database is refused in one line.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from issuer.cli import main
from issuer.config import Settings
from issuer.services import unit_of_work
from issuer.services.backups import write_backup
from issuer.services.issuing import issue_for_assessment, save_assessment
from issuer.services.learners import create_learner
from issuer.services.revocation import revoke
from issuer.services.verification import verify_stored
from issuer.store.db import make_engine, make_sessionmaker
from issuer.store.models import Credential, EvidenceFile, Organisation, StatusSlot
from tests.helpers import (
    ALL_ACQUIRED,
    blank_postgres_schema,
    count,
    issue,
    open_claim,
    point_cli_at,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _new_badge(db, world, name: str) -> Credential:
    with unit_of_work(db):
        learner = create_learner(db, db.get(Organisation, world.org.id), name, language="fr")
        assessment = save_assessment(db, world.session.id, learner.id, ALL_ACQUIRED, {}, None,
                                     world.trainer)
    with unit_of_work(db):
        return issue_for_assessment(db, assessment.id, world.trainer, now=NOW)


@pytest.fixture
def deployment(db, world, app, overrides):
    """Badges issued (one revoked, one claimed with the learner's code), an evidence photo
    and a file of the instance folder."""
    kept = issue(db, world, now=NOW)
    revoked = issue(db, world, world.learners[1], now=NOW)
    with unit_of_work(db):
        db.add(EvidenceFile(uuid="7d0c3c4e-0000-4000-8000-000000000001",
                            assessment_id=kept.assessment_id, gesture_id="dig-hole",
                            filename="trou.jpg", media_type="image/jpeg", data=b"\xff\xd8photo",
                            sha256="0" * 64))
        revoke(db, revoked, "issued by mistake", world.admin, now=NOW)
    assert open_claim(app.test_client(), kept.claim_token).status_code == 302
    verdicts = {c.uuid: verify_stored(db, c).verdict for c in db.scalars(select(Credential))}
    db.commit()  # the status lists signed on the way: the backup's own note must not wait
    (overrides_folder := _instance(overrides)).mkdir(parents=True, exist_ok=True)
    (overrides_folder / "config.py").write_text("BABEL_DEFAULT_LOCALE = 'fr'\n", "utf-8")
    return {"kept": kept, "revoked": revoked, "verdicts": verdicts}


def _instance(settings: dict):
    from pathlib import Path

    return Path(settings["INSTANCE_PATH"])


def _restore_elsewhere(monkeypatch, overrides, backup, target_url, tmp_path) -> dict:
    restored = point_cli_at(monkeypatch, overrides, DATABASE_URL=target_url,
                            INSTANCE_PATH=str(tmp_path / "restored"))
    assert main(["restore", str(backup)]) == 0
    return restored


def _carries_on(restored: dict, deployment: dict, world) -> None:
    """Everything a restored deployment must do, checked on it."""
    from issuer.web import create_app

    settings = Settings.from_env(restored)
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, settings)() as db:
        verdicts = {c.uuid: verify_stored(db, c).verdict for c in db.scalars(select(Credential))}
        assert verdicts == deployment["verdicts"]
        assert verdicts[deployment["revoked"].uuid] == "revoked"
        assert db.scalar(select(EvidenceFile.data)) == b"\xff\xd8photo"
        taken = {(c.status_list_id, c.status_index) for c in db.scalars(select(Credential))}
        fresh = _new_badge(db, world, "Piotr Łęcki")
        assert (fresh.status_list_id, fresh.status_index) not in taken
        assert verify_stored(db, fresh).verdict == "valid"
    engine.dispose()
    app = create_app(restored)
    client = app.test_client()
    kept = deployment["kept"]
    assert open_claim(client, kept.claim_token).status_code == 302
    record = client.get(f"/claim/{kept.claim_token}/record.json").get_json(force=True)
    ids = [c["id"] for c in record["credentialSubject"]["verifiableCredential"]]
    assert ids == [json.loads(kept.signed_json)["id"]]
    assert (_instance(restored) / "config.py").read_text("utf-8") == \
        "BABEL_DEFAULT_LOCALE = 'fr'\n"
    app.extensions["sky_queue"].close()
    app.extensions["sky_engine"].dispose()


def test_a_restored_backup_carries_on_where_it_stopped(
        deployment, world, overrides, blank_database_url, monkeypatch, tmp_path, capsys):
    point_cli_at(monkeypatch, overrides)
    backup = tmp_path / "sky.tar.gz"
    assert main(["backup", "-o", str(backup)]) == 0
    assert f"backup written to {backup}" in capsys.readouterr().out
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    restored = _restore_elsewhere(monkeypatch, overrides, backup, blank_database_url, tmp_path)
    assert "the schema is up to date" in capsys.readouterr().out
    _carries_on(restored, deployment, world)


def test_a_backup_restores_into_the_other_database(
        deployment, world, overrides, database_url, monkeypatch, tmp_path):
    postgres = os.environ.get("DATABASE_URL")
    if not postgres:
        pytest.skip("PostgreSQL is not available (DATABASE_URL is not set)")
    point_cli_at(monkeypatch, overrides)
    backup = tmp_path / "sky.tar.gz"
    assert main(["backup", "-o", str(backup)]) == 0
    if database_url.startswith("sqlite"):
        with blank_postgres_schema(postgres) as target:
            _carries_on(_restore_elsewhere(monkeypatch, overrides, backup, target, tmp_path),
                        deployment, world)
    else:
        target = f"sqlite:///{tmp_path / 'restored.db'}"
        _carries_on(_restore_elsewhere(monkeypatch, overrides, backup, target, tmp_path),
                    deployment, world)


def test_a_backup_is_one_moment_while_badges_are_issued(
        deployment, db, world, overrides, blank_database_url, monkeypatch, tmp_path):
    before = count(db, Credential)
    issued_meanwhile = []

    def issue_one_meanwhile(table, _rows):
        if not issued_meanwhile:  # after the first table, before the others are read
            issued_meanwhile.append(_new_badge(db, world, f"Meanwhile {table}"))

    backup = tmp_path / "sky.tar.gz"
    write_backup(Settings.from_env(overrides), backup, on_table=issue_one_meanwhile)
    assert count(db, Credential) == before + 1
    restored = _restore_elsewhere(monkeypatch, overrides, backup, blank_database_url, tmp_path)
    settings = Settings.from_env(restored)
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, settings)() as copy:
        assert count(copy, Credential) == before
        assert count(copy, StatusSlot) == before
    engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty(
        deployment, overrides, monkeypatch, tmp_path, capsys):
    point_cli_at(monkeypatch, overrides)
    backup = tmp_path / "sky.tar.gz"
    assert main(["backup", "-o", str(backup)]) == 0
    point_cli_at(monkeypatch, overrides, INSTANCE_PATH=str(tmp_path / "other"))
    capsys.readouterr()
    assert main(["restore", str(backup)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sky-badges: error: the database is not empty (table ")
    assert err.endswith("has rows): restore into a new, empty database\n")
    assert main(["--lang", "fr", "restore", str(backup)]) == 2
    assert "la base de données n'est pas vide (la table " in capsys.readouterr().err


def test_restore_refuses_a_damaged_backup_before_writing_anything(
        deployment, overrides, blank_database_url, monkeypatch, tmp_path, capsys):
    point_cli_at(monkeypatch, overrides)
    backup = tmp_path / "sky.tar.gz"
    assert main(["backup", "-o", str(backup)]) == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(backup) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "tables/credential.jsonl":
                data = data.replace(b'"revoked_at":null', b'"revoked_at":"2026-03-03T00:00:00"', 1)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    point_cli_at(monkeypatch, overrides, DATABASE_URL=blank_database_url,
                 INSTANCE_PATH=str(tmp_path / "restored"))
    capsys.readouterr()
    assert main(["restore", str(damaged)]) == 2
    assert capsys.readouterr().err == (
        f"sky-badges: error: {damaged} is damaged: tables/credential.jsonl does not match its "
        "SHA-256\n")
    engine = make_engine(blank_database_url)
    with engine.connect() as connection:
        assert not connection.dialect.get_table_names(connection)
    engine.dispose()


def test_restore_refuses_other_secrets_or_a_non_empty_instance_folder(
        deployment, overrides, blank_database_url, monkeypatch, tmp_path, capsys):
    point_cli_at(monkeypatch, overrides)
    backup = tmp_path / "sky.tar.gz"
    assert main(["backup", "-o", str(backup)]) == 0
    point_cli_at(monkeypatch, overrides, DATABASE_URL=blank_database_url,
                 INSTANCE_PATH=str(tmp_path / "restored"), SKY_KEY_PASSPHRASE="another one")
    capsys.readouterr()
    assert main(["restore", str(backup)]) == 2
    assert capsys.readouterr().err == (
        "sky-badges: error: SKY_KEY_PASSPHRASE does not open the keys of this backup: set the "
        "passphrase it was made with\n")
    point_cli_at(monkeypatch, overrides, DATABASE_URL=blank_database_url,
                 INSTANCE_PATH=str(tmp_path / "restored"), SECRET_KEY="another secret key")
    assert main(["restore", str(backup)]) == 2
    assert capsys.readouterr().err == (
        "sky-badges: error: SECRET_KEY is not the one this backup's claim links were made "
        "with: set it before restoring\n")
    point_cli_at(monkeypatch, overrides, DATABASE_URL=blank_database_url)
    assert main(["restore", str(backup)]) == 2
    assert "is not empty: restore into an empty one" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.tar.gz")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
