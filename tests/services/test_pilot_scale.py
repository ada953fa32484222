"""A generated pilot: six partners × 30 learners across a year, every figure computed."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from issuer.services import stats, unit_of_work
from issuer.services.consent import Consent
from issuer.services.issuing import issue_for_assessment, save_assessment
from issuer.services.learners import create_learner
from issuer.store.models import TrainingSession
from tests.helpers import ALL_ACQUIRED, ONE_NOT_YET, make_world

PARTNERS = ("cec", "scf", "agfe", "mirec", "trinijove", "barka")


def test_six_partners_of_thirty_learners_across_a_year(db):
    for slug in PARTNERS:
        world = make_world(db, slug=slug, learner_names=())
        for month in range(1, 13):
            with unit_of_work(db):
                session = TrainingSession(
                    organisation_id=world.org.id, template_pk=world.template.id,
                    trainer_id=world.trainer.id, language="fr",
                    starts_on=date(2026, month, 3), ends_on=date(2026, month, 3))
                db.add(session)
                db.flush()
                learners = [create_learner(db, world.org, f"{slug} {month}-{n}",
                                           answers=Consent.everything())
                            for n in range(3 if month <= 6 else 2)]
                assessments = [save_assessment(db, session.id, learner.id,
                                               ALL_ACQUIRED if n == 0 else ONE_NOT_YET, {},
                                               None, world.trainer)
                               for n, learner in enumerate(learners)]
            with unit_of_work(db):
                issue_for_assessment(db, assessments[0].id, world.trainer,
                                     now=datetime(2026, month, 4, 10, 0, tzinfo=UTC))
    started = time.perf_counter()
    statistics = stats.pilot_statistics(db)
    funnel = stats.learner_funnel(db)
    months = stats.monthly_acquisitions(db)
    open_data = stats.open_data_rows(db)
    elapsed = time.perf_counter() - started
    assert [t.assessed for t in statistics.partner] == [30] * 6
    assert {s.step: s.count for s in funnel.total.steps}["issued"] == 72
    assert months == [(f"2026-{m:02d}", 6) for m in range(1, 13)]
    issued = [row for row in open_data if row[:4] == ["path", "partner", "agfe", "issued"]]
    assert issued == [["path", "partner", "agfe", "issued", 12]]
    print(f"\nfigures of 180 learners and 72 badges in {elapsed:.2f} s")
    assert elapsed < 10
