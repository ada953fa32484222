"""Follow-ups at 3 and 6 months, reported by micro-training and theme; gestures ranked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from issuer.services import NotFound, PermissionDenied, stats, unit_of_work
from issuer.services.issuing import save_assessment
from issuer.services.outcomes import InvalidOutcome, follow_up_list, record_outcome
from issuer.store.models import AuditEvent, TrainingSession
from tests.helpers import ONE_NOT_YET, count, evaluate, issue, make_world

NOW = datetime(2026, 9, 2, 10, 0, tzinfo=UTC)


def record(db, world, learner, months=3, situation="job", observed_on=date(2026, 6, 2),
           actor=None):
    with unit_of_work(db):
        return record_outcome(db, learner.id, months, situation, observed_on,
                              actor or world.trainer, NOW)


def test_a_trainer_records_a_follow_up_with_its_day_and_who_said_so(db, world):
    issue(db, world)
    outcome = record(db, world, world.learners[0])
    assert (outcome.months, outcome.situation, outcome.observed_on, outcome.recorded_by_id) == (
        3, "job", date(2026, 6, 2), world.trainer.id)
    assert count(db, AuditEvent, AuditEvent.action == "outcome.record") == 1


def test_recording_again_replaces_the_answer(db, world):
    issue(db, world)
    record(db, world, world.learners[0], situation="unknown")
    record(db, world, world.learners[0], situation="volunteering")
    [(_learner, outcomes)] = follow_up_list(db, world.org.id)
    assert outcomes[3].situation == "volunteering" and 6 not in outcomes


@pytest.mark.parametrize(("months", "situation", "day", "message"), [
    (4, "job", date(2026, 6, 2), "A follow-up is made at 3 or 6 months."),
    (3, "lottery", date(2026, 6, 2), "“lottery” is not a known situation."),
    (6, "job", date(2026, 9, 3), "The day of a follow-up cannot be in the future."),
])
def test_a_bad_follow_up_is_refused(db, world, months, situation, day, message):
    with pytest.raises(InvalidOutcome) as raised:
        record(db, world, world.learners[0], months, situation, day)
    assert str(raised.value) == message


def test_another_organisation_cannot_record_a_follow_up(db, world):
    other = make_world(db, slug="barka", learner_names=())
    with pytest.raises(PermissionDenied):
        record(db, world, world.learners[0], actor=other.trainer)
    with pytest.raises(NotFound):
        with unit_of_work(db):
            record_outcome(db, 999_999, 3, "job", date(2026, 6, 2), world.trainer, NOW)


def test_outcomes_are_reported_by_micro_training_and_theme(db, world):
    issue(db, world, world.learners[0])
    evaluate(db, world, world.learners[1], levels=ONE_NOT_YET)
    record(db, world, world.learners[0], 3, "job")
    record(db, world, world.learners[0], 6, "further_training")
    record(db, world, world.learners[1], 3, "none")
    report = stats.outcome_report(db)
    by_months = {row.months: row for row in report.micro_training}
    assert by_months[3].situations == {"job": 1, "further_training": 0, "volunteering": 0,
                                       "none": 1, "unknown": 0}
    assert (by_months[3].not_recorded, by_months[6].not_recorded) == (0, 1)
    assert by_months[6].situations["further_training"] == 1
    assert [(row.key, row.months) for row in report.theme] == [("green-jobs", 3),
                                                               ("green-jobs", 6)]


def test_gestures_are_ranked_by_acquisition_with_the_attempts_they_took(db, world):
    learner = world.learners[0]
    evaluate(db, world, learner, levels=ONE_NOT_YET)
    with unit_of_work(db):
        later = TrainingSession(organisation_id=world.org.id, template_pk=world.template.id,
                                trainer_id=world.trainer.id, language="fr",
                                starts_on=date(2026, 4, 6), ends_on=date(2026, 4, 6))
        db.add(later)
        db.flush()
        save_assessment(db, later.id, learner.id,
                        {"dig-hole": "acquired", "stake-and-water": "acquired"}, {}, None,
                        world.trainer)
    evaluate(db, world, world.learners[1], levels=ONE_NOT_YET)
    rows = [(g.gesture_id, g.learners, g.acquired, g.attempts_to_acquire)
            for g in stats.gesture_acquisitions(db)]
    assert rows == [("dig-hole", 2, 2, 1.0), ("stake-and-water", 2, 1, 2.0)]
