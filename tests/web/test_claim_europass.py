"""The claim page's "For Europass" downloads: this badge, or all the learner's, as ELM files."""

from __future__ import annotations

import json

import pytest

from issuer.services import unit_of_work
from issuer.services.revocation import revoke
from tests.helpers import elm_violations

ISSUER = "did:web:badges.example.org:issuers:agfe"


@pytest.mark.parametrize(("language", "offer", "unsealed"), [
    ("en", "For Europass: this badge", "not sealed with an electronic seal"),
    ("fr", "Pour Europass\u00a0: ce badge", "scellé"),
    ("pl", "Do Europass: ta odznaka", "pieczęcią"),
])
def test_the_claim_page_offers_the_europass_files_and_says_they_are_unsealed(
        client, badge, language, offer, unsealed):
    page = client.get(f"/claim/{badge.claim_token}?lang={language}").get_data(as_text=True)
    assert offer in page and unsealed in page
    assert f"/claim/{badge.claim_token}/europass.jsonld" in page
    assert f"/claim/{badge.claim_token}/record-europass.jsonld" in page


@pytest.mark.parametrize("suffix", ["/europass.jsonld", "/record-europass.jsonld"])
def test_each_download_is_an_elm_credential_that_only_lacks_the_seal(client, badge, suffix):
    response = client.get(f"/claim/{badge.claim_token}{suffix}?lang=es")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.get_data(as_text=True))
    assert document["displayParameter"]["primaryLanguage"]["id"].endswith("/language/SPA")
    assert elm_violations(document) == {(ISSUER, "eidasLegalIdentifier"),
                                        (document["id"], "issuer")}


def test_only_the_learner_with_the_code_downloads(app, badge):
    stranger = app.test_client()  # the link without the learner's code: the door
    response = stranger.get(f"/claim/{badge.claim_token}/europass.jsonld")
    assert response.status_code == 302 and response.location.endswith(
        f"/claim/{badge.claim_token}")
    assert app.test_client().get("/claim/not-a-token/europass.jsonld").status_code == 404


def test_a_withdrawn_badge_is_no_longer_offered_for_europass(client, db, world, badge):
    with unit_of_work(db):
        revoke(db, badge, "issued by mistake", world.admin)
    page = client.get(f"/claim/{badge.claim_token}?lang=en").get_data(as_text=True)
    assert "For Europass: this badge" not in page
    assert client.get(f"/claim/{badge.claim_token}/europass.jsonld").status_code == 410
    # No valid badge left for the record either.
    assert client.get(f"/claim/{badge.claim_token}/record-europass.jsonld").status_code == 404
