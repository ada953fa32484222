"""A revocation reason is kept in the audit log and shown publicly only when asked (DESIGN §7)."""

from __future__ import annotations

import json
import re

import pytest

from issuer.services import unit_of_work
from issuer.services.issuing import issue_for_assessment, save_assessment
from tests.helpers import submit

BOTH = {"dig-hole": "acquired", "stake-and-water": "acquired"}
PRIVATE = "Moved to Lyon, new address 12 rue des Lilas"


@pytest.fixture
def credential(db, world):
    with unit_of_work(db):
        assessment = save_assessment(db, world.session.id, world.learners[0].id, BOTH, {}, None,
                                     world.trainer)
        return issue_for_assessment(db, assessment.id, world.trainer)


def revoke_in_admin(client, credential, **extra):
    return submit(client, f"/admin/credentials/{credential.uuid}/revoke",
                  {"reason": PRIVATE, "confirm": "y", **extra})


def page(client, credential) -> str:
    return client.get(f"/v/{credential.short_id}").get_data(as_text=True)


def report(client, credential) -> dict:
    response = client.get(f"/v/{credential.short_id}", headers={"Accept": "application/json"})
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_revoke_form_keeps_the_reason_private_by_default(client, credential, admin):
    html = client.get(f"/admin/credentials/{credential.uuid}/revoke").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="public"[^>]*>', html).group(0)
    assert "checked" not in checkbox
    assert "Details (kept in the audit log" in html


def test_a_listed_reason_is_public_in_the_readers_language_and_the_details_stay_private(
        client, credential, admin):
    assert revoke_in_admin(client, credential, reason_code="wrong-person").status_code == 302
    french = client.get(f"/v/{credential.short_id}?lang=fr").get_data(as_text=True)
    assert "Délivré à la mauvaise personne" in french
    assert "rue des Lilas" not in french
    status = next(c for c in report(client, credential)["checks"] if c["name"] == "status")
    assert status["message"].endswith(": Issued to the wrong person")


def test_a_listed_reason_needs_no_details_but_other_does(client, credential, admin):
    other = submit(client, f"/admin/credentials/{credential.uuid}/revoke",
                   {"reason_code": "other", "confirm": "y"})
    assert other.status_code == 422
    assert "Say why the badge is withdrawn." in other.get_data(as_text=True)
    listed = submit(client, f"/admin/credentials/{credential.uuid}/revoke",
                    {"reason_code": "issued-in-error", "confirm": "y"})
    assert listed.status_code == 302
    assert "Issued by mistake" in client.get(f"/v/{credential.short_id}?lang=en").get_data(
        as_text=True)


def test_the_api_takes_a_listed_reason_and_refuses_an_unknown_one(client, credential, headers):
    url = f"/api/v1/credentials/{credential.uuid}/revoke"
    unknown = client.post(url, json={"reason": PRIVATE, "reason_code": "bored"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"][0]["field"] == "reason_code"
    listed = client.post(url, json={"reason": PRIVATE, "reason_code": "replaced"}, headers=headers)
    assert listed.get_json()["revocation_reason_code"] == "replaced"
    assert "Replaced by a corrected badge" in client.get(
        f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
    assert "rue des Lilas" not in page(client, credential)


def test_a_public_reason_is_on_the_verification_page_and_its_report(client, credential, admin):
    assert revoke_in_admin(client, credential, public="y").status_code == 302
    assert PRIVATE in page(client, credential)
    status = next(c for c in report(client, credential)["checks"] if c["name"] == "status")
    assert status["message"].endswith(f": {PRIVATE}")


def test_a_private_reason_is_neither_on_the_page_nor_in_the_report(client, credential, admin):
    assert revoke_in_admin(client, credential).status_code == 302
    assert "rue des Lilas" not in page(client, credential)
    data = report(client, credential)
    assert data["verdict"] == "revoked"
    assert "rue des Lilas" not in json.dumps(data)


def test_the_api_publishes_the_reason_when_asked(client, credential, headers):
    response = client.post(f"/api/v1/credentials/{credential.uuid}/revoke",
                           json={"reason": PRIVATE, "public": True}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["revocation_reason_public"] is True
    assert PRIVATE in page(client, credential)


def test_the_api_keeps_the_reason_private_by_default(client, credential, headers):
    response = client.post(f"/api/v1/credentials/{credential.uuid}/revoke",
                           json={"reason": PRIVATE}, headers=headers)
    assert response.get_json()["revocation_reason_public"] is False
    assert "rue des Lilas" not in page(client, credential)
    assert "rue des Lilas" not in json.dumps(report(client, credential))


def test_the_api_refuses_a_public_flag_that_is_not_a_boolean(client, credential, headers):
    response = client.post(f"/api/v1/credentials/{credential.uuid}/revoke",
                           json={"reason": PRIVATE, "public": "yes"}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"field": "public", "message": "must be a boolean"}]
