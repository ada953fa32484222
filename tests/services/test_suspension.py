"""Suspension: a badge on hold reads "suspended" on this service, is reinstated, both audited."""

from __future__ import annotations

import json

import pytest

from issuer.core import schema
from issuer.services import PermissionDenied, ServiceError, unit_of_work
from issuer.services.claims import bind_to_holder
from issuer.services.revocation import revoke
from issuer.services.suspension import reinstate, suspend
from issuer.services.verification import verify_stored, verify_stored_cached
from issuer.store.models import AuditEvent
from tests.helpers import issue, make_world

HOLDER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def test_a_suspended_badge_verifies_as_suspended_not_revoked(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        suspend(db, credential, "Évaluation en cours de réexamen", world.admin)
    report = verify_stored(db, credential)
    assert (report.verdict, report.suspended, report.revoked) == ("suspended", True, False)
    assert [c.status for c in report.checks if "suspended by its issuer" in c.message] == [
        "failed"]


def test_a_reinstated_badge_is_valid_again_and_the_cached_verdict_follows(db, world):
    credential = issue(db, world)
    assert verify_stored_cached(db, credential).verdict == "valid"
    with unit_of_work(db):
        suspend(db, credential, "Under review", world.admin)
    assert verify_stored_cached(db, credential).verdict == "suspended"
    with unit_of_work(db):
        reinstate(db, credential, "Review done: the evaluation stands", world.admin)
    assert verify_stored_cached(db, credential).verdict == "valid"
    assert (credential.suspended_at, credential.suspension_reason) == (None, None)


def test_suspending_and_reinstating_are_audited_with_their_reasons(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        suspend(db, credential, "Under review", world.admin)
        reinstate(db, credential, "Review done", world.admin)
    events = {e.action: e for e in db.query(AuditEvent).filter(
        AuditEvent.action.in_(("credential.suspend", "credential.reinstate")))}
    assert events["credential.suspend"].detail["reason"] == "Under review"
    assert events["credential.reinstate"].detail["reason"] == "Review done"
    assert {e.subject for e in events.values()} == {credential.uuid}


def test_a_reason_is_required_either_way(db, world):
    credential = issue(db, world)
    with pytest.raises(ServiceError, match="a reason is required"):
        suspend(db, credential, "  ", world.admin)


def test_a_revoked_badge_cannot_be_suspended_and_revocation_wins(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        suspend(db, credential, "Under review", world.admin)
        revoke(db, credential, "The evaluation does not stand", world.admin)
    assert verify_stored(db, credential).verdict == "revoked"
    other = issue(db, world, world.learners[1])
    with unit_of_work(db):
        revoke(db, other, "Issued by mistake", world.admin)
    with pytest.raises(ServiceError, match="revoked badge cannot be suspended"):
        suspend(db, other, "Under review", world.admin)


def test_reinstating_a_badge_not_suspended_is_refused(db, world):
    with pytest.raises(ServiceError, match="not suspended"):
        reinstate(db, issue(db, world), "Nothing to end", world.admin)


def test_another_organisations_admin_cannot_suspend(db, world):
    credential = issue(db, world)
    cec = make_world(db, slug="cec", learner_names=("Anouk Peeters",))
    with pytest.raises(PermissionDenied):
        suspend(db, credential, "Not mine", cec.admin)
    assert credential.suspended_at is None


def test_the_wallet_copy_is_held_and_reinstated_with_its_badge(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        copy = bind_to_holder(db, credential, HOLDER)
        suspend(db, credential, "Under review", world.admin)
    assert verify_stored(db, copy).verdict == "suspended"
    with unit_of_work(db):
        reinstate(db, credential, "Review done", world.admin)
    assert verify_stored(db, copy).verdict == "valid"


def test_the_signed_badge_is_unchanged_and_keeps_one_status_entry(db, world):
    credential = issue(db, world)
    signed = credential.signed_json
    with unit_of_work(db):
        suspend(db, credential, "Under review", world.admin)
    assert credential.signed_json == signed
    document = json.loads(signed)
    assert document["credentialStatus"]["statusPurpose"] == "revocation"
    assert schema.errors(document, schema.schema_for(document)) == []


def test_the_learner_sees_the_badge_suspended_and_the_record_leaves_it_out(db, world):
    from issuer.services.learner_record import held_badges, record_credentials
    credential = issue(db, world)
    with unit_of_work(db):
        suspend(db, credential, "Under review", world.admin)
    [held] = held_badges(db, credential.learner, "fr")
    assert held.state == "suspended"
    assert record_credentials(db, credential.learner) == ([], True)
