"""The admin's learner pages: a copy of a learner's data (a zip) and erasure at their request."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

import pytest
from sqlalchemy import select

from issuer.services import unit_of_work
from issuer.services.learners import create_learner
from issuer.services.revocation import revoke
from issuer.store.models import AuditEvent, Credential, EvidenceFile, Learner, Organisation
from tests.helpers import count, csrf_token, issue, make_world

PHOTO = b"\xff\xd8\xff evidence photo bytes"


@pytest.fixture
def learner(db, world):
    """The first learner, with an e-mail, two badges (one revoked), comments and a photo."""
    with unit_of_work(db):
        db.get(Learner, world.learners[0].id).email = "zoe@example.org"
    first = issue(db, world, world.learners[0], comments={"": "Gestes sûrs"},
                  narrative="Zoé a planté trois arbres.")
    with unit_of_work(db):
        db.add(EvidenceFile(uuid=str(uuid.uuid4()), assessment_id=first.assessment_id,
                            gesture_id="dig-hole", filename="trou.jpg", media_type="image/jpeg",
                            data=PHOTO, sha256=hashlib.sha256(PHOTO).hexdigest()))
        revoke(db, db.get(Credential, first.id), "Erreur de saisie", world.admin)
    return db.get(Learner, world.learners[0].id)


def read_zip(response) -> tuple[dict, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return json.loads(archive.read("data.json")), archive


def test_the_learners_page_finds_a_learner_by_e_mail(client, world, learner, login):
    login(world.admin)
    page = client.get("/admin/learners?q=ZOE@example").get_data(as_text=True)
    assert f'href="/admin/learners/{learner.id}"' in page
    assert "Łukasz" not in page


def test_the_learner_page_offers_the_copy_and_the_erasure(client, world, learner, login):
    login(world.admin)
    page = client.get(f"/admin/learners/{learner.id}").get_data(as_text=True)
    assert f"/admin/learners/{learner.id}/data.zip" in page
    assert f"/admin/learners/{learner.id}/erase" in page
    assert "zoe@example.org" in page


def test_the_copy_holds_everything_kept_about_the_learner(client, db, world, learner, login):
    issue(db, world, world.learners[1])  # another learner's badge stays out
    login(world.admin)
    response = client.get(f"/admin/learners/{learner.id}/data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    data, archive = read_zip(response)
    assert (data["learner"]["name"], data["learner"]["email"]) == ("Zoé Lefèvre",
                                                                    "zoe@example.org")
    [evaluation] = data["evaluations"]
    assert evaluation["comments"] == {"": "Gestes sûrs"}
    assert evaluation["narrative"] == "Zoé a planté trois arbres."
    [photo] = evaluation["evidence"]
    assert archive.read(photo["file"]) == PHOTO
    [badge] = data["credentials"]
    assert badge["revocation_reason"] == "Erreur de saisie"
    stored = db.scalar(select(Credential.signed_json).where(Credential.learner_id == learner.id))
    assert archive.read(badge["file"]).decode() == stored
    assert {"credential.issue", "credential.revoke"} <= {e["action"] for e in data["audit"]}
    assert "Łukasz" not in json.dumps(data, ensure_ascii=False)
    assert not any(name.endswith(("_sha256", "_hash")) for name in data["learner"])
    assert count(db, AuditEvent, AuditEvent.action == "learner.data_export") == 1


def test_another_organisations_admin_gets_404_everywhere(client, db, world, learner, login):
    other = make_world(db, slug="barka", learner_names=())
    login(other.admin)
    for page in ("", "/data.zip", "/erase"):
        assert client.get(f"/admin/learners/{learner.id}{page}").status_code == 404
    token = csrf_token(client.get("/admin/trainers").get_data(as_text=True))
    assert client.post(f"/admin/learners/{learner.id}/erase",
                       data={"csrf_token": token, "confirm": "y"}).status_code == 404
    assert "Zoé" not in client.get("/admin/learners").get_data(as_text=True)
    assert db.get(Learner, learner.id).erased_at is None


def test_the_confirmation_says_what_happens_to_the_badges(client, db, world, learner, login):
    login(world.admin)
    page = client.get(f"/admin/learners/{learner.id}/erase").get_data(as_text=True)
    assert "Their 0 valid badges are revoked." in page  # the only badge was revoked already
    assert "stays theirs" in page and "cannot be undone" in page


def test_erasure_needs_the_box_ticked(client, db, world, learner, login):
    login(world.admin)
    page = f"/admin/learners/{learner.id}/erase"
    token = csrf_token(client.get(page).get_data(as_text=True))
    assert client.post(page, data={"csrf_token": token}).status_code == 422
    db.expire_all()
    assert db.get(Learner, learner.id).erased_at is None


def test_erasure_from_the_admin_pages(client, db, world, login):
    badge = issue(db, world, world.learners[0])
    login(world.admin)
    page = f"/admin/learners/{world.learners[0].id}/erase"
    assert "Their 1 valid badge is revoked." in client.get(page).get_data(as_text=True)
    token = csrf_token(client.get(page).get_data(as_text=True))
    response = client.post(page, data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 302
    db.expire_all()
    erased = db.get(Learner, world.learners[0].id)
    assert (erased.name, erased.erased_at is not None) == ("erased", True)
    assert db.get(Credential, badge.id).revoked_at is not None
    assert client.get(f"/v/{badge.short_id}").status_code == 200
    assert "Zoé" not in client.get(f"/v/{badge.short_id}").get_data(as_text=True)
    assert client.get(f"/credentials/{badge.uuid}").status_code == 410


def test_the_retention_page_shows_the_defaults_and_saves_new_periods(client, db, world, login):
    login(world.admin)
    page = client.get("/admin/retention").get_data(as_text=True)
    assert 'value="12"' in page and 'value="24"' in page
    token = csrf_token(page)
    response = client.post("/admin/retention", data={
        "csrf_token": token, "evidence_retention_months": "6", "contact_retention_months": "36"})
    assert response.status_code == 302
    db.expire_all()
    org = db.get(Organisation, world.org.id)
    assert (org.evidence_retention_months, org.contact_retention_months) == (6, 36)


@pytest.mark.parametrize("months", ["0", "121", "twelve", ""])
def test_the_retention_page_refuses_a_period_out_of_range(client, db, world, login, months):
    login(world.admin)
    token = csrf_token(client.get("/admin/retention").get_data(as_text=True))
    response = client.post("/admin/retention", data={
        "csrf_token": token, "evidence_retention_months": months,
        "contact_retention_months": "24"})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(Organisation, world.org.id).evidence_retention_months == 12


def test_the_learners_page_pages_and_keeps_the_search(client, db, world, login):
    with unit_of_work(db):
        for number in range(26):
            create_learner(db, world.org, f"Inès Moreau {number:02d}")
    login(world.admin)
    first = client.get("/admin/learners?q=moreau").get_data(as_text=True)
    assert 'href="/admin/learners?page=2&amp;q=moreau"' in first
    second = client.get("/admin/learners?q=moreau&page=2").get_data(as_text=True)
    assert "Inès Moreau 00" in second and "Zoé" not in second
