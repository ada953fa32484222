"""Draws docs/img/project-summary.png: page 1 of the project's one-page PDF summary, as the
coordinator downloads it, for a generated pilot (six partners × 30 learners across 2026).

    .venv/bin/python docs/img/project_summary.py

The pilot is `tests.helpers.generate_pilot` (the test of tests/services/test_pilot_scale.py),
with a success rate per partner, then claim links opened, codes set, wallet copies, page views,
targets and follow-ups drawn from a fixed seed, so the picture is the same on every run.
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pypdfium2  # noqa: E402
from sqlalchemy import select  # noqa: E402

from issuer.services import claim_links, outcomes, stats, unit_of_work, views  # noqa: E402
from issuer.services.accounts import create_user  # noqa: E402
from issuer.services.claims import bind_to_holder  # noqa: E402
from issuer.services.demo import PARTNERS  # noqa: E402
from issuer.store.db import make_engine, make_sessionmaker  # noqa: E402
from issuer.store.migrations import upgrade  # noqa: E402
from issuer.store.models import Credential  # noqa: E402
from issuer.web import create_app  # noqa: E402
from tests.helpers import TEST_PASSWORD, generate_pilot, settings_for, submit  # noqa: E402

OUTPUT = ROOT / "docs" / "img" / "project-summary.png"
SUCCESS = {"cec": 0.7, "scf": 0.55, "agfe": 0.8, "mirec": 0.5, "trinijove": 0.65, "barka": 0.6}
HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SITUATIONS = ("job", "further_training", "volunteering", "none", "unknown")
LIKELIHOOD = (30, 20, 10, 30, 10)


def validated(slug: str, month: int, n: int) -> bool:
    return random.Random(f"{slug}/{month}/{n}").random() < SUCCESS[slug]


def enrich(db, worlds, coordinator) -> None:
    """What learners, employers and advisers did after the badges were issued."""
    chance = random.Random(18)
    names = {partner.slug: partner.name for partner in PARTNERS}
    with unit_of_work(db):
        for slug, world in worlds.items():
            world.org.name = names[slug]
            stats.set_target(db, world.org, 25, 5, coordinator)
    seen = Counter()
    for credential in db.scalars(select(Credential).order_by(Credential.id)).all():
        with unit_of_work(db):
            if chance.random() < 0.85:
                claim_links.note_opened(db, credential, credential.issued_at)
                if chance.random() < 0.75:
                    claim_links.set_code(db, credential, "2468")
                    if chance.random() < 0.35:
                        bind_to_holder(db, credential, HOLDER, now=credential.issued_at)
            if chance.random() < 0.55:
                seen[(credential.id, credential.issued_at.date())] += chance.randint(1, 6)
    with unit_of_work(db):
        views.write_views(db, seen)
    for world in worlds.values():
        for learner_id, starts_on in db.execute(
                select(Credential.learner_id, Credential.issued_at)
                .where(Credential.organisation_id == world.org.id,
                       Credential.supersedes_id.is_(None))).all():
            for months in (3, 6):
                observed = _months_after(starts_on.date(), months)
                if observed > NOW.date() or chance.random() < 0.2:
                    continue
                situation = chance.choices(SITUATIONS, LIKELIHOOD)[0]
                with unit_of_work(db):
                    outcomes.record_outcome(db, learner_id, months, situation, observed,
                                            world.trainer, NOW)


def _months_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, min(day.day, 28))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/pilot.db"
        upgrade(url)
        app = create_app(settings_for(Path(folder) / "instance", url, AUTO_MIGRATE=False))
        engine = make_engine(url)
        db = make_sessionmaker(engine, app.config["SETTINGS"])()
        worlds = generate_pilot(db, validated=validated)
        with unit_of_work(db):
            coordinator = create_user(db, worlds["cec"].org, "coordination@cec.example.org",
                                      "Claire Coord", "coordinator", TEST_PASSWORD)
        enrich(db, worlds, coordinator)
        db.close()
        client = app.test_client()
        submit(client, "/auth/login", {"email": coordinator.email, "password": TEST_PASSWORD})
        pdf = client.get("/admin/stats/summary.pdf?from=2026-01-01&to=2026-12-31&lang=en").data
        engine.dispose()
        app.extensions["sky_engine"].dispose()
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=1.5).to_pil().convert("RGB")
    buffer = io.BytesIO()
    image.quantize(colors=64).save(buffer, "PNG", optimize=True)
    OUTPUT.write_bytes(buffer.getvalue())
    print(f"{OUTPUT.relative_to(ROOT)}: {len(buffer.getvalue()) // 1024} kB")


if __name__ == "__main__":
    main()
