"""The claim link by e-mail, from the trainer's pages and the API, through a real SMTP server."""

from __future__ import annotations

import re

import pytest

from issuer.services import unit_of_work
from issuer.services.issuing import (
    credential_for_claim_token,
    issue_for_assessment,
    save_assessment,
)
from issuer.services.learners import create_learner
from tests.helpers import smtp_overrides

BOTH = {"dig-hole": "acquired", "stake-and-water": "acquired"}
BUTTON = "Send the claim link by e-mail"


@pytest.fixture
def overrides(overrides, request):
    """SMTP settings when the test asks for the loopback server (or an unreachable one)."""
    if "smtp_server" in request.fixturenames:
        return {**overrides, **smtp_overrides(request.getfixturevalue("smtp_server")[0])}
    if "unreachable_smtp" in request.fixturenames:
        return {**overrides, "SMTP_HOST": "127.0.0.1", "SMTP_STARTTLS": False,
                "SMTP_PORT": request.getfixturevalue("unreachable_smtp"),
                "SMTP_FROM": "badges@agfe.example.org"}
    return overrides


@pytest.fixture
def unreachable_smtp() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def issue(db, world, email: str | None = "zoe@example.org"):
    with unit_of_work(db):
        learner = create_learner(db, world.org, "Zoé Lefèvre", email=email, language="fr")
        assessment = save_assessment(db, world.session.id, learner.id, BOTH, {}, None,
                                     world.trainer)
        return issue_for_assessment(db, assessment.id, world.trainer)


def send(client, credential):
    page = f"/trainer/credentials/{credential.uuid}"
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(f"{page}/claim-email", data={"csrf_token": token}, follow_redirects=True)


def test_the_button_is_on_the_badge_page_and_the_learners_page(client, db, world, trainer,
                                                               smtp_server):
    credential = issue(db, world)
    learner_page = f"/trainer/sessions/{world.session.id}/learners/{credential.learner_id}"
    assert BUTTON in client.get(f"/trainer/credentials/{credential.uuid}").get_data(as_text=True)
    assert BUTTON in client.get(learner_page).get_data(as_text=True)


def test_no_button_for_a_learner_without_email(client, db, world, trainer, smtp_server):
    credential = issue(db, world, email=None)
    page = client.get(f"/trainer/credentials/{credential.uuid}").get_data(as_text=True)
    assert BUTTON not in page


def test_no_button_when_email_is_not_configured(client, db, world, trainer):
    credential = issue(db, world)
    page = client.get(f"/trainer/credentials/{credential.uuid}").get_data(as_text=True)
    assert BUTTON not in page


def test_the_learner_receives_the_claim_link_of_their_card_which_keeps_working(
        client, db, world, trainer, smtp_server):
    credential = issue(db, world)
    card_token = credential.claim_token
    response = send(client, credential)
    assert ("The claim link was sent to zoe@example.org. It is the same link as on the card."
            in response.get_data(as_text=True))
    _sender, recipients, message = smtp_server[1].messages[0]
    assert recipients == ["zoe@example.org"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert re.search(r"/claim/([A-Za-z0-9_-]+)", body).group(1) == card_token
    db.expire_all()
    assert credential_for_claim_token(db, card_token).id == credential.id


def test_a_failed_email_is_a_message_and_keeps_the_old_link(client, db, world, trainer,
                                                             unreachable_smtp):
    credential = issue(db, world)
    old_token = credential.claim_token
    response = send(client, credential)
    assert response.status_code == 200
    assert ("No e-mail was sent: the e-mail could not be sent (ConnectionRefusedError)."
            in response.get_data(as_text=True))
    db.expire_all()
    assert credential_for_claim_token(db, old_token).id == credential.id


# --- API --------------------------------------------------------------------------------------


def api_issue(client, headers, learner: dict):
    body = {"template_id": "tree-planting", "learner": learner, "results": BOTH,
            "send_claim_email": True}
    return client.post("/api/v1/credentials", json=body, headers=headers)


def test_the_api_emails_the_claim_link_it_returns(client, world, headers, smtp_server):
    response = api_issue(client, headers, {"name": "Inès Moreau", "email": "ines@example.org"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["claim_email"] == {"sent": True}
    message = smtp_server[1].messages[0][2]
    assert body["claim_token"] in message.get_body(preferencelist=("plain",)).get_content()


def test_the_api_refuses_to_email_a_learner_without_an_address(client, world, headers,
                                                               smtp_server):
    response = api_issue(client, headers, {"name": "Inès Moreau"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"field": "send_claim_email", "message": "the learner has no e-mail address"}]


def test_the_api_refuses_to_email_when_email_is_not_configured(client, world, headers):
    response = api_issue(client, headers, {"name": "Inès Moreau", "email": "ines@example.org"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "send_claim_email"
