"""Consent at enrolment: four answers, each with its date and recorder; what was not agreed to
is not done (name on the badge, claim e-mail, photos, statistics)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from issuer.services import consent, mail, stats, unit_of_work
from issuer.services.base import PermissionDenied, settings_of
from issuer.services.consent import Consent, ConsentError
from issuer.services.learner_record import clr_document
from issuer.services.learners import create_learner, erase_learner
from issuer.store.models import AuditEvent, EvidenceFile, Learner, LearnerConsent
from tests.helpers import SMTP_PASSWORD, document, evaluate, issue, partner

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 4, 1, 14, 0, tzinfo=UTC)


def _enrol(db, world, answers: Consent | None, email: str | None = "ana@example.org"):
    with unit_of_work(db):
        return create_learner(db, world.org, "Ana Gómez", email=email, language="es",
                              actor=world.trainer, answers=answers)


def test_each_answer_is_stored_with_its_date_and_the_account_that_recorded_it(db, world):
    learner = _enrol(db, world, None)
    with unit_of_work(db):
        changed = consent.record(db, learner, Consent(name=True, statistics=True),
                                 world.trainer, now=WHEN)
    rows = {row.purpose: row for row in db.scalars(
        select(LearnerConsent).where(LearnerConsent.learner_id == learner.id))}
    assert changed == ["name", "email", "photo", "statistics"]
    assert {purpose: row.given for purpose, row in rows.items()} == {
        "name": True, "email": False, "photo": False, "statistics": True}
    assert {row.recorded_at for row in rows.values()} == {WHEN}
    assert {row.recorded_by_id for row in rows.values()} == {world.trainer.id}


def test_a_changed_answer_is_recorded_again_and_audited_with_the_earlier_one(db, world):
    learner = _enrol(db, world, Consent(name=True))
    with unit_of_work(db):
        changed = consent.record(db, learner, Consent(name=True, email=True), world.admin,
                                 now=LATER)
    rows = consent.recorded(learner)
    assert changed == ["email"]
    assert (rows["email"].given, rows["email"].recorded_at, rows["email"].recorded_by_id) == (
        True, LATER, world.admin.id)
    assert rows["name"].recorded_by_id == world.trainer.id  # unchanged: still the first record
    events = db.scalars(select(AuditEvent).where(
        AuditEvent.action == "learner.consent", AuditEvent.subject == f"learner:{learner.id}")
        .order_by(AuditEvent.id)).all()
    assert [event.user_id for event in events] == [world.trainer.id, world.admin.id]
    assert events[-1].detail == {"answers": {"email": True}, "earlier": {"email": False}}


def test_no_answer_recorded_means_nothing_was_agreed(db, world):
    learner = _enrol(db, world, None)
    assert consent.answers_of(learner) == Consent()
    assert not any(consent.given(learner, purpose) for purpose in consent.PURPOSES)


def test_unknown_questions_and_non_boolean_answers_are_refused():
    with pytest.raises(ConsentError, match="unknown consent question"):
        Consent.of({"name": True, "marketing": True})
    with pytest.raises(ConsentError, match="true or false"):
        Consent.of({"name": "yes"})


def test_another_organisations_account_cannot_record_consent(db, world):
    other_trainer, _ = partner(db, "barka")
    learner = _enrol(db, world, None)
    with pytest.raises(PermissionDenied):
        consent.record(db, learner, Consent.everything(), other_trainer)


def test_without_name_consent_the_badge_carries_only_a_salted_hash_of_the_name(db, world):
    learner = _enrol(db, world, Consent(email=True, photo=True, statistics=True))
    credential = issue(db, world, learner)
    identifiers = document(credential)["credentialSubject"]["identifier"]
    name = next(i for i in identifiers if i["identityType"] == "name")
    assert name["hashed"] is True and name["salt"]
    assert "Ana" not in credential.signed_json
    assert [i for i in identifiers if not i["hashed"]] == []


def test_with_name_consent_the_badge_carries_the_name(db, world):
    credential = issue(db, world, _enrol(db, world, Consent(name=True)))
    identifiers = document(credential)["credentialSubject"]["identifier"]
    assert [i["identityHash"] for i in identifiers if not i["hashed"]] == ["Ana Gómez"]


def test_no_claim_email_without_email_consent_and_the_reason_says_what_to_do(
        db, world, smtp_server):
    controller, mailbox = smtp_server
    config = settings_of(db).with_changes(
        smtp_host="127.0.0.1", smtp_port=controller.port, smtp_from="badges@agfe.example.org",
        smtp_starttls=False, smtp_user="mailer", smtp_password=SMTP_PASSWORD)
    credential = issue(db, world, _enrol(db, world, Consent(name=True)))
    with pytest.raises(mail.MailError, match="did not agree to receive e-mail: hand over"):
        mail.email_claim_link(credential, credential.claim_token, config)
    assert mailbox.messages == []


def test_photos_are_published_only_with_photo_consent(db, world):
    shown = _enrol(db, world, Consent(name=True, photo=True), email="a@example.org")
    hidden = _enrol(db, world, Consent(name=True), email="b@example.org")
    documents = []
    for learner in (shown, hidden):
        assessment = evaluate(db, world, learner, evidence_public=True,
                              comments={"": "Bien"})
        with unit_of_work(db):
            db.add(EvidenceFile(uuid=f"00000000-0000-4000-8000-00000000000{learner.id}",
                                assessment_id=assessment.id, gesture_id=None,
                                filename="photo.jpg", media_type="image/jpeg", data=b"x",
                                sha256="0" * 64))
        documents.append(document(issue(db, world, learner, evidence_public=True,
                                        comments={"": "Bien"})))
    photos = [[e for e in doc.get("evidence", []) if e.get("genre") == "Photograph"]
              for doc in documents]
    assert [len(found) for found in photos] == [1, 0]


def test_learners_who_did_not_agree_are_left_out_of_the_statistics(db, world):
    issue(db, world, world.learners[0])  # agreed to everything (tests.helpers.make_world)
    issue(db, world, _enrol(db, world, Consent(name=True)))
    partner_row = stats.pilot_statistics(db).partner[0]
    assert (partner_row.assessed, partner_row.issued) == (1, 1)


def test_an_erased_learners_consent_cannot_be_recorded(db, world):
    learner = _enrol(db, world, Consent.everything())
    with unit_of_work(db):
        erase_learner(db, db.get(Learner, learner.id), world.admin)
    assert not consent.given(learner, consent.STATISTICS)
    with pytest.raises(ConsentError, match="erased"):
        consent.record(db, learner, Consent.everything(), world.admin)


def test_without_name_consent_the_learners_record_carries_no_name(db, world):
    learner = _enrol(db, world, Consent(email=True))
    issue(db, world, learner)
    with unit_of_work(db):
        record = clr_document(db, learner, world.admin)
    text = json.dumps(record, ensure_ascii=False)
    assert "Ana" not in text
    assert record["name"] == "Expediente"  # the learner's language, without the name
