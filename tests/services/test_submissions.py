"""Evaluations sent from phones: a replay is answered once, two versions never overwrite each
other, even when two phones send at the same instant (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from issuer.services import NotFound, consent, submissions, unit_of_work
from issuer.services.consent import Consent
from issuer.services.issuing import save_assessment
from issuer.store.models import Assessment, EvaluationSubmission, Learner, TrainingSession
from tests.helpers import count, run_together

DIG, STAKE = "dig-hole", "stake-and-water"


@pytest.fixture
def assessment(db, world) -> Assessment:
    with unit_of_work(db):
        return save_assessment(db, world.session.id, world.learners[0].id, {}, {}, None,
                               world.trainer)


def evaluation(**levels) -> submissions.Evaluation:
    return submissions.Evaluation(levels={k.replace("_", "-"): v for k, v in levels.items()},
                                  comments={})


def test_a_replay_is_answered_from_its_record_and_changes_nothing(db, world, assessment):
    with unit_of_work(db):
        first = submissions.receive(db, assessment, "phone-a-0001", 1,
                                    evaluation(dig_hole="acquired"), "save", world.trainer)
    with unit_of_work(db):
        again = submissions.receive(db, assessment, "phone-a-0001", 1,
                                    evaluation(dig_hole="not-yet"), "save", world.trainer)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.submission.id == first.submission.id
    db.refresh(assessment)
    assert (assessment.levels, assessment.version) == ({DIG: "acquired"}, 2)


def test_choosing_a_version_already_settled_is_refused(db, world, assessment):
    with pytest.raises(NotFound):
        submissions.choose(db, assessment, 12345, world.trainer)


def test_two_phones_sending_at_once_give_one_save_and_one_conflict(
        app, db, world, assessment, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time")
    versions = {"phone-a-0001": evaluation(dig_hole="acquired"),
                "phone-b-0001": evaluation(dig_hole="not-yet")}

    def send(client_id):
        def job(session):
            record = session.get(Assessment, assessment.id)
            submissions.receive(session, record, client_id, 1, versions[client_id], "save",
                                world.trainer)
        return job

    run_together(app, [send(client_id) for client_id in versions])
    db.expire_all()
    outcomes = dict(db.execute(select(EvaluationSubmission.client_id,
                                      EvaluationSubmission.outcome)).all())
    assert sorted(outcomes.values()) == ["applied", "conflict"]
    applied = next(client_id for client_id, outcome in outcomes.items() if outcome == "applied")
    record = db.get(Assessment, assessment.id)
    assert (record.levels, record.version) == (versions[applied].levels, 2)


WALK_IN = submissions.NewLearner("Wanda Wejście", None, "pl", Consent(name=True, photo=True))


def test_a_learner_added_twice_under_one_id_is_created_once(db, world):
    with unit_of_work(db):
        first = submissions.enrol(db, world.session, "walk-in-0001", WALK_IN, world.trainer)
    with unit_of_work(db):
        again = submissions.enrol(db, world.session, "walk-in-0001", WALK_IN, world.trainer)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.submission.assessment_id == first.submission.assessment_id
    assert count(db, Learner, Learner.name == "Wanda Wejście") == 1
    assert consent.given(first.submission.assessment.learner, consent.PHOTO)


def test_a_learner_added_from_two_requests_at_once_is_created_once(
        app, db, world, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time")

    def add(session):
        submissions.enrol(session, session.get(TrainingSession, world.session.id),
                          "walk-in-0002", WALK_IN, world.trainer)

    run_together(app, [add, add])
    assert count(db, Learner, Learner.name == "Wanda Wejście") == 1
    assert count(db, EvaluationSubmission, EvaluationSubmission.client_id == "walk-in-0002") == 1
