"""Consent on the trainer's and admin's pages: asked at quick-add (every box empty), enforced on
the evaluation and badge pages, changed later by an admin."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from issuer.services import consent
from issuer.store.models import Assessment, AuditEvent, EvidenceFile, Learner
from tests.helpers import CONSENT_TICKED, count, partner, smtp_overrides, submit

DIG, STAKE = "dig-hole", "stake-and-water"


@pytest.fixture
def trainer(client, world, login):
    login(world.trainer)
    return world.trainer


def enrol(client, world, **fields) -> Learner:
    page = f"/trainer/sessions/{world.session.id}"
    response = submit(client, page, {"name": "Inès Moreau", **fields},
                      action=f"{page}/learners")
    assert response.status_code == 302
    learner_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return learner_id


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "green").save(out, format="JPEG")
    return out.getvalue()


def test_the_quick_add_form_asks_the_four_questions_with_every_box_empty(client, world,
                                                                         trainer):
    page = client.get(f"/trainer/sessions/{world.session.id}").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*name="consent_(\w+)"[^>]*>', page)
    assert boxes == ["name", "email", "photo", "statistics"]
    assert not re.search(r'<input[^>]*name="consent_\w+"[^>]*checked', page)
    assert "Tick a box only if the learner says yes." in page


def test_a_learner_added_without_ticking_has_agreed_to_nothing(client, db, world, trainer):
    learner = db.get(Learner, enrol(client, world, email="ines@example.org"))
    assert consent.answers_of(learner) == consent.Consent()
    assert {row.given for row in learner.consents} == {False}
    assert {row.recorded_by_id for row in learner.consents} == {world.trainer.id}


def test_the_ticked_answers_are_recorded_by_the_trainer(client, db, world, trainer):
    learner = db.get(Learner, enrol(client, world, consent_name="y", consent_statistics="y"))
    assert consent.answers_of(learner) == consent.Consent(name=True, statistics=True)


def test_without_photo_consent_the_page_offers_no_photo_and_refuses_one(client, db, world,
                                                                       trainer):
    learner_id = enrol(client, world, consent_name="y")
    page_path = f"/trainer/sessions/{world.session.id}/learners/{learner_id}"
    page = client.get(page_path).get_data(as_text=True)
    assert 'type="file"' not in page
    assert "No photo: the learner did not agree to photos." in page
    response = submit(client, page_path, {
        f"level_{DIG}": "acquired", "action": "save",
        f"photo_{DIG}": (io.BytesIO(photo()), "work.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "the learner did not agree to photos: no photo was kept" in response.get_data(
        as_text=True)
    assert count(db, EvidenceFile) == 0
    saved = db.scalar(select(Assessment).where(Assessment.learner_id == learner_id))
    assert saved.levels == {DIG: "acquired"}  # the evaluation itself is kept


def test_with_photo_consent_a_photo_is_kept(client, db, world, trainer):
    learner_id = enrol(client, world, **CONSENT_TICKED)
    response = submit(client, f"/trainer/sessions/{world.session.id}/learners/{learner_id}", {
        f"level_{DIG}": "acquired", "action": "save",
        f"photo_{DIG}": (io.BytesIO(photo()), "work.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert count(db, EvidenceFile) == 1


@pytest.fixture
def overrides(overrides, request):
    """SMTP settings when the test asks for the loopback server."""
    if "smtp_server" in request.fixturenames:
        return {**overrides, **smtp_overrides(request.getfixturevalue("smtp_server")[0])}
    return overrides


def _issue(client, world, learner_id):
    response = submit(client, f"/trainer/sessions/{world.session.id}/learners/{learner_id}",
                      {f"level_{DIG}": "acquired", f"level_{STAKE}": "acquired",
                       "action": "issue"}, content_type="multipart/form-data")
    assert response.status_code == 302
    return response.headers["Location"]


def test_without_email_consent_the_trainer_is_told_why_and_offered_card_or_text(
        client, db, world, trainer, smtp_server):
    learner_id = enrol(client, world, email="ines@example.org", consent_name="y")
    badge_page = client.get(_issue(client, world, learner_id)).get_data(as_text=True)
    assert "Send the claim link by e-mail" not in badge_page
    assert ("No e-mail: the learner did not agree to receive the link by e-mail. Give them "
            "the printed card, or send the link by text message.") in badge_page
    assert "Print the card (PDF)" in badge_page
    uuid = re.search(r"/trainer/credentials/([0-9a-f-]{36})/claim-link", badge_page).group(1)
    shared = submit(client, f"/trainer/credentials/{uuid}", {},
                    action=f"/trainer/credentials/{uuid}/claim-link").get_data(as_text=True)
    assert "Send by text message" in shared and "Write an e-mail" not in shared
    forced = submit(client, f"/trainer/credentials/{uuid}", {},
                    action=f"/trainer/credentials/{uuid}/claim-email", follow_redirects=True)
    assert "did not agree to receive e-mail" in forced.get_data(as_text=True)
    assert smtp_server[1].messages == []


def test_the_evaluation_page_says_what_the_learner_agreed_to(client, world, trainer):
    learner_id = enrol(client, world, consent_name="y", consent_photo="y")
    page = client.get(f"/trainer/sessions/{world.session.id}/learners/{learner_id}")
    text = re.sub(r"\s+", " ", page.get_data(as_text=True))
    assert "The learner agreed to: name on the badge, photos." in text
    assert "/consent" not in text  # a trainer does not change answers


def test_an_admin_changes_the_answers_and_the_change_is_recorded_and_audited(
        client, db, world, login):
    login(world.admin)
    learner_id = enrol(client, world, consent_name="y")
    page = f"/admin/learners/{learner_id}/consent"
    shown = client.get(page).get_data(as_text=True)
    assert "Théo Trainer" not in shown  # recorded by the admin, who enrolled here
    response = submit(client, page, {"consent_name": "y", "consent_email": "y"})
    assert response.status_code == 302
    learner = db.get(Learner, learner_id)
    db.refresh(learner)
    rows = consent.recorded(learner)
    assert (rows["email"].given, rows["email"].recorded_by_id) == (True, world.admin.id)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "learner.consent")
                       .order_by(AuditEvent.id.desc())).first()
    assert event.detail == {"answers": {"email": True}, "earlier": {"email": False}}
    assert "Ada Admin" in client.get(page).get_data(as_text=True)


def test_a_trainer_cannot_open_the_consent_page(client, world, trainer):
    assert client.get(f"/admin/learners/{world.learners[0].id}/consent").status_code == 403


def test_another_organisations_learner_consent_page_is_refused(client, db, world, login):
    _trainer, stranger = partner(db, "barka")
    login(world.admin)
    # Another organisation's learner does not exist for this admin (as every learner page).
    assert client.get(f"/admin/learners/{stranger.id}/consent").status_code == 404
