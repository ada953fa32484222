"""The trainer's pages driven as a browser would: sessions, quick-add, evaluate, save, issue."""

from __future__ import annotations

import hashlib
import io
import re
from urllib.parse import quote

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from issuer.services import unit_of_work
from issuer.services.issuing import credential_for_claim_token, save_assessment
from issuer.services.revocation import revoke
from issuer.store.models import Assessment, Credential, EvidenceFile, TrainingSession
from tests.helpers import count, csrf_token, make_world, submit
from tests.web.helpers import DIG, STAKE, enrol, evaluate


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


# --- sessions ----------------------------------------------------------------------------------


def test_session_list_shows_the_organisations_sessions(client, world, trainer):
    page = client.get("/trainer/").get_data(as_text=True)
    assert "Jardin partagé" in page
    assert f'href="/trainer/sessions/{world.session.id}"' in page


def test_trainer_creates_a_session_of_an_imported_micro_training(client, world, trainer, db):
    response = submit(client, "/trainer/sessions/new", {
        "template": world.template.id, "starts_on": "2026-04-01", "ends_on": "2026-04-02",
        "place": "Marseille", "language": "en", "title": ""})
    assert response.status_code == 302
    created = db.scalar(select(TrainingSession).where(TrainingSession.place == "Marseille"))
    assert response.headers["Location"] == f"/trainer/sessions/{created.id}"
    assert (created.organisation_id, created.trainer_id, created.language) == (
        world.org.id, world.trainer.id, "en")


def test_session_whose_last_day_is_before_its_first_is_refused(client, world, trainer):
    response = submit(client, "/trainer/sessions/new", {
        "template": world.template.id, "starts_on": "2026-04-02", "ends_on": "2026-04-01",
        "language": "en"})
    assert response.status_code == 200
    assert "The last day cannot be before the first day." in response.get_data(as_text=True)


def test_quick_add_with_just_a_name_enrols_the_learner_and_opens_the_evaluation(
        client, world, trainer, db):
    location = enrol(client, world, "Inès Moreau")
    assessment = db.scalar(select(Assessment).where(Assessment.session_id == world.session.id))
    assert location == f"/trainer/sessions/{world.session.id}/learners/{assessment.learner_id}"
    assert (assessment.learner.name, assessment.learner.email, assessment.levels) == (
        "Inès Moreau", None, {})
    assert assessment.learner.language == "fr"  # the session's language


def test_quick_add_refuses_an_invalid_email(client, world, trainer, db):
    session_page = f"/trainer/sessions/{world.session.id}"
    response = submit(client, session_page, {"name": "Inès", "email": "not-an-address"},
                      action=f"{session_page}/learners", follow_redirects=True)
    assert "This is not an e-mail address." in response.get_data(as_text=True)
    assert count(db, Assessment) == 0


def test_a_learner_from_an_earlier_session_can_join_this_one(client, world, trainer, db):
    zoe = world.learners[0]  # known to the organisation, not yet in the session
    response = submit(client, f"/trainer/sessions/{world.session.id}", {"learner": zoe.id},
                      action=f"/trainer/sessions/{world.session.id}/learners/known")
    assert response.headers["Location"] == (
        f"/trainer/sessions/{world.session.id}/learners/{zoe.id}")
    assert db.scalar(select(Assessment)).learner_id == zoe.id


def test_another_organisations_learner_is_not_offered_and_cannot_be_enrolled(
        client, world, trainer, db, other_org_session):
    stranger = other_org_session.learners[0]
    page = client.get(f"/trainer/sessions/{world.session.id}").get_data(as_text=True)
    assert "Jan Kowalski" not in page
    response = submit(client, f"/trainer/sessions/{world.session.id}", {"learner": stranger.id},
                      action=f"/trainer/sessions/{world.session.id}/learners/known",
                      follow_redirects=True)
    assert "Choose a learner from the list." in response.get_data(as_text=True)
    assert count(db, Assessment, Assessment.session_id == world.session.id) == 0


def test_evaluation_page_shows_each_gesture_with_what_to_observe_and_its_levels(
        client, world, trainer):
    page = client.get(enrol(client, world)).get_data(as_text=True)
    assert page.count("<fieldset") == 2
    assert '<legend lang="fr">Creuser le trou de plantation</legend>' in page
    assert "Le trou est deux fois plus large que la motte et aussi profond." in page
    assert re.search(r'type="radio" value="acquired"', page)
    assert "Pas encore acquis" in page and "Acquis" in page
    assert 'name="photo_dig-hole" type="file"' in page


# --- save and issue ----------------------------------------------------------------------------


def test_save_stores_the_evaluation_and_issues_nothing(client, world, trainer, db):
    page = enrol(client, world)
    response = evaluate(client, page, {DIG: "acquired", STAKE: "not-yet"}, action="save",
                        **{f"comment_{DIG}": "Très soigné"})
    assert response.status_code == 302
    db.expire_all()
    assessment = db.scalar(select(Assessment))
    assert assessment.levels == {DIG: "acquired", STAKE: "not-yet"}
    assert assessment.comments == {DIG: "Très soigné"}
    assert count(db, Credential) == 0


def test_save_names_the_learner_and_opens_the_next_one_to_evaluate(client, world, trainer):
    ana, bruno, chloe = (enrol(client, world, name) for name in ("Ana", "Bruno", "Chloé"))
    saved = evaluate(client, bruno, {DIG: "acquired"}, action="save")
    assert saved.headers["Location"] == chloe  # the next one down the list
    assert "Saved: Bruno." in client.get(chloe).get_data(as_text=True)
    evaluate(client, ana, {DIG: "acquired", STAKE: "acquired"})
    assert evaluate(client, chloe, {}, action="save").headers["Location"] == bruno  # round
    evaluate(client, bruno, {DIG: "acquired", STAKE: "acquired"})
    last = evaluate(client, chloe, {DIG: "acquired", STAKE: "acquired"}, action="save")
    assert last.headers["Location"] == f"/trainer/sessions/{world.session.id}"  # all done


def test_the_issued_page_names_the_badge_and_offers_the_next_learner(client, world, trainer):
    first, second = enrol(client, world, "Ana"), enrol(client, world, "Bruno")
    issued = evaluate(client, first, {DIG: "acquired", STAKE: "acquired"})
    page = client.get(issued.headers["Location"]).get_data(as_text=True)
    assert "Planter un jeune arbre" in page
    assert f'href="{second}">Next learner: Bruno' in page


def test_issue_signs_a_badge_and_links_to_its_verification_page(client, world, trainer, db):
    response = evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    credential = db.scalar(select(Credential))
    assert response.headers["Location"] == f"/trainer/credentials/{credential.uuid}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/v/{credential.short_id}"' in page
    assert f"https://badges.example.org/v/{credential.short_id}" in page
    assert client.get(f"/v/{credential.short_id}").status_code == 200


def test_resubmitting_issue_returns_the_same_credential(client, world, trainer, db):
    page = enrol(client, world)
    first = evaluate(client, page, {DIG: "acquired", STAKE: "acquired"})
    token = csrf_token(client.get("/trainer/").get_data(as_text=True))
    again = client.post(page, data={"csrf_token": token, f"level_{DIG}": "acquired",
                                    f"level_{STAKE}": "acquired", "action": "issue"})
    assert again.headers["Location"] == first.headers["Location"]
    assert count(db, Credential) == 1


def test_not_yet_learner_gets_no_badge_and_the_evaluation_is_kept(client, world, trainer, db):
    response = evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "not-yet"},
                        **{f"comment_{STAKE}": "Tuteur du mauvais côté"})
    page = response.get_data(as_text=True)
    assert "Not yet: Tuteurer et arroser l&#39;arbre. The evaluation is saved" in page
    assert count(db, Credential) == 0
    assessment = db.scalar(select(Assessment))
    assert assessment.levels == {DIG: "acquired", STAKE: "not-yet"}
    assert assessment.comments == {STAKE: "Tuteur du mauvais côté"}


def test_issuing_with_nothing_ticked_records_no_failure(client, world, trainer, db):
    response = evaluate(client, enrol(client, world), {})
    page = response.get_data(as_text=True)
    assert "not evaluated yet" in page and "Not yet:" not in page
    assert count(db, Credential) == 0
    assert db.scalar(select(Assessment)).levels == {}


def test_an_open_gesture_keeps_the_learner_to_evaluate(client, world, trainer):
    evaluate(client, enrol(client, world, "Ana"), {DIG: "acquired"}, action="save")
    page = client.get(f"/trainer/sessions/{world.session.id}").get_data(as_text=True)
    states = re.findall(r"<strong>(\w+)</strong>\s*<span class=\"state ([\w-]+)\"", page)
    assert states == [("Ana", "to-evaluate")]


def test_session_page_shows_where_each_learner_stands(client, world, trainer):
    evaluate(client, enrol(client, world, "Ana"), {DIG: "acquired", STAKE: "acquired"})
    evaluate(client, enrol(client, world, "Bruno"), {DIG: "not-yet"}, action="save")
    enrol(client, world, "Chloé")
    page = client.get(f"/trainer/sessions/{world.session.id}").get_data(as_text=True)
    states = re.findall(r"<strong>(\w+)</strong>\s*<span class=\"state ([\w-]+)\"", page)
    assert states == [("Ana", "issued"), ("Bruno", "not-yet"), ("Chloé", "to-evaluate")]


def test_photo_evidence_is_stored_as_a_clean_image(client, world, trainer, db):
    response = evaluate(client, enrol(client, world), {DIG: "acquired"}, action="save",
                        **{f"photo_{DIG}": (io.BytesIO(jpeg_with_exif()), "IMG 001.jpg")})
    assert response.status_code == 302
    evidence = db.scalar(select(EvidenceFile))
    assert (evidence.gesture_id, evidence.media_type, evidence.filename) == (
        DIG, "image/jpeg", "IMG_001.jpg")
    with Image.open(io.BytesIO(evidence.data)) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}


def test_a_file_that_is_not_a_photo_is_refused_but_the_levels_are_saved(
        client, world, trainer, db):
    response = evaluate(client, enrol(client, world), {DIG: "acquired"}, action="issue",
                        **{f"photo_{DIG}": (io.BytesIO(b"%PDF-1.4 not a photo"), "x.png")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'<ul class="field-errors" id="photo_dig-hole-errors">\s*'
                     r"<li>This file is not a JPEG or PNG photo.</li>", page)
    assert 'aria-describedby="photo_dig-hole-errors photo_dig-hole-hint"' in page
    assert db.scalar(select(Assessment)).levels == {DIG: "acquired"}
    assert count(db, EvidenceFile) == 0
    assert count(db, Credential) == 0


def test_a_photo_larger_than_5_mb_is_refused(client, world, trainer, db):
    big = io.BytesIO(b"\xff\xd8\xff" + bytes(5 * 1024 * 1024))
    response = evaluate(client, enrol(client, world), {DIG: "acquired"}, action="save",
                        **{f"photo_{DIG}": (big, "big.jpg")})
    assert "A photo may be at most 5 MB." in response.get_data(as_text=True)
    assert count(db, EvidenceFile) == 0


# --- cards -------------------------------------------------------------------------------------


def test_card_and_session_sheet_are_pdfs(client, world, trainer, db):
    evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    credential = db.scalar(select(Credential))
    card = client.get(f"/trainer/credentials/{credential.uuid}/card.pdf")
    sheet = client.get(f"/trainer/sessions/{world.session.id}/cards.pdf")
    assert (card.status_code, card.mimetype, card.data[:5]) == (200, "application/pdf", b"%PDF-")
    assert (sheet.status_code, sheet.mimetype, sheet.data[:5]) == (
        200, "application/pdf", b"%PDF-")


def _printed_claim_link(client, credential) -> str:
    page = f"/trainer/credentials/{credential.uuid}"
    response = submit(client, page, {}, action=f"{page}/card.pdf")
    assert (response.status_code, response.data[:5]) == (200, b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    back = pypdfium2.PdfDocument(response.data)[1].render(scale=300 / 72).to_pil()
    return zxingcpp.read_barcodes(back)[0].text


def test_a_reprinted_card_carries_the_claim_link_of_the_card_the_learner_holds(
        client, world, trainer, db):
    evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    credential = db.scalar(select(Credential))
    first = _printed_claim_link(client, credential)
    assert first.startswith("https://badges.example.org/claim/")
    assert _printed_claim_link(client, credential) == first  # the printer jammed
    token = first.rsplit("/", 1)[1]
    db.expire_all()
    assert credential_for_claim_token(db, token).id == credential.id
    assert client.get(f"/claim/{token}").status_code == 200


def test_the_claim_link_is_shown_on_demand_to_text_or_e_mail_and_matches_the_card(
        client, world, trainer, db):
    evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    credential = db.scalar(select(Credential))
    page = f"/trainer/credentials/{credential.uuid}"
    printed = _printed_claim_link(client, credential)
    assert printed not in client.get(page).get_data(as_text=True)  # not until asked
    shown = submit(client, page, {}, action=f"{page}/claim-link")
    assert shown.headers["Cache-Control"] == "no-store"
    html = shown.get_data(as_text=True)
    assert f'value="{printed}"' in html
    sms = re.search(r'href="(sms:\?&amp;body=[^"]+)"', html).group(1)
    assert quote(printed, safe="") in sms.replace("&amp;", "&")
    assert 'href="mailto:?subject=' in html


def test_a_revoked_badge_offers_no_claim_link_to_share(client, world, trainer, db):
    evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    credential = db.scalar(select(Credential))
    with unit_of_work(db):
        revoke(db, credential, "wrong person", world.admin)
    page = f"/trainer/credentials/{credential.uuid}"
    assert "claim-link" not in client.get(page).get_data(as_text=True)
    refused = submit(client, page, {}, action=f"{page}/claim-link", follow_redirects=True)
    assert "This badge can no longer be claimed." in refused.get_data(as_text=True)


def test_a_card_declared_lost_stops_opening_the_badge_and_the_next_print_has_a_new_link(
        client, world, trainer, db):
    evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    credential = db.scalar(select(Credential))
    lost = _printed_claim_link(client, credential).rsplit("/", 1)[1]
    page = f"/trainer/credentials/{credential.uuid}"
    assert submit(client, page, {}, action=f"{page}/card-lost").status_code == 302
    assert "The lost card&#39;s claim link no longer works." in client.get(page).get_data(
        as_text=True)
    assert client.get(f"/claim/{lost}").status_code == 404
    new = _printed_claim_link(client, credential).rsplit("/", 1)[1]
    assert new != lost
    assert client.get(f"/claim/{new}").status_code == 200


def test_a_link_printed_before_stable_links_keeps_working_after_a_reprint(
        client, world, trainer, db):
    evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    credential = db.scalar(select(Credential))
    old = "a-random-token-printed-by-an-earlier-version"
    with unit_of_work(db):
        credential.claim_token_sha256 = hashlib.sha256(old.encode()).hexdigest()
    new = _printed_claim_link(client, credential).rsplit("/", 1)[1]
    assert new != old
    assert client.get(f"/claim/{old}").status_code == 200
    assert client.get(f"/claim/{new}").status_code == 200


def test_the_session_sheet_prints_backs_with_the_claim_links_learners_already_hold(
        client, world, trainer, db):
    evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    credential = db.scalar(select(Credential))
    on_the_card = _printed_claim_link(client, credential)
    page = f"/trainer/sessions/{world.session.id}"
    response = submit(client, page, {"backs": "duplex"}, action=f"{page}/cards.pdf")
    assert (response.status_code, response.data[:5]) == (200, b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    fronts, backs = pypdfium2.PdfDocument(response.data)
    assert [r.text for r in zxingcpp.read_barcodes(backs.render(scale=200 / 72).to_pil())] == [
        on_the_card]
    assert [r.text for r in zxingcpp.read_barcodes(fronts.render(scale=200 / 72).to_pil())] == [
        f"https://badges.example.org/v/{credential.short_id}"]


def test_the_session_sheet_refuses_unknown_backs(client, world, trainer, db):
    evaluate(client, enrol(client, world), {DIG: "acquired", STAKE: "acquired"})
    page = f"/trainer/sessions/{world.session.id}"
    assert submit(client, page, {"backs": "both"}, action=f"{page}/cards.pdf").status_code == 400


# --- guards ------------------------------------------------------------------------------------


@pytest.fixture
def other_org_session(db):
    """A session (with an evaluated learner) of another organisation."""
    other = make_world(db, slug="barka", learner_names=("Jan Kowalski",))
    with unit_of_work(db):
        save_assessment(db, other.session.id, other.learners[0].id, {DIG: "acquired"}, {}, None,
                        other.trainer)
    return other


def test_trainer_of_another_organisation_gets_403_on_its_session(
        client, world, trainer, other_org_session):
    session_id = other_org_session.session.id
    learner_id = other_org_session.learners[0].id
    assert client.get(f"/trainer/sessions/{session_id}").status_code == 403
    assert client.get(f"/trainer/sessions/{session_id}/learners/{learner_id}").status_code == 403
    token = csrf_token(client.get("/trainer/").get_data(as_text=True))
    post = client.post(f"/trainer/sessions/{session_id}/learners/{learner_id}",
                       data={"csrf_token": token, f"level_{DIG}": "acquired",
                             f"level_{STAKE}": "acquired", "action": "issue"})
    assert post.status_code == 403
    add = client.post(f"/trainer/sessions/{session_id}/learners",
                      data={"csrf_token": token, "name": "Intruder"})
    assert add.status_code == 403


def test_other_organisations_sessions_are_not_listed(client, world, trainer, other_org_session):
    page = client.get("/trainer/").get_data(as_text=True)
    assert f"/trainer/sessions/{other_org_session.session.id}\"" not in page


def test_pages_need_a_log_in(client, world):
    response = client.get(f"/trainer/sessions/{world.session.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_a_post_without_csrf_token_is_refused(app, client, world, trainer, db):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/trainer/sessions/{world.session.id}/learners",
                           data={"name": "No Token"})
    assert response.status_code == 400
    assert count(db, Assessment) == 0


# --- one-click skill badges --------------------------------------------------------------------


@pytest.fixture
def pending_award(db, world):
    """Every part of the one-click skill `customer-service`, issued to the first learner."""
    from tests.helpers import COUNTER, award_of, import_sample_catalogue, issue_part

    templates = import_sample_catalogue(db)
    for part in COUNTER:
        issue_part(db, templates, world.trainer, world.learners[0], part)
    return award_of(db, world.learners[0], "customer-service")


def skill_badges(db) -> list[Credential]:
    db.expire_all()
    return list(db.scalars(select(Credential).where(Credential.kind == "skill")))


def test_trainer_sees_the_skill_badge_waiting_for_a_click(client, world, trainer, pending_award):
    page = client.get("/trainer/").get_data(as_text=True)
    section = re.search(r'<section aria-labelledby="pending">.*?</section>', page, re.S)
    assert section, "no skill badge is waiting on the trainer's page"
    assert world.learners[0].name in section.group(0)
    assert f'action="/trainer/awards/{pending_award.id}/confirm"' in section.group(0)


def test_one_click_issues_the_skill_badge_once(client, db, world, trainer, pending_award):
    action = f"/trainer/awards/{pending_award.id}/confirm"
    first = submit(client, "/trainer/", {}, action=action)
    [badge] = skill_badges(db)
    assert first.headers["Location"] == f"/trainer/credentials/{badge.uuid}"
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert f'href="/v/{badge.short_id}"' in page
    second = client.post(action, data={"csrf_token": csrf_token(page)})
    assert second.headers["Location"] == first.headers["Location"]
    assert [b.id for b in skill_badges(db)] == [badge.id]
    assert "Skill badges waiting" not in client.get("/trainer/").get_data(as_text=True)


def test_one_click_needs_the_csrf_token(client, db, world, trainer, pending_award):
    response = client.post(f"/trainer/awards/{pending_award.id}/confirm")
    assert response.status_code == 400
    assert skill_badges(db) == []


def test_trainer_of_another_organisation_cannot_confirm(client, db, world, login, pending_award):
    other = make_world(db, slug="barka", learner_names=())
    login(other.trainer)
    assert "Skill badges waiting" not in client.get("/trainer/").get_data(as_text=True)
    response = submit(client, "/trainer/", {},
                      action=f"/trainer/awards/{pending_award.id}/confirm")
    assert response.status_code == 403
    assert skill_badges(db) == []
