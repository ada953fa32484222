"""Backup and restore of a deployment with many issued badges: time taken and file size.

Run: `python bench/bench_backup.py --database postgresql://… [--badges 10000]`. It makes two
schemas of its own on that PostgreSQL database (or two SQLite files for a `sqlite:` URL): the
first gets one organisation and `--badges` badges really issued (evaluated, signed, one status
slot each; one in fifty revoked), the second receives the restore. It prints the time of each
step and the backup's size, then drops what it made. A sample of the restored badges is
verified, so a fast but wrong restore does not pass for a good one.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, select, text

from issuer.config import Settings
from issuer.services import unit_of_work
from issuer.services.accounts import create_user
from issuer.services.backups import restore_backup, write_backup
from issuer.services.catalogue import import_catalogue
from issuer.services.issuing import issue_for_assessment, save_assessment
from issuer.services.learners import create_learner
from issuer.services.organisations import create_organisation
from issuer.services.revocation import revoke
from issuer.services.verification import verify_stored
from issuer.store.db import make_engine, make_sessionmaker, normalise_url
from issuer.store.migrations import upgrade
from issuer.store.models import Credential, TrainingSession

CATALOGUE = Path(__file__).parents[1] / "tests" / "services" / "catalogue"
LEVELS = {"dig-hole": "acquired", "stake-and-water": "acquired"}
BATCH = 200


@contextmanager
def database(base: str, folder: Path, name: str):
    """A new empty database: a schema on PostgreSQL, a file for SQLite."""
    if base.startswith("sqlite"):
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    schema = f"sky_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def settings_for(url: str, instance: Path) -> Settings:
    return Settings.from_env({
        "DATABASE_URL": url, "INSTANCE_PATH": str(instance),
        "PUBLIC_BASE_URL": "https://badges.example.org", "SECRET_KEY": "bench-secret-key",
        "SKY_KEY_PASSPHRASE": "bench passphrase", "SKY_KEY_KDF_ITERATIONS": 1000,
        "SKY_PASSWORD_TIME_COST": 1, "SKY_PASSWORD_MEMORY_COST": 64,
    }, environ={})


def fill(settings: Settings, badges: int) -> None:
    """Issue `badges` badges of one training session, BATCH learners per transaction."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, settings)() as db:
        with unit_of_work(db):
            org = create_organisation(db, "agfe", "AGFE", "FR", language="fr")
            trainer = create_user(db, org, "trainer@agfe.example.org", "Théo", "trainer",
                                  "correct horse battery staple")
            template = import_catalogue(db, CATALOGUE)[0]
            session = TrainingSession(organisation_id=org.id, template_pk=template.id,
                                      trainer_id=trainer.id, language="fr",
                                      starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 2))
            db.add(session)
        started, done = time.perf_counter(), 0
        while done < badges:
            with unit_of_work(db):
                for _ in range(min(BATCH, badges - done)):
                    learner = create_learner(db, org, f"Łucja Żółkiewska {done}", language="fr")
                    assessment = save_assessment(db, session.id, learner.id, LEVELS, {}, None,
                                                 trainer)
                    credential = issue_for_assessment(db, assessment.id, trainer)
                    if done % 50 == 0:
                        revoke(db, credential, "issued by mistake", trainer)
                    done += 1
            print(f"  issued {done} ({time.perf_counter() - started:.0f} s)", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL URL, or sqlite:")
    parser.add_argument("--badges", type=int, default=10_000)
    parser.add_argument("--json", type=Path, help="write the rows there (bench/run.py)")
    args = parser.parse_args()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sky-bench-")))
        source = settings_for(stack.enter_context(database(args.database, folder, "source")),
                              folder / "source")
        target = settings_for(stack.enter_context(database(args.database, folder, "target")),
                              folder / "target")
        print(f"issuing {args.badges} badges…", flush=True)
        started = time.perf_counter()
        fill(source, args.badges)
        issuing_seconds = time.perf_counter() - started
        backup = folder / "sky.tar.gz"
        started = time.perf_counter()
        write_backup(source, backup)
        backup_seconds = time.perf_counter() - started
        started = time.perf_counter()
        restore_backup(target, backup)
        restore_seconds = time.perf_counter() - started
        engine = make_engine(target.database_url)
        with make_sessionmaker(engine, target)() as db:
            credentials = db.scalars(select(Credential)).all()
            sample = random.sample(credentials, min(20, len(credentials)))
            verdicts = {verify_stored(db, c).verdict for c in sample if c.revoked_at is None}
        engine.dispose()
        print(f"badges: {len(credentials)} restored; sample verdicts: {sorted(verdicts)}")
        print(f"backup: {backup_seconds:.1f} s, {backup.stat().st_size / 1e6:.1f} MB")
        print(f"restore: {restore_seconds:.1f} s")
    if args.json:
        sys.path.insert(0, str(Path(__file__).parent))
        from report import Row, write_json

        per_badge = issuing_seconds / args.badges * 1000
        write_json(args.json, [
            Row("backup", f"backup of {args.badges:,} badges", backup_seconds / args.badges
                * 1000, "ms/badge", "issuing them (one by one)", per_badge,
                backup_seconds / issuing_seconds),
            Row("backup", f"restore of {args.badges:,} badges", restore_seconds / args.badges
                * 1000, "ms/badge", "issuing them (one by one)", per_badge,
                restore_seconds / issuing_seconds)])


if __name__ == "__main__":
    main()
