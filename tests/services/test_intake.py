"""Intake: the one level parser and learner matcher behind the API and the CSV bulk file."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from issuer.domain.catalogue import RubricLevel
from issuer.services import bulk, intake, intake_requests, unit_of_work
from issuer.services.api_tokens import create_token
from issuer.services.catalogue import training_of
from issuer.services.learners import create_learner, erase_learner
from issuer.store.models import Credential
from tests.helpers import issue

HEADER = "name,email,dig-hole,stake-and-water"


# --- one level parser --------------------------------------------------------------------------


def lowest_required(world):
    """The world's micro-training with dig-hole rated basic < expert, basic being required."""
    training = training_of(world.template)
    dig_hole, stake_and_water = training.gestures
    levels = (RubricLevel("basic", {"en": "Basic"}), RubricLevel("expert", {"en": "Expert"}))
    return replace(training, gestures=(
        replace(dig_hole, levels=levels, required_level="basic"), stake_and_water))


def test_not_yet_is_refused_in_a_file_when_the_required_level_is_the_lowest(world):
    text = f"{HEADER}\nZoé,,not yet,acquired\n"
    [result] = bulk.parse(text, lowest_required(world))
    assert (result.verdict, result.problems) == (bulk.ERROR, [
        "dig-hole: 'not yet' is not a level; write one of basic, expert"])


def test_level_words_name_the_required_level_and_the_one_below(world):
    dig_hole = training_of(world.template).gestures[0]
    assert [intake.level_id(dig_hole, word) for word in (
        "acquired", " Not yet ", "not_yet", "NOT-YET", "acquired ", "yes", "")] == [
        "acquired", "not-yet", "not-yet", "not-yet", "acquired", None, None]


def test_not_yet_names_no_level_when_the_required_level_is_the_lowest(world):
    dig_hole = lowest_required(world).gestures[0]
    assert [intake.level_id(dig_hole, word) for word in ("not-yet", "acquired", "expert")] == [
        None, "basic", "expert"]


# --- recognising a learner ---------------------------------------------------------------------


def test_a_learner_is_recognised_whatever_the_case_and_spacing_of_name_and_email():
    assert intake.learner_key("  Inès   MOREAU ", " Ines@Example.ORG\t") == intake.learner_key(
        "Inès Moreau", "ines@example.org")


def test_the_roster_finds_the_organisations_learner_by_trimmed_name_and_email(db, world):
    with unit_of_work(db):
        known = create_learner(db, world.org, "Amélie Durand", "amelie@example.org")
    roster = intake.Roster(db, world.org.id, world.session)
    found = roster.find(" amélie  DURAND ", " Amelie@Example.org ")
    assert (found.learner.id, found.credential) == (known.id, None)


def test_without_an_email_a_name_is_recognised_only_in_the_session(db, world):
    with unit_of_work(db):
        create_learner(db, world.org, "Amélie Durand")
    assert intake.Roster(db, world.org.id, world.session).find("Amélie Durand", None) is None


def test_the_roster_knows_the_sessions_learners_with_their_credential(db, world):
    credential = issue(db, world)
    learner = world.learners[0]
    found = intake.Roster(db, world.org.id, world.session).find(learner.name, learner.email)
    assert (found.learner.id, found.credential.id) == (learner.id, credential.id)


def test_an_erased_learner_is_never_recognised(db, world):
    issue(db, world)
    learner = world.learners[0]
    name, email = learner.name, learner.email
    with unit_of_work(db):
        erase_learner(db, learner, world.admin)
    assert intake.Roster(db, world.org.id, world.session).find(name, email) is None


def test_a_file_and_the_api_recognise_the_same_learner_for_the_same_padded_email(db, world):
    with unit_of_work(db):
        known = create_learner(db, world.org, "Amélie Durand", "amelie@example.org")
    text = f"{HEADER}\n Amélie Durand , AMELIE@example.org ,acquired,acquired\n".encode()
    [result] = bulk.run(db, world.session, text, world.trainer)
    assert db.scalar(select(Credential).where(
        Credential.uuid == result.credential_uuid)).learner_id == known.id
    request = intake_requests.parse_issue_request({
        "template_id": "tree-planting", "results": {"dig-hole": "acquired"},
        "learner": {"name": " Amélie  Durand", "email": " Amelie@Example.org "}})
    with unit_of_work(db):
        token, _plain = create_token(db, world.org, "LMS")
    assert intake.plan_issue(db, token, request).learner.id == known.id
