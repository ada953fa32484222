"""Revocation: a reason is required, it is audited, and verification reports it."""

from __future__ import annotations

import json

import pytest

from issuer.services import ServiceError, unit_of_work
from issuer.services.learners import erase_learner
from issuer.services.revocation import AlreadyRevoked, revoke
from issuer.services.verification import verify_stored
from issuer.store.models import AuditEvent, StatusList
from tests.helpers import issue


def test_revoked_credential_verifies_as_revoked(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        revoke(db, credential, "Issued to the wrong learner", world.admin)
    report = verify_stored(db, credential)
    assert report.verdict == "revoked"
    assert report.revoked is True


def test_revocation_records_reason_time_and_bumps_the_list_revision(db, world):
    credential = issue(db, world)
    revision = db.get(StatusList, credential.status_list_id).revision
    with unit_of_work(db):
        revoke(db, credential, "  Issued   to the wrong learner ", world.admin)
    assert credential.revocation_reason == "Issued to the wrong learner"
    assert credential.revoked_at is not None
    assert db.get(StatusList, credential.status_list_id).revision == revision + 1


def test_revocation_needs_a_reason(db, world):
    credential = issue(db, world)
    with pytest.raises(ServiceError, match="a reason is required"):
        revoke(db, credential, "   ", world.admin)


def test_revoking_twice_is_refused(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        revoke(db, credential, "Issued by mistake", world.admin)
    with pytest.raises(AlreadyRevoked):
        revoke(db, credential, "Again", world.admin)


def test_revocation_is_audited(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        revoke(db, credential, "Issued by mistake", world.admin)
    event = db.query(AuditEvent).filter_by(action="credential.revoke").one()
    assert (event.user_id, event.subject, event.detail["reason"]) == (
        world.admin.id,
        credential.uuid,
        "Issued by mistake",
    )


def test_other_credentials_of_the_list_stay_valid(db, world):
    revoked, kept = issue(db, world), issue(db, world, world.learners[1])
    with unit_of_work(db):
        revoke(db, revoked, "Issued by mistake", world.admin)
    assert verify_stored(db, kept).verdict == "valid"


def test_revoking_a_badge_revokes_its_wallet_copies(db, world):
    from issuer.services.claims import bind_to_holder

    credential = issue(db, world)
    with unit_of_work(db):
        copy = bind_to_holder(
            db, credential, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        )
    with unit_of_work(db):
        revoke(db, credential, "Issued to the wrong learner", world.admin)
    assert copy.revocation_reason == "Issued to the wrong learner"
    assert verify_stored(db, copy).verdict == "revoked"


def test_a_reason_is_private_unless_asked(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        revoke(db, credential, "Lives at 12 rue des Lilas", world.admin)
    report = verify_stored(db, credential).to_json()
    assert credential.revocation_reason_public is False
    assert "rue des Lilas" not in json.dumps(report)


def test_a_public_reason_is_in_the_status_check(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        revoke(db, credential, "Issued by mistake", world.admin, public=True)
    status = verify_stored(db, credential).check("status")
    assert status.message.endswith(": Issued by mistake")


def test_wallet_copies_inherit_the_reasons_visibility(db, world):
    from issuer.services.claims import bind_to_holder

    credential = issue(db, world)
    with unit_of_work(db):
        copy = bind_to_holder(
            db, credential, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        )
    with unit_of_work(db):
        revoke(db, credential, "Issued by mistake", world.admin, public=True)
    assert copy.revocation_reason_public is True


def test_the_report_of_an_erased_learners_badge_keeps_a_private_reason_out(db, world):
    credential = issue(db, world)
    with unit_of_work(db):
        revoke(db, credential, "Lives at 12 rue des Lilas", world.admin)
    with unit_of_work(db):
        erase_learner(db, credential.learner, world.admin)
    report = verify_stored(db, credential)
    assert report.verdict == "revoked"
    assert report.check("status").message == "revoked"
    assert "rue des Lilas" not in json.dumps(report.to_json())
