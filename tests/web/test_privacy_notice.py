"""Each organisation's public privacy notice, built from its profile, and the links to it from
every page a learner reads and from the claim e-mail."""

from __future__ import annotations

import re

import pytest

from issuer.services import mail, retention, unit_of_work
from issuer.store.models import Organisation
from tests.helpers import LEARNERS_CODE, issue, smtp_overrides, submit

NOTICE = "/issuers/agfe/privacy"


@pytest.fixture
def overrides(overrides, request):
    if "smtp_server" in request.fixturenames:
        return {**overrides, **smtp_overrides(request.getfixturevalue("smtp_server")[0])}
    return overrides


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_notice_names_the_controller_its_address_and_the_privacy_contact(client, db, world):
    with unit_of_work(db):
        org = db.get(Organisation, world.org.id)
        org.street_address, org.postal_code, org.locality = "12 rue des Lilas", "69001", "Lyon"
        org.privacy_email = "dpo@agfe.example.org"
    response = client.get(NOTICE + "?lang=en")
    text = _text(response)
    assert response.status_code == 200
    assert "AGFE is the data controller." in text
    assert "12 rue des Lilas 69001 Lyon" in text and "France" in text
    assert "Ask your trainer, or write to dpo@agfe.example.org." in text
    assert "You can ask for a copy of your data, have it corrected or erased" in text
    assert "The statistics contain no names." in text


def test_without_a_privacy_contact_the_public_email_is_given(client, world):
    assert "write to contact@agfe.example.org." in _text(client.get(NOTICE + "?lang=en"))


def test_the_notice_is_in_the_readers_language(client, world):
    response = client.get(NOTICE, headers={"Accept-Language": "pl"})
    assert response.headers["Content-Language"] == "pl"
    assert "AGFE" in _text(response)
    assert "Informacja o prywatności" in _text(response)
    assert "Privacy notice" not in _text(response)


def test_an_unknown_organisation_has_no_notice(client, world):
    assert client.get("/issuers/nobody/privacy").status_code == 404


def test_the_badge_page_and_the_profile_page_link_to_the_notice(client, db, world, badge):
    page = client.get(f"/v/{badge.short_id}").get_data(as_text=True)
    assert f'href="{NOTICE}"' in page
    assert f'href="{NOTICE}"' in client.get("/issuers/agfe",
                                            headers={"Accept": "text/html"}).get_data(as_text=True)


def test_the_claim_pages_link_to_the_notice(client, db, world):
    credential = issue(db, world)
    door = client.get(f"/claim/{credential.claim_token}").get_data(as_text=True)
    assert f'href="{NOTICE}"' in door
    submit(client, f"/claim/{credential.claim_token}",
           {"code": LEARNERS_CODE, "again": LEARNERS_CODE},
           action=f"/claim/{credential.claim_token}/code")
    claim = client.get(f"/claim/{credential.claim_token}").get_data(as_text=True)
    assert "Get my badge" in claim or "wallet" in claim
    assert f'href="{NOTICE}"' in claim
    wallet = client.get(f"/claim/{credential.claim_token}/wallet").get_data(as_text=True)
    assert f'href="{NOTICE}"' in wallet


def test_the_claim_email_links_to_the_notice(db, world, smtp_server):
    with unit_of_work(db):
        world.learners[0].email = "zoe@example.org"
    credential = issue(db, world)
    mail.email_claim_link(credential, credential.claim_token)
    message = smtp_server[1].messages[0][2]
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"https://badges.example.org{NOTICE}" in plain
    assert f'href="https://badges.example.org{NOTICE}"' in html


def test_the_admin_sets_the_address_and_the_privacy_contact(client, db, world, login):
    login(world.admin)
    response = submit(client, "/admin/organisation", {
        "name": "AGFE", "country_code": "FR", "default_language": "fr",
        "street_address": "12 rue des Lilas", "postal_code": "69001",
        "privacy_email": "dpo@agfe.example.org"}, content_type="multipart/form-data")
    assert response.status_code == 302
    org = db.get(Organisation, world.org.id)
    db.refresh(org)
    assert (org.street_address, org.postal_code, org.privacy_email) == (
        "12 rue des Lilas", "69001", "dpo@agfe.example.org")
    bad = submit(client, "/admin/organisation", {
        "name": "AGFE", "country_code": "FR", "default_language": "fr",
        "privacy_email": "not an address"}, content_type="multipart/form-data")
    assert bad.status_code == 200 and "This is not an e-mail address." in bad.get_data(
        as_text=True)


def test_the_notice_states_the_standard_retention_periods_when_none_were_set(client, world):
    text = _text(client.get(NOTICE + "?lang=en"))
    assert "Photos of your work are deleted 12 months after they were taken." in text
    assert ("Your e-mail address is deleted 24 months after your last evaluation or badge."
            in text)
    assert "These are the standard periods: AGFE has not changed them." in text


def test_the_notice_states_the_periods_the_organisation_set_in_the_readers_language(
        client, db, world):
    with unit_of_work(db):
        retention.set_periods(db, db.get(Organisation, world.org.id), 1, 6, world.admin)
    text = _text(client.get(NOTICE + "?lang=en"))
    assert "Photos of your work are deleted 1 month after they were taken." in text
    assert "Your e-mail address is deleted 6 months after your last evaluation or badge." in text
    assert "AGFE has set these periods itself." in text
    french = _text(client.get(NOTICE + "?lang=fr"))
    assert "6 mois" in french and "Photos of your work" not in french


def test_the_notice_tells_learners_where_they_see_their_own_answers(client, world):
    assert "under “What you agreed to”: scan the QR code on the back of your card" in \
        _text(client.get(NOTICE + "?lang=en"))
