"""The pilot's evidence beyond the tables: the learner's path, targets, anonymous page views."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from issuer.services import PermissionDenied, disclosure, stats, unit_of_work, views
from issuer.services.claim_links import set_code
from issuer.services.claims import bind_to_holder
from issuer.services.consent import Consent
from issuer.services.issuing import save_assessment
from issuer.services.learners import create_learner
from issuer.store.report_models import CredentialViewDay, LearnerOutcome
from tests.helpers import (
    GREEN,
    ONE_NOT_YET,
    count,
    evaluate,
    import_sample_catalogue,
    issue,
    issue_part,
    make_coordinator,
    make_world,
)

HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
MONDAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def steps(row):
    return {step.step: step.count for step in row.steps}


@pytest.fixture
def path(db, world):
    """Four AGFE learners on tree-planting: one enrolled only, one not yet, two badges — one
    claimed into a wallet, viewed twice and followed by further training."""
    first = issue(db, world, world.learners[0])
    issue(db, world, world.learners[1])
    with unit_of_work(db):
        waiting = create_learner(db, world.org, "Dan Waiting", answers=Consent.everything())
        chloe = create_learner(db, world.org, "Chloé Martin", answers=Consent.everything())
        save_assessment(db, world.session.id, waiting.id, {}, {}, None, world.trainer)
    evaluate(db, world, chloe, levels=ONE_NOT_YET)
    with unit_of_work(db):
        set_code(db, first, "2468")
        copy = bind_to_holder(db, first, HOLDER)
        views.write_views(db, Counter({(copy.id, MONDAY.date()): 2}))
        db.add(LearnerOutcome(organisation_id=world.org.id, learner_id=first.learner_id,
                              months=3, situation="further_training",
                              observed_on=date(2026, 6, 2), recorded_by_id=world.trainer.id))
    return world


def test_the_path_counts_each_step_once_per_learner_and_training(db, path):
    funnel = stats.learner_funnel(db)
    assert steps(funnel.total) == {
        "enrolled": 4, "evaluated": 3, "issued": 2, "claim_opened": 1, "claimed": 1,
        "in_wallet": 1,
        "viewed": 1, "skill_completed": 0, "further_training": 1}
    assert [row.key for row in funnel.partner] == ["agfe"]
    assert [row.key for row in funnel.theme] == ["green-jobs"]


def test_the_drop_off_is_measured_against_each_steps_base(db, path):
    dropped = {s.step: (s.base, s.dropped) for s in stats.learner_funnel(db).total.steps}
    assert dropped["evaluated"] == ("enrolled", 1)
    assert dropped["issued"] == ("evaluated", 1)
    assert dropped["claim_opened"] == ("issued", 1)
    assert dropped["claimed"] == ("claim_opened", 0)
    assert dropped["viewed"] == ("issued", 1)


def test_the_path_follows_the_filters(db, path):
    assert stats.learner_funnel(db, where=stats.StatsFilter(language="pl")).partner == []
    assert steps(stats.learner_funnel(
        db, where=stats.StatsFilter(partner="agfe")).total)["enrolled"] == 4


def test_a_completed_skill_counts_for_each_of_its_parts(db, world):
    templates = import_sample_catalogue(db)
    learner = world.learners[0]
    for part in GREEN:
        issue_part(db, templates, world.trainer, learner, part)
    assert steps(stats.learner_funnel(db).total)["skill_completed"] == 3


def test_page_views_are_added_up_per_day_in_one_statement(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        views.write_views(db, Counter({(credential.id, date(2026, 3, 2)): 3}))
    with unit_of_work(db):
        views.write_views(db, Counter({(credential.id, date(2026, 3, 2)): 2,
                                       (credential.id, date(2026, 3, 3)): 1}))
    assert views.views_of(db, credential.id) == 6
    assert count(db, CredentialViewDay) == 2


def test_the_tally_asks_for_a_write_when_the_batch_is_full_or_old():
    tally = views.ViewTally(batch=3, max_wait=60)
    assert not tally.add(1, MONDAY)
    assert not tally.add(1, MONDAY)
    assert tally.add(2, MONDAY)
    assert tally.take() == Counter({(1, MONDAY.date()): 2, (2, MONDAY.date()): 1})
    assert not tally.add(1, MONDAY)
    assert tally.add(1, MONDAY.replace(minute=1))
    assert tally.take() == Counter({(1, MONDAY.date()): 2})


def test_a_flush_writes_what_the_tally_held_and_empties_it(db, world):
    credential = issue(db, world)
    tally = views.ViewTally()
    tally.add(credential.id, MONDAY)
    tally.add(credential.id, MONDAY)
    views.flush(db, tally)
    assert views.views_of(db, credential.id) == 2 and tally.take() == Counter()


# --- targets ---------------------------------------------------------------------------------


def test_progress_toward_targets_per_partner(db, path):
    coordinator = make_coordinator(db)
    with unit_of_work(db):
        stats.set_target(db, path.org, 25, 5, coordinator)
    progress = {p.key: p for p in stats.target_progress(db)}
    agfe = progress["agfe"]
    assert (agfe.learners, agfe.learners_target, agfe.micro_trainings,
            agfe.micro_trainings_target) == (3, 25, 1, 5)
    assert (progress["cec"].learners, progress["cec"].learners_target) == (0, None)


def test_only_the_coordinator_sets_targets(db, world):
    with pytest.raises(PermissionDenied), unit_of_work(db):
        stats.set_target(db, world.org, 25, 5, world.admin)


@pytest.mark.parametrize("value", [-1, 10_001, "25"])
def test_a_target_is_a_whole_number_in_range(db, world, value):
    coordinator = make_coordinator(db)
    with pytest.raises(stats.InvalidTarget, match="whole number from 0 to 10000"):
        stats.set_target(db, world.org, value, 5, coordinator)


def test_a_partner_sees_only_its_own_progress(db, path):
    make_world(db, slug="barka", learner_names=())
    assert [p.key for p in stats.target_progress(
        db, stats.parse_filter(db, {}, path.admin))] == ["agfe"]


def test_acquisitions_per_month_include_the_months_without_any(db, world):
    issue(db, world, world.learners[0], now=datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    issue(db, world, world.learners[1], now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert stats.monthly_acquisitions(db) == [("2026-01", 1), ("2026-02", 0), ("2026-03", 1)]


# --- open data -------------------------------------------------------------------------------


def published(rows, table, measure, key="all"):
    return {row[1]: row[4] for row in rows[1:]
            if row[0] == table and row[3] == measure and row[2] == key}


def test_open_data_leaves_out_counts_under_five_and_what_would_reveal_them(db, world):
    with unit_of_work(db):
        learners = [create_learner(db, world.org, f"Learner {n}", answers=Consent.everything())
                    for n in range(12)]
    for learner in learners[:9]:
        issue(db, world, learner)
    for learner in learners[9:]:
        evaluate(db, world, learner, levels=ONE_NOT_YET)
    rows = disclosure.open_data_rows(db)
    assert rows[0] == ["table", "group", "key", "measure", "value"]
    assert published(rows, "path", "enrolled") == {"all": 12}
    assert published(rows, "path", "evaluated") == {"all": 12}
    assert published(rows, "path", "issued") == {"all": None}  # 12 - 9 = 3 would show
    assert published(rows, "path", "claimed") == {"all": 0}  # 9 apart from its base
    assert published(rows, "path", "in_wallet") == {"all": 0}


def test_open_data_names_no_person_and_no_record(db, path):
    text = repr(disclosure.open_data_rows(db))
    for learner in path.learners:
        assert learner.name not in text
    assert "Théo" not in text and "@" not in text and "learner:" not in text
