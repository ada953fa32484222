"""Issuing: rule check, the credential's content, checks before signing, atomicity, idempotency."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest

from issuer.core import jsonld, schema
from issuer.core.builders import hash_identity
from issuer.core.errors import KeyFormatError
from issuer.services import InvalidAssessment, NotIssuable, PermissionDenied, unit_of_work
from issuer.services.accounts import create_user
from issuer.services.issuing import (
    AlreadyIssued,
    credential_for_claim_token,
    issue_for_assessment,
    issue_for_assessments,
    save_assessment,
)
from issuer.services.learners import create_learner
from issuer.services.minting import SHORT_ID_ALPHABET
from issuer.services.verification import verify_stored
from issuer.store.models import AuditEvent, Credential, EvidenceFile, StatusSlot
from tests.helpers import ONE_NOT_YET, count, document, evaluate, issue

BASE = "https://badges.example.org"


def test_issued_credential_passes_strict_schema_safe_mode_and_verification(db, world):
    credential = issue(db, world)
    signed = document(credential)
    schema.validate(signed, strict=True)
    jsonld.expand_safely(signed)
    report = verify_stored(db, credential)
    assert report.verdict == "valid", report.to_json()["checks"]


def test_credential_is_in_the_learners_language_with_non_ascii_intact(db, world):
    signed = document(issue(db, world))
    achievement = signed["credentialSubject"]["achievement"]
    assert achievement["inLanguage"] == "fr"
    assert achievement["name"] == "Planter un jeune arbre"
    assert signed["credentialSubject"]["identifier"][0]["identityHash"] == "Zoé Lefèvre"
    assert achievement["related"][0]["id"] == f"{BASE}/achievements/tree-planting--1.0--en"


def test_language_falls_back_to_the_organisation_then_english(db, world):
    polish = world.learners[1]
    with unit_of_work(db):
        db.merge(polish).language = "pl"
    assert document(issue(db, world, polish))["credentialSubject"]["achievement"][
        "inLanguage"] == "fr"
    with unit_of_work(db):
        db.merge(world.org).default_language = "pl"
        from issuer.services.learners import create_learner

        third = create_learner(db, world.org, "Paweł Nowak", language="pl")
    assert document(issue(db, world, third))["credentialSubject"]["achievement"][
        "inLanguage"] == "en"


def test_credential_ids_urls_and_issuer_follow_the_public_base(db, world):
    credential = issue(db, world)
    signed = document(credential)
    assert signed["id"] == f"{BASE}/credentials/{credential.uuid}"
    assert signed["issuer"]["id"] == "did:web:badges.example.org:issuers:agfe"
    assert signed["proof"][0]["verificationMethod"].startswith(
        "did:web:badges.example.org:issuers:agfe#z6Mk")
    status = signed["credentialStatus"]
    assert status["statusListCredential"] == f"{BASE}/status/{credential.status_list.uuid}"
    assert status["statusListIndex"] == str(credential.status_index)


def test_subject_has_hashed_email_only_when_known(db, world):
    with unit_of_work(db):
        db.merge(world.learners[0]).email = "zoe.lefevre@example.org"
    identifiers = document(issue(db, world))["credentialSubject"]["identifier"]
    email = identifiers[1]
    assert email["identityType"] == "emailAddress" and email["hashed"] is True
    assert email["identityHash"] == hash_identity("zoe.lefevre@example.org", email["salt"])
    other = document(issue(db, world, world.learners[1]))["credentialSubject"]
    assert [i["identityType"] for i in other["identifier"]] == ["name"]
    assert "id" not in other


def test_subject_id_is_the_wallet_did_when_bound(db, world):
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    with unit_of_work(db):
        db.merge(world.learners[0]).wallet_did = did
    assert document(issue(db, world))["credentialSubject"]["id"] == did


def test_each_gesture_has_a_result_at_its_achieved_level(db, world):
    subject = document(issue(db, world))["credentialSubject"]
    achievement_id = f"{BASE}/achievements/tree-planting--1.0--fr"
    assert [(r["resultDescription"], r["achievedLevel"]) for r in subject["result"]] == [
        (f"{achievement_id}#gesture-dig-hole", f"{achievement_id}#gesture-dig-hole-acquired"),
        (f"{achievement_id}#gesture-stake-and-water",
         f"{achievement_id}#gesture-stake-and-water-acquired"),
    ]


def test_trainer_narrative_comments_and_activity_dates_are_in_the_credential(db, world):
    signed = document(issue(db, world, comments={"": "Très bon travail", "dig-hole": "Précis"},
                            narrative="Zoé a planté trois arbres.", evidence_public=True))
    subject = signed["credentialSubject"]
    assert subject["narrative"] == "Zoé a planté trois arbres."
    assert subject["activityStartDate"] == "2026-03-02T00:00:00Z"
    assert [(e["name"], e["narrative"]) for e in signed["evidence"]] == [
        ("Commentaire du formateur", "Très bon travail"),
        ("Creuser le trou de plantation", "Précis"),
    ]


def test_without_the_learners_agreement_comments_stay_out_of_the_badge(db, world):
    signed = document(issue(db, world, comments={"": "Très bon travail", "dig-hole": "Précis"},
                            narrative="Zoé a planté trois arbres."))
    assert "narrative" not in signed["credentialSubject"]
    assert "evidence" not in signed
    assert "Très bon travail" not in json.dumps(signed, ensure_ascii=False)


def test_photo_evidence_is_an_https_url_never_a_data_uri(db, world):
    assessment = evaluate(db, world, evidence_public=True)
    photo_uuid = str(uuid.uuid4())
    with unit_of_work(db):
        db.add(EvidenceFile(uuid=photo_uuid, assessment_id=assessment.id, gesture_id="dig-hole",
                            filename="trou.jpg", media_type="image/jpeg", data=b"\xff\xd8jpeg",
                            sha256=hashlib.sha256(b"\xff\xd8jpeg").hexdigest()))
    with unit_of_work(db):
        credential = issue_for_assessment(db, assessment.id, world.trainer)
    evidence = document(credential)["evidence"]
    assert evidence == [{"id": f"{BASE}/evidence/{photo_uuid}", "type": ["Evidence"],
                         "name": "Creuser le trou de plantation", "genre": "Photograph"}]
    assert "data:" not in credential.signed_json


def test_validity_period_of_the_template_sets_valid_until(db, world):
    now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    signed = document(issue(db, world, now=now))
    assert (signed["validFrom"], signed["validUntil"]) == (
        "2026-03-02T15:30:00Z", "2028-03-02T15:30:00Z")


def test_stored_text_is_exactly_the_signed_credential(db, world):
    credential = issue(db, world)
    stored = db.get(Credential, credential.id)
    assert stored.signed_json == credential.signed_json
    assert document(stored)["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"


def test_short_id_uses_the_unambiguous_alphabet(db, world):
    short_id = issue(db, world).short_id
    assert len(short_id) == 9
    assert set(short_id) <= set(SHORT_ID_ALPHABET)
    assert not set(short_id) & set("01ILO")


def test_claim_token_is_returned_once_and_only_its_hash_is_stored(db, world):
    credential = issue(db, world)
    token = credential.claim_token
    assert credential.claim_token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert credential_for_claim_token(db, token).id == credential.id
    with unit_of_work(db):
        again = issue_for_assessment(db, credential.assessment_id, world.trainer)
    assert again.claim_token is None


def test_issuing_twice_returns_the_same_credential(db, world):
    first = issue(db, world)
    with unit_of_work(db):
        second = issue_for_assessment(db, first.assessment_id, world.trainer)
    assert second.id == first.id
    assert count(db, Credential) == 1
    assert count(db, StatusSlot) == 1


def test_rule_not_met_is_not_issuable_and_stores_nothing(db, world):
    assessment = evaluate(db, world, levels=ONE_NOT_YET)
    with pytest.raises(NotIssuable, match="not yet: Stake and water the tree"):
        with unit_of_work(db):
            issue_for_assessment(db, assessment.id, world.trainer)
    assert (count(db, Credential), count(db, StatusSlot)) == (0, 0)


def test_failure_after_slot_allocation_leaves_nothing_behind(db, world):
    assessment = evaluate(db, world)
    # The stored key cannot be decrypted any more: signing fails after the slot was taken.
    original = db.info["settings"]
    db.info["settings"] = original.with_changes(key_passphrase="not the passphrase")
    try:
        with pytest.raises(KeyFormatError):
            with unit_of_work(db):
                issue_for_assessment(db, assessment.id, world.trainer)
    finally:
        db.info["settings"] = original
    assert (count(db, Credential), count(db, StatusSlot)) == (0, 0)
    assert db.query(AuditEvent).filter_by(action="credential.issue").count() == 0
    with unit_of_work(db):
        credential = issue_for_assessment(db, assessment.id, world.trainer)
    assert verify_stored(db, credential).verdict == "valid"


def test_issuing_is_audited(db, world):
    credential = issue(db, world)
    event = db.query(AuditEvent).filter_by(action="credential.issue").one()
    assert (event.user_id, event.subject) == (world.trainer.id, credential.uuid)


def test_evaluation_with_an_unknown_gesture_is_refused(db, world):
    with pytest.raises(InvalidAssessment, match="tree-planting has no gesture 'prune'"):
        evaluate(db, world, levels={"prune": "acquired"})


def test_evaluation_with_an_unknown_level_is_refused(db, world):
    with pytest.raises(InvalidAssessment, match="gesture 'dig-hole' has no level 'expert'"):
        evaluate(db, world, levels={"dig-hole": "expert"})


def test_evaluation_is_saved_before_any_issuing(db, world):
    first = evaluate(db, world, levels=ONE_NOT_YET, comments={"": "À revoir"})
    second = evaluate(db, world, comments={"": "Acquis la semaine suivante"})
    assert second.id == first.id
    assert second.levels == {"dig-hole": "acquired", "stake-and-water": "acquired"}
    assert second.comments == {"": "Acquis la semaine suivante"}


def test_evaluation_cannot_change_once_issued(db, world):
    issue(db, world)
    with pytest.raises(AlreadyIssued):
        evaluate(db, world, levels=ONE_NOT_YET)


def test_trainer_of_another_organisation_cannot_evaluate_or_issue(db, world):
    from tests.helpers import make_organisation

    with unit_of_work(db):
        other = make_organisation(db, slug="barka", name="Barka", country="PL", language="pl")
        stranger = create_user(db, other, "trainer@barka.example.org", "Tomasz", "trainer",
                               "long enough password")
    with pytest.raises(PermissionDenied):
        save_assessment(db, world.session.id, world.learners[0].id, {}, {}, None, stranger)
    db.rollback()
    assessment = evaluate(db, world)
    with pytest.raises(PermissionDenied):
        issue_for_assessment(db, assessment.id, stranger)


def test_a_chunk_of_assessments_is_issued_together_each_with_its_own_slot_and_short_id(
        db, world):
    assessments = [evaluate(db, world, learner=create_learner(db, world.org, f"Learner {n}"))
                   for n in range(5)]
    already = issue(db, world)  # issued before: given back as it is, not issued again
    ids = [assessments[0].id, already.assessment_id, *(a.id for a in assessments[1:])]
    with unit_of_work(db):
        credentials = issue_for_assessments(db, ids, world.trainer)
    assert [c.assessment_id for c in credentials] == ids
    assert credentials[1].id == already.id and credentials[1].claim_token is None
    new = [credentials[0], *credentials[2:]]
    assert all(c.claim_token for c in new)
    assert len({(c.status_list_id, c.status_index) for c in credentials}) == 6
    assert len({c.short_id for c in credentials}) == 6
    assert count(db, Credential) == count(db, StatusSlot) == 6
    assert db.query(AuditEvent).filter_by(action="credential.issue").count() == 6
    assert {verify_stored(db, c).verdict for c in new} == {"valid"}


def test_a_chunk_with_one_assessment_not_issuable_issues_none(db, world):
    good = evaluate(db, world, learner=create_learner(db, world.org, "Ana"))
    bad = evaluate(db, world, learner=create_learner(db, world.org, "Bo"), levels=ONE_NOT_YET)
    with pytest.raises(NotIssuable):
        with unit_of_work(db):
            issue_for_assessments(db, [good.id, bad.id], world.trainer)
    assert (count(db, Credential), count(db, StatusSlot)) == (0, 0)
