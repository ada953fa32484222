"""Learners: quick-add with a name only; erasure revokes and removes personal data."""

from __future__ import annotations

import pytest

from issuer.services import NotIssuable, ServiceError, unit_of_work
from issuer.services.issuing import issue_for_assessment
from issuer.services.learners import ERASED_NAME, create_learner, erase_learner
from issuer.services.verification import verify_stored
from issuer.store.models import Assessment, EvidenceFile, Learner
from tests.helpers import evaluate, issue


def test_a_name_is_enough_to_add_a_learner(db, world):
    learner = create_learner(db, world.org, "  Jordi   Puig ")
    assert (learner.name, learner.email, learner.language) == ("Jordi Puig", None, None)


def test_learner_email_is_normalised(db, world):
    learner = create_learner(db, world.org, "Ana", email=" Ana@Example.ORG ")
    assert learner.email == "ana@example.org"


def test_learner_without_a_name_is_refused(db, world):
    with pytest.raises(ServiceError, match="needs a name"):
        create_learner(db, world.org, "   ")


def test_erasure_revokes_and_removes_personal_data(db, world):
    learner = world.learners[0]
    with unit_of_work(db):
        db.merge(learner).email = "zoe@example.org"
    credential = issue(db, world, comments={"": "Très bien, Zoé"}, narrative="Zoé a réussi.")
    with unit_of_work(db):
        erase_learner(db, db.get(Learner, learner.id), world.admin)
    stored = db.get(Learner, learner.id)
    assert (stored.name, stored.email, stored.wallet_did) == (ERASED_NAME, None, None)
    assert stored.erased_at is not None
    assert credential.revoked_at is not None
    assert "Zoé" not in credential.signed_json and "sha256$" not in credential.signed_json
    assessment = db.get(Assessment, credential.assessment_id)
    assert (assessment.comments, assessment.narrative) == ({}, None)
    assert verify_stored(db, credential).verdict == "revoked"


def test_erasure_deletes_evidence_photos(db, world):
    import hashlib
    import uuid

    assessment = evaluate(db, world)
    with unit_of_work(db):
        db.add(EvidenceFile(uuid=str(uuid.uuid4()), assessment_id=assessment.id,
                            gesture_id="dig-hole", filename="photo.jpg", media_type="image/jpeg",
                            data=b"jpeg", sha256=hashlib.sha256(b"jpeg").hexdigest()))
    with unit_of_work(db):
        erase_learner(db, db.get(Learner, world.learners[0].id), world.admin)
    assert db.query(EvidenceFile).count() == 0


def test_erased_learner_cannot_receive_a_badge(db, world):
    assessment = evaluate(db, world)
    with unit_of_work(db):
        erase_learner(db, db.get(Learner, world.learners[0].id), world.admin)
    with pytest.raises(NotIssuable, match="erased"):
        issue_for_assessment(db, assessment.id, world.trainer)
