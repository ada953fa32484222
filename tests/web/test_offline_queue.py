"""The phone's queue of evaluations as the server sees it: ids that make a replay harmless,
versions that reveal a save made on another phone, the trainer's choice, the installable app."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import select

from issuer.services import consent, unit_of_work
from issuer.services.consent import Consent
from issuer.services.issuing import save_assessment
from issuer.store.models import (
    Assessment,
    AuditEvent,
    Credential,
    EvaluationSubmission,
    EvidenceFile,
    Learner,
)
from tests.helpers import CONSENT_TICKED, count, csrf_token

DIG, STAKE = "dig-hole", "stake-and-water"
QUEUE = {"Accept": "application/json", "X-Sky-Queue": "background"}


@pytest.fixture
def trainer(client, world, login):
    login(world.trainer)
    return world.trainer


@pytest.fixture
def page(client, world, trainer, db):
    """The first learner's evaluation page (both learners are in the session)."""
    with unit_of_work(db):
        for learner in world.learners:
            save_assessment(db, world.session.id, learner.id, {}, {}, None, world.trainer)
    return f"/trainer/sessions/{world.session.id}/learners/{world.learners[0].id}"


def loaded(client, page) -> tuple[str, int]:
    """The CSRF token and the version of the evaluation form on `page`."""
    html = client.get(page).get_data(as_text=True)
    return csrf_token(html), int(re.search(r'name="version" value="(\d+)"', html).group(1))


def send(client, page, client_id, version, levels, action="save", headers=QUEUE, **extra):
    token = client.get("/trainer/offline/token").get_json()["csrf_token"]
    data = {"csrf_token": token, "client_id": client_id, "version": str(version),
            "action": action, **{f"level_{g}": level for g, level in levels.items()}, **extra}
    return client.post(page, data=data, headers=headers, content_type="multipart/form-data")


def assessment_of(db, world) -> Assessment:
    db.expire_all()
    return db.scalar(select(Assessment).where(Assessment.session_id == world.session.id,
                                              Assessment.learner_id == world.learners[0].id))


def test_a_replayed_evaluation_is_answered_and_saved_once(client, world, page, db):
    _token, version = loaded(client, page)
    first = send(client, page, "phone-a-0001", version, {DIG: "acquired"})
    again = send(client, page, "phone-a-0001", version, {DIG: "acquired"})
    assert first.status_code == again.status_code == 200
    assert first.get_json()["outcome"] == again.get_json()["outcome"] == "saved"
    assert assessment_of(db, world).version == version + 1
    assert count(db, EvaluationSubmission) == 1


def test_an_evaluation_loaded_before_another_phone_saved_is_a_conflict_kept_aside(
        client, world, page, db):
    _token, version = loaded(client, page)
    send(client, page, "phone-a-0001", version, {DIG: "acquired", STAKE: "acquired"})
    late = send(client, page, "phone-b-0001", version, {DIG: "not-yet", STAKE: "acquired"})
    assert late.status_code == 409
    answer = late.get_json()
    assert answer["outcome"] == "conflict"
    assert answer["next"] == f"{page}/conflicts"
    assert assessment_of(db, world).levels == {DIG: "acquired", STAKE: "acquired"}
    kept = db.scalar(select(EvaluationSubmission).where(
        EvaluationSubmission.client_id == "phone-b-0001"))
    assert (kept.outcome, kept.levels) == ("conflict", {DIG: "not-yet", STAKE: "acquired"})
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "evaluation.conflict")) \
        .detail["submission"] == "phone-b-0001"


def test_the_same_evaluation_from_two_phones_is_no_conflict(client, world, page, db):
    _token, version = loaded(client, page)
    send(client, page, "phone-a-0001", version, {DIG: "acquired"})
    same = send(client, page, "phone-b-0001", version, {DIG: "acquired"})
    assert same.get_json()["outcome"] == "saved"
    assert assessment_of(db, world).version == version + 1


def test_the_conflict_page_lists_both_versions_and_the_trainer_chooses_the_later(
        client, world, page, db):
    _token, version = loaded(client, page)
    send(client, page, "phone-a-0001", version, {DIG: "acquired"})
    send(client, page, "phone-b-0001", version, {DIG: "not-yet"})
    html = client.get(f"{page}/conflicts").get_data(as_text=True)
    assert html.count('name="keep"') == 2
    later = db.scalar(select(EvaluationSubmission).where(
        EvaluationSubmission.client_id == "phone-b-0001"))
    response = client.post(f"{page}/conflicts", data={"csrf_token": csrf_token(html),
                                                      "keep": str(later.id)})
    assert response.status_code == 302 and response.headers["Location"] == page
    assert assessment_of(db, world).levels == {DIG: "not-yet"}
    outcomes = dict(db.execute(select(EvaluationSubmission.client_id,
                                      EvaluationSubmission.outcome)).all())
    assert outcomes == {"phone-a-0001": "applied", "phone-b-0001": "chosen"}
    resolved = db.scalar(select(AuditEvent).where(
        AuditEvent.action == "evaluation.conflict_resolved"))
    assert resolved.detail["chosen"] == "phone-b-0001"
    assert client.get(f"{page}/conflicts").status_code == 302  # nothing left to choose


def test_keeping_the_standing_version_sets_the_other_aside(client, world, page, db):
    _token, version = loaded(client, page)
    send(client, page, "phone-a-0001", version, {DIG: "acquired"})
    send(client, page, "phone-b-0001", version, {DIG: "not-yet"})
    html = client.get(f"{page}/conflicts").get_data(as_text=True)
    client.post(f"{page}/conflicts", data={"csrf_token": csrf_token(html), "keep": "standing"})
    assert assessment_of(db, world).levels == {DIG: "acquired"}
    assert db.scalar(select(EvaluationSubmission.outcome).where(
        EvaluationSubmission.client_id == "phone-b-0001")) == "set-aside"


def test_a_queued_issue_issues_the_badge_and_its_replay_answers_the_same(
        client, world, page, db):
    _token, version = loaded(client, page)
    levels = {DIG: "acquired", STAKE: "acquired"}
    first = send(client, page, "phone-a-0002", version, levels, action="issue")
    again = send(client, page, "phone-a-0002", version, levels, action="issue")
    credential = db.scalar(select(Credential))
    assert first.get_json()["outcome"] == again.get_json()["outcome"] == "issued"
    assert first.get_json()["next"] == again.get_json()["next"] == \
        f"/trainer/credentials/{credential.uuid}"
    assert count(db, Credential) == 1


def test_a_different_evaluation_sent_after_the_badge_was_issued_waits_for_the_trainer(
        client, world, page, db):
    _token, version = loaded(client, page)
    send(client, page, "phone-a-0003", version, {DIG: "acquired", STAKE: "acquired"},
         action="issue")
    late = send(client, page, "phone-b-0003", version + 1, {DIG: "not-yet"})
    assert late.get_json()["outcome"] == "conflict"
    html = client.get(f"{page}/conflicts").get_data(as_text=True)
    assert 'name="keep"' not in html  # issued: revoke first


def test_an_evaluation_id_cannot_be_reused_for_another_learner(client, world, page, db):
    _token, version = loaded(client, page)
    send(client, page, "phone-a-0004", version, {DIG: "acquired"})
    other = f"/trainer/sessions/{world.session.id}/learners/{world.learners[1].id}"
    assert send(client, other, "phone-a-0004", 1, {DIG: "acquired"}).status_code == 400


@pytest.mark.parametrize("client_id, version", [("short", "1"), ("phone-a-0005", "x"),
                                                 ("phone a 0005 !", "1"),
                                                 ("phone-a-0005", "9" * 12)])
def test_a_malformed_id_or_version_is_refused(client, world, page, client_id, version):
    token = client.get("/trainer/offline/token").get_json()["csrf_token"]
    response = client.post(page, data={"csrf_token": token, "client_id": client_id,
                                       "version": version, "action": "save"}, headers=QUEUE)
    assert response.status_code == 400


def test_the_plain_form_carries_an_id_and_a_version_and_lands_where_it_did(
        client, world, page, db):
    token, version = loaded(client, page)
    response = client.post(page, data={"csrf_token": token, "client_id": "form-0001",
                                       "version": str(version), "action": "save",
                                       f"level_{DIG}": "acquired"})
    assert response.status_code == 302
    assert "/learners/" in response.headers["Location"] and \
        response.headers["Location"] != page  # straight on to the next learner
    assert assessment_of(db, world).levels == {DIG: "acquired"}


def test_the_queue_token_needs_a_signed_in_trainer(client, world):
    response = client.get("/trainer/offline/token")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_queue_token_is_fresh_and_never_cached(client, world, trainer):
    response = client.get("/trainer/offline/token")
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.get_json()["csrf_token"]) > 20


def test_the_service_worker_is_served_from_the_trainer_scope(client):
    response = client.get("/trainer/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b"addEventListener(\"fetch\"" in response.data


def test_the_manifest_installs_the_trainer_pages_with_their_icons(client):
    response = client.get("/trainer/manifest.webmanifest?lang=fr")
    manifest = json.loads(response.data)
    assert response.mimetype == "application/manifest+json"
    assert (manifest["scope"], manifest["start_url"], manifest["display"]) == (
        "/trainer/", "/trainer/", "standalone")
    assert manifest["lang"] == "fr"
    sizes = set()
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        sizes.add(icon["sizes"])
    assert sizes == {"192x192", "512x512"}


def test_trainer_pages_load_the_queue_script_from_the_app_and_no_inline_script(
        client, world, page):
    html = client.get(page).get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts == ['<script src="/static/trainer/offline.js" defer>']
    assert '<link rel="manifest" href="/trainer/manifest.webmanifest">' in html


def test_the_queue_speaks_the_readers_language_with_each_plural_form(client, world, page):
    html = client.get(f"{page}?lang=pl").get_data(as_text=True)
    texts = json.loads(re.search(r"data-texts='([^']+)'", html).group(1))
    assert texts["waiting"] == {"one": "{count} ocena czeka na wysłanie",
                                "few": "{count} oceny czekają na wysłanie",
                                "many": "{count} ocen czeka na wysłanie"}
    assert texts["kept"].endswith("Zostanie wysłana, gdy sieć wróci.")


def test_a_conflict_waiting_for_a_choice_is_shown_on_the_session_and_the_learner(
        client, world, page):
    _token, version = loaded(client, page)
    send(client, page, "phone-a-0006", version, {DIG: "acquired"})
    send(client, page, "phone-b-0006", version, {DIG: "not-yet"})
    choose_link = f'href="{page}/conflicts"'
    assert choose_link in client.get(f"/trainer/sessions/{world.session.id}").get_data(
        as_text=True)
    assert choose_link in client.get(page).get_data(as_text=True)
    other = f"/trainer/sessions/{world.session.id}/learners/{world.learners[1].id}"
    assert "/conflicts" not in client.get(other).get_data(as_text=True)


# --- a learner added on the phone (a walk-in), then evaluated -------------------------------


def add_walk_in(client, world, client_id, name="Wanda Wejście", **extra):
    token = client.get("/trainer/offline/token").get_json()["csrf_token"]
    data = {"csrf_token": token, "client_id": client_id, "name": name, "language": "pl",
            **CONSENT_TICKED, **extra}
    return client.post(f"/trainer/sessions/{world.session.id}/learners", data=data,
                       headers=QUEUE)


def test_a_learner_added_on_the_phone_is_created_once_however_often_sent(
        client, world, trainer, db):
    first = add_walk_in(client, world, "walk-in-0001")
    again = add_walk_in(client, world, "walk-in-0001")
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    learner = db.scalar(select(Learner).where(Learner.name == "Wanda Wejście"))
    assert first.get_json()["next"] == \
        f"/trainer/sessions/{world.session.id}/learners/{learner.id}"
    assert first.get_json()["outcome"] == "added"
    assert count(db, Learner, Learner.name == "Wanda Wejście") == 1
    assert consent.given(learner, consent.PHOTO)


def test_the_evaluation_of_a_walk_in_follows_the_learner_and_issues(client, world, trainer, db):
    added = add_walk_in(client, world, "walk-in-0002").get_json()
    sent = send(client, added["next"], "walk-in-0002-eval", added["version"],
                {DIG: "acquired", STAKE: "acquired"}, action="issue")
    assert sent.get_json()["outcome"] == "issued"
    assert count(db, Credential) == 1


def test_a_walk_in_without_a_name_is_refused_in_words(client, world, trainer, db):
    answer = add_walk_in(client, world, "walk-in-0003", name=" ")
    assert answer.status_code == 422
    assert answer.get_json()["outcome"] == "invalid"
    assert answer.get_json()["message"].startswith("Not sent: the new learner")


def test_the_walk_in_page_is_a_blank_evaluation_kept_for_offline(client, world, trainer):
    html = client.get(f"/trainer/sessions/{world.session.id}/learners/new").get_data(
        as_text=True)
    assert 'class="stack evaluation walk-in"' in html
    assert f'name="level_{DIG}"' in html
    session_page = client.get(f"/trainer/sessions/{world.session.id}").get_data(as_text=True)
    assert f'data-walk-in="/trainer/sessions/{world.session.id}/learners/new"' in session_page
    assert re.search(r'name="client_id" value="[0-9a-f-]{36}"', session_page)


# --- photos the server did not keep, from the queue -------------------------------------------


def a_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(out, format="JPEG")
    return out.getvalue()


def test_a_photo_refused_in_the_background_is_said_and_the_evaluation_goes_on(
        client, world, page, db):
    with unit_of_work(db):
        consent.record(db, world.learners[0], Consent(name=True), world.trainer)
    _token, version = loaded(client, page)
    sent = send(client, page, "phone-a-0007", version, {DIG: "acquired", STAKE: "acquired"},
                action="issue", **{f"photo_{DIG}": (io.BytesIO(a_jpeg()), "a.jpg")})
    answer = sent.get_json()
    assert answer["outcome"] == "issued"
    assert answer["photos"] == (f"{world.learners[0].name} did not agree to photos: the photo "
                                "was not kept. The evaluation was sent.")
    assert count(db, EvidenceFile) == 0


def test_a_file_that_is_not_a_photo_sent_in_the_background_is_named_and_the_rest_saved(
        client, world, page, db):
    _token, version = loaded(client, page)
    sent = send(client, page, "phone-a-0008", version, {DIG: "acquired"},
                **{f"photo_{DIG}": (io.BytesIO(b"%PDF-1.4 no photo"), "x.png")})
    answer = sent.get_json()
    assert answer["outcome"] == "saved"
    assert answer["photos"] == (f"The photo for {world.learners[0].name} was not kept: This "
                                "file is not a JPEG or PNG photo. The evaluation was sent.")
    assert assessment_of(db, world).levels == {DIG: "acquired"}


def test_a_refused_photo_sent_while_the_trainer_waits_still_shows_the_form(
        client, world, page, db):
    _token, version = loaded(client, page)
    sent = send(client, page, "phone-a-0009", version, {DIG: "acquired"},
                headers={"Accept": "application/json", "X-Sky-Queue": "foreground"},
                **{f"photo_{DIG}": (io.BytesIO(b"%PDF-1.4 no photo"), "x.png")})
    assert sent.status_code == 422 and sent.get_json()["outcome"] == "invalid"
