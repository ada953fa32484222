"""Skill badges: awarded exactly once when the last part is issued, withdrawn with a part.

Uses the sample catalogue (badge_templates): `online-job-search` (automatic, one organisation),
`green-work-habits` (automatic, cross-organisation), `customer-service` (one-click).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from issuer.core import schema
from issuer.services import NotIssuable, PermissionDenied, people, stacking, unit_of_work
from issuer.services.catalogue import training_of
from issuer.services.claims import bind_to_holder
from issuer.services.issuing import issue_for_assessment
from issuer.services.learners import create_learner, erase_learner
from issuer.services.revocation import revoke
from issuer.services.verification import verify_stored
from issuer.store.stacking_models import IN_PROGRESS, ISSUED, PENDING
from tests.helpers import (
    COUNTER,
    GREEN,
    NOW,
    ONLINE,
    award_of,
    document,
    evaluate_part,
    issue_part,
    partner,
    run_together,
    skill_badges,
)

# --- automatic awards ------------------------------------------------------------------------


def test_no_skill_badge_before_the_last_part(db, world, templates):
    learner = world.learners[0]
    for part in ONLINE[:2]:
        issue_part(db, templates, world.trainer, learner, part)
    assert skill_badges(db) == []
    assert award_of(db, learner, "online-job-search").state == IN_PROGRESS


def test_the_last_part_issues_the_skill_badge(db, world, templates):
    learner = world.learners[0]
    for part in ONLINE:
        issue_part(db, templates, world.trainer, learner, part)
    [badge] = skill_badges(db, "online-job-search")
    assert (badge.learner_id, badge.organisation_id) == (learner.id, world.org.id)
    assert award_of(db, learner, "online-job-search").state == ISSUED


def test_the_skill_badge_is_a_valid_competency_credential(db, world, templates):
    for part in ONLINE:
        issue_part(db, templates, world.trainer, world.learners[0], part)
    [badge] = skill_badges(db)
    signed = document(badge)
    assert signed["credentialSubject"]["achievement"]["achievementType"] == "Competency"
    assert schema.errors(signed, strict=True) == []
    assert verify_stored(db, badge).verdict == "valid"


def test_the_skill_badge_names_each_part_by_its_verification_page(db, world, templates):
    parts = [issue_part(db, templates, world.trainer, world.learners[0], p) for p in ONLINE]
    [badge] = skill_badges(db)
    evidence = document(badge)["evidence"]
    assert [e["id"] for e in evidence] == [stacking.verify_url(p) for p in parts]
    assert [e["name"] for e in evidence] == [
        training_of(templates[p]).name["fr"] for p in ONLINE]


def test_another_badge_of_a_held_part_issues_no_second_skill_badge(db, world, templates):
    learner = world.learners[0]
    for part in ONLINE:
        issue_part(db, templates, world.trainer, learner, part)
    issue_part(db, templates, world.trainer, learner, ONLINE[0])
    assert len(skill_badges(db)) == 1


def test_calling_the_hook_again_issues_no_second_skill_badge(db, world, templates):
    parts = [issue_part(db, templates, world.trainer, world.learners[0], p) for p in ONLINE]
    with unit_of_work(db):
        assert stacking.on_credential_issued(db, parts[-1], world.trainer, NOW) == []
    assert len(skill_badges(db)) == 1


def test_another_learners_badges_do_not_count(db, world, templates):
    first, second = world.learners
    issue_part(db, templates, world.trainer, first, ONLINE[0])
    for part in ONLINE[1:]:
        issue_part(db, templates, world.trainer, second, part)
    assert skill_badges(db) == []


# --- organisations ---------------------------------------------------------------------------


def test_a_cross_organisation_skill_counts_partners_badges_of_the_same_person(db, world,
                                                                             templates):
    with unit_of_work(db):
        here = create_learner(db, world.org, "Zoé Lefèvre", email="Zoe@Example.org")
    trainer, there = partner(db, "cec")
    with unit_of_work(db):
        people.link(db, here, there)  # the learner presented both claim links
    issue_part(db, templates, world.trainer, here, GREEN[0])
    issue_part(db, templates, trainer, there, GREEN[1])
    issue_part(db, templates, trainer, there, GREEN[2])
    [badge] = skill_badges(db, "green-work-habits")
    assert (badge.organisation_id, badge.learner_id) == (there.organisation_id, there.id)


def test_a_shared_email_address_alone_does_not_make_two_records_one_person(db, world,
                                                                           templates):
    with unit_of_work(db):
        here = create_learner(db, world.org, "Zoé Lefèvre", email="zoe@example.org")
    trainer, there = partner(db, "cec")  # typed Zoé's address into its own record
    issue_part(db, templates, world.trainer, here, GREEN[0])
    issue_part(db, templates, trainer, there, GREEN[1])
    issue_part(db, templates, trainer, there, GREEN[2])
    assert skill_badges(db, "green-work-habits") == []


def test_linking_later_moves_the_progress_and_awards_the_skill_once(db, world, templates):
    with unit_of_work(db):
        here = create_learner(db, world.org, "Zoé Lefèvre", email="zoe@example.org")
    trainer, there = partner(db, "cec")
    issue_part(db, templates, world.trainer, here, GREEN[0])
    issue_part(db, templates, trainer, there, GREEN[1])
    with unit_of_work(db):
        people.link(db, there, here)
    issue_part(db, templates, trainer, there, GREEN[2])
    [badge] = skill_badges(db, "green-work-habits")
    assert badge.learner_id == there.id


def test_a_single_organisation_skill_ignores_a_partners_badges(db, world, templates):
    with unit_of_work(db):
        here = create_learner(db, world.org, "Zoé Lefèvre", email="zoe@example.org")
    trainer, there = partner(db, "cec")
    issue_part(db, templates, world.trainer, here, ONLINE[0])
    issue_part(db, templates, trainer, there, ONLINE[1])
    issue_part(db, templates, trainer, there, ONLINE[2])
    assert skill_badges(db, "online-job-search") == []


def test_learners_without_email_are_never_matched_across_records(db, world, templates):
    with unit_of_work(db):
        twin = create_learner(db, world.org, world.learners[0].name)
    issue_part(db, templates, world.trainer, world.learners[0], GREEN[0])
    for part in GREEN[1:]:
        issue_part(db, templates, world.trainer, twin, part)
    assert skill_badges(db) == []


# --- one-click awards ------------------------------------------------------------------------


def test_a_one_click_skill_waits_for_the_trainer(db, world, templates):
    learner = world.learners[0]
    for part in COUNTER:
        issue_part(db, templates, world.trainer, learner, part)
    assert skill_badges(db) == []
    [pending] = stacking.pending_awards(db, world.org.id)
    assert (pending.skill_id, pending.state, pending.learner_id) == (
        "customer-service", PENDING, learner.id)


def test_the_trainers_click_issues_the_one_click_skill_badge_once(db, world, templates):
    for part in COUNTER:
        issue_part(db, templates, world.trainer, world.learners[0], part)
    [pending] = stacking.pending_awards(db, world.org.id)
    with unit_of_work(db):
        first = stacking.confirm_award(db, pending.id, world.trainer, NOW)
    with unit_of_work(db):
        second = stacking.confirm_award(db, pending.id, world.trainer, NOW)
    assert first.id == second.id
    assert skill_badges(db) == [first]
    assert stacking.pending_awards(db, world.org.id) == []


def test_another_organisation_cannot_click(db, world, templates):
    for part in COUNTER:
        issue_part(db, templates, world.trainer, world.learners[0], part)
    [pending] = stacking.pending_awards(db, world.org.id)
    outsider, _ = partner(db, "cec")
    with pytest.raises(PermissionDenied):
        stacking.confirm_award(db, pending.id, outsider, NOW)


def test_revoking_a_part_of_a_pending_award_cancels_it(db, world, templates):
    parts = [issue_part(db, templates, world.trainer, world.learners[0], p) for p in COUNTER]
    [pending] = stacking.pending_awards(db, world.org.id)
    with unit_of_work(db):
        revoke(db, parts[0], "Erreur de saisie", world.admin, NOW)
    assert stacking.pending_awards(db, world.org.id) == []
    with pytest.raises(NotIssuable, match="not due"):
        stacking.confirm_award(db, pending.id, world.trainer, NOW)


# --- revocation --------------------------------------------------------------------------------


def test_revoking_a_part_revokes_the_skill_badge_with_its_reason(db, world, templates):
    parts = [issue_part(db, templates, world.trainer, world.learners[0], p) for p in ONLINE]
    with unit_of_work(db):
        revoke(db, parts[1], "Erreur de saisie", world.admin, NOW)
    [badge] = skill_badges(db)
    assert badge.revocation_reason == stacking.PART_REVOKED_REASON
    assert verify_stored(db, badge).verdict == "revoked"
    assert award_of(db, world.learners[0], "online-job-search").state == IN_PROGRESS


def test_a_revoked_parts_wallet_copy_never_counts_as_a_spare_part(db, world, templates):
    # The copy is revoked with its original before stacking looks for another badge of the part.
    parts = [issue_part(db, templates, world.trainer, world.learners[0], p) for p in ONLINE]
    with unit_of_work(db):
        bind_to_holder(db, parts[1], "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                       NOW)
    with unit_of_work(db):
        revoke(db, parts[1], "Erreur de saisie", world.admin, NOW)
    [badge] = skill_badges(db)
    assert badge.revocation_reason == stacking.PART_REVOKED_REASON
    assert award_of(db, world.learners[0], "online-job-search").state == IN_PROGRESS


def test_earning_the_revoked_part_again_issues_a_new_skill_badge(db, world, templates):
    parts = [issue_part(db, templates, world.trainer, world.learners[0], p) for p in ONLINE]
    with unit_of_work(db):
        revoke(db, parts[1], "Erreur de saisie", world.admin, NOW)
    issue_part(db, templates, world.trainer, world.learners[0], ONLINE[1])
    old, new = skill_badges(db)
    assert (old.revoked_at is not None, new.revoked_at) == (True, None)
    assert verify_stored(db, new).verdict == "valid"


def test_another_valid_badge_of_the_part_reissues_the_skill_badge_at_once(db, world, templates):
    parts = [issue_part(db, templates, world.trainer, world.learners[0], p) for p in ONLINE]
    spare = issue_part(db, templates, world.trainer, world.learners[0], ONLINE[0])
    with unit_of_work(db):
        revoke(db, parts[0], "Erreur de saisie", world.admin, NOW)
    old, new = skill_badges(db)
    assert old.revoked_at is not None and new.revoked_at is None
    assert stacking.verify_url(spare) in [e["id"] for e in document(new)["evidence"]]


def test_revoking_a_badge_outside_the_stack_leaves_the_skill_badge(db, world, templates):
    for part in ONLINE:
        issue_part(db, templates, world.trainer, world.learners[0], part)
    extra = issue_part(db, templates, world.trainer, world.learners[0], GREEN[0])
    with unit_of_work(db):
        revoke(db, extra, "Erreur de saisie", world.admin, NOW)
    [badge] = skill_badges(db)
    assert badge.revoked_at is None


def test_erasing_a_learner_issues_no_new_skill_badge_from_a_spare_part(db, world, templates):
    learner = world.learners[0]
    for part in ONLINE:
        issue_part(db, templates, world.trainer, learner, part)
    issue_part(db, templates, world.trainer, learner, ONLINE[0])
    with unit_of_work(db):
        erase_learner(db, learner, world.admin, NOW)
    assert [badge.revoked_at is not None for badge in skill_badges(db)] == [True]


# --- progress for the pages --------------------------------------------------------------------


def test_progress_shows_done_missing_and_what_the_skill_opens(db, world, templates):
    part = issue_part(db, templates, world.trainer, world.learners[0], ONLINE[0])
    [view] = stacking.stack_progress(db, part, "fr", now=NOW)
    names = {p: training_of(templates[p]).name["fr"] for p in ONLINE}
    assert view.name == "Chercher un emploi en ligne"
    assert view.done == [names[ONLINE[0]]]
    assert view.missing == [names[p] for p in ONLINE[1:]]
    assert view.further_training == [{
        "name": "Ateliers de recherche d'emploi avec les outils numériques",
        "provider": "France Travail", "url": "https://www.francetravail.fr"}]
    assert (view.complete, view.pending, view.skill_badge_url) == (False, False, None)


def test_progress_says_when_time_alone_changes_it_the_first_held_part_expiring(
        db, world, templates):
    first = issue_part(db, templates, world.trainer, world.learners[0], ONLINE[0])
    second = issue_part(db, templates, world.trainer, world.learners[0], ONLINE[1])
    [view] = stacking.stack_progress(db, second, "en", now=NOW)
    assert view.changes_at is None  # these parts never expire
    with unit_of_work(db):
        first.valid_until, second.valid_until = NOW + timedelta(days=400), NOW + timedelta(
            days=500)
    [view] = stacking.stack_progress(db, second, "en", now=NOW)
    assert view.changes_at == first.valid_until
    [later] = stacking.stack_progress(db, second, "en", now=first.valid_until)
    assert later.changes_at == second.valid_until  # the first no longer counts


def test_progress_links_the_skill_badge_once_issued(db, world, templates):
    parts = [issue_part(db, templates, world.trainer, world.learners[0], p) for p in ONLINE]
    [view] = stacking.stack_progress(db, parts[0], "en", now=NOW)
    [badge] = skill_badges(db)
    assert (view.complete, view.missing) == (True, [])
    assert view.skill_badge_url == stacking.verify_url(badge)


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


def test_parts_issued_concurrently_give_exactly_one_skill_badge(app, db, world, templates,
                                                                database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("concurrent issuance is a PostgreSQL guarantee")
    learner = world.learners[0]
    assessments = [evaluate_part(db, templates, world.trainer, learner, p) for p in ONLINE]
    run_together(app, [
        lambda session, a=a.id: issue_for_assessment(session, a, None, now=NOW)
        for a in assessments
    ])
    db.expire_all()
    assert len(skill_badges(db, "online-job-search")) == 1


def test_two_partners_completing_the_stack_at_once_give_exactly_one_skill_badge(
        app, db, world, templates, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("concurrent issuance is a PostgreSQL guarantee")
    with unit_of_work(db):
        here = create_learner(db, world.org, "Zoé Lefèvre", email="zoe@example.org")
    trainer, there = partner(db, "cec")
    with unit_of_work(db):
        people.link(db, here, there)
    issue_part(db, templates, world.trainer, here, GREEN[0])
    last_two = [evaluate_part(db, templates, world.trainer, here, GREEN[1]),
                evaluate_part(db, templates, trainer, there, GREEN[2])]
    run_together(app, [
        lambda session, a=a.id: issue_for_assessment(session, a, None, now=NOW)
        for a in last_two
    ])
    db.expire_all()
    assert len(skill_badges(db, "green-work-habits")) == 1
