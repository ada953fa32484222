"""Suspension on the web: the admin suspends and reinstates with a reason, the API does too, and
the employer's page says "suspended" (never "revoked") in six languages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from issuer.services import unit_of_work
from issuer.services.api_tokens import create_token
from issuer.services.suspension import suspend
from issuer.store.models import AuditEvent, Credential
from tests.helpers import issue, make_world, submit


def test_the_admin_suspends_then_reinstates_a_badge_with_a_reason(client, world, admin, db):
    credential = issue(db, world, world.learners[0])
    page = f"/admin/credentials/{credential.uuid}/suspend"
    assert submit(client, page, {"reason": "Évaluation en réexamen"}).status_code == 302
    db.expire_all()
    assert db.get(Credential, credential.id).suspension_reason == "Évaluation en réexamen"
    listing = client.get(f"/admin/credentials?q={credential.short_id}&lang=en")
    assert "Reinstate…" in listing.get_data(as_text=True)
    held = client.get(f"{page}?lang=en").get_data(as_text=True)
    assert "<h1>Reinstate a badge</h1>" in held and "Évaluation en réexamen" in held
    assert submit(client, page, {"reason": "The evaluation stands"}).status_code == 302
    db.expire_all()
    assert db.get(Credential, credential.id).suspended_at is None
    actions = list(db.scalars(select(AuditEvent.action).where(
        AuditEvent.subject == credential.uuid, AuditEvent.action.like("credential.%"))))
    assert "credential.suspend" in actions and "credential.reinstate" in actions


def test_a_suspension_needs_a_reason(client, world, admin, db):
    credential = issue(db, world, world.learners[0])
    response = submit(client, f"/admin/credentials/{credential.uuid}/suspend", {"reason": ""})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(Credential, credential.id).suspended_at is None


def test_another_organisations_admin_cannot_suspend(client, world, db, login):
    credential = issue(db, world, world.learners[0])
    other = make_world(db, slug="barka", learner_names=())
    login(other.admin)
    response = client.get(f"/admin/credentials/{credential.uuid}/suspend")
    assert response.status_code == 403


@pytest.mark.parametrize("language, title, words", [
    ("en", "Suspended", "The issuer has suspended this badge for now."),
    ("fr", "Suspendu", "suspendu ce badge pour le moment."),
    ("nl", "Opgeschort", None),
    ("es", "Suspendida", None),
    ("it", "Sospeso", None),
    ("pl", "Zawieszona", None),
])
def test_the_employers_page_says_suspended_not_revoked(client, world, db, language, title,
                                                       words):
    credential = issue(db, world, world.learners[0])
    with unit_of_work(db):
        suspend(db, credential, "Under review", world.admin)
    html = client.get(f"/v/{credential.short_id}?lang={language}").get_data(as_text=True)
    assert 'class="verdict suspended"' in html
    assert f'<h1 id="verdict-title">{title}</h1>' in html
    if words:
        assert words in html
    assert "Under review" not in html  # the reason is for the audit log only


def test_the_api_suspends_and_reinstates_and_reports_the_state(client, world, db):
    credential = issue(db, world, world.learners[0])
    with unit_of_work(db):
        _record, plain = create_token(db, world.org, "LMS")
    headers = {"Authorization": f"Bearer {plain}"}
    base = f"/api/v1/credentials/{credential.uuid}"
    response = client.post(f"{base}/suspend", json={"reason": "Under review"}, headers=headers)
    assert (response.status_code, response.json["status"]) == (200, "suspended")
    assert response.json["suspended_at"] is not None
    again = client.post(f"{base}/suspend", json={"reason": "Twice"}, headers=headers)
    assert again.status_code == 409
    report = client.get(f"/v/{credential.short_id}", headers={"Accept": "application/json"})
    assert report.json["verdict"] == "suspended"
    response = client.post(f"{base}/reinstate", json={"reason": "Done"}, headers=headers)
    assert (response.status_code, response.json["status"]) == (200, "valid")
    assert client.post(f"{base}/reinstate", json={}, headers=headers).status_code == 422


def test_the_api_cannot_suspend_another_organisations_badge(client, world, db):
    credential = issue(db, world, world.learners[0])
    other = make_world(db, slug="bsp", learner_names=())
    with unit_of_work(db):
        _record, plain = create_token(db, other.org, "Other LMS")
    response = client.post(f"/api/v1/credentials/{credential.uuid}/suspend",
                           json={"reason": "Not mine"},
                           headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403
