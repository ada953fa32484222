"""The Learner Credential Wallet's side of the VC-API exchange, played with a real holder key.

The wallet reads `protocols.vcapi` from the `https://lcw.app/request?request=` link, POSTs `{}`,
signs a DIDAuth presentation (Ed25519Signature2020, as LCW does) with the challenge and domain
it was given, POSTs it, and takes `verifiablePresentation.verifiableCredential[0]`.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from issuer.core.keys import ED25519, PrivateKey
from issuer.services import unit_of_work
from issuer.services.publishing import credential_by_uuid
from issuer.services.revocation import revoke
from issuer.services.verification import verify_stored
from issuer.store.models import Credential, utcnow
from issuer.store.wallet_models import WalletExchange
from tests.helpers import (
    CREDENTIALS_V1,
    CREDENTIALS_V2,
    count,
    presentation,
    sign_ed25519_2020,
    sign_eddsa_rdfc_2022,
)

BASE = "https://badges.example.org"
DOMAIN = "badges.example.org"


def _invitation(client, badge) -> dict:
    """The JSON the claim page's LCW link carries, decoded the way the wallet decodes it."""
    page = client.get(f"/claim/{badge.claim_token}/wallet").get_data(as_text=True)
    links = [html.unescape(link) for link in re.findall(r'href="([^"]+)"', page)]
    link = next(link for link in links if link.startswith("https://lcw.app/request?"))
    return json.loads(parse_qs(urlsplit(link).query)["request"][0])


@pytest.fixture
def exchange_path(client, badge):
    url = _invitation(client, badge)["protocols"]["vcapi"]
    assert url.startswith(f"{BASE}/wallet/exchanges/")
    return urlsplit(url).path


def _request(client, path) -> dict:
    response = client.post(path, json={})
    assert response.status_code == 200
    return response.get_json()["verifiablePresentationRequest"]


def _present(client, path, holder, sign=sign_ed25519_2020, challenge=None, domain=DOMAIN,
             tamper=None, context=CREDENTIALS_V1):
    request = _request(client, path)
    signed = sign(presentation(holder.public_key.did_key, context), holder,
                  challenge or request["challenge"], domain)
    if tamper:
        tamper(signed)
    return client.post(path, json={"verifiablePresentation": signed})


def _error(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_invitation_names_the_origin_and_the_exchange(client, badge):
    invitation = _invitation(client, badge)
    assert invitation["credentialRequestOrigin"] == BASE
    assert list(invitation["protocols"]) == ["vcapi"]


def test_interaction_url_answers_the_protocols_as_json(client, badge):
    page = client.get(f"/claim/{badge.claim_token}/wallet").get_data(as_text=True)
    inner = re.search(r'href="interaction:([^"]+)"', page).group(1)
    response = client.get(urlsplit(html.unescape(inner)).path + "?iuv=1",
                          headers={"Accept": "application/json"})
    protocols = response.get_json()["protocols"]
    assert protocols["vcapi"].startswith(f"{BASE}/wallet/exchanges/")


def test_empty_post_asks_for_did_authentication(client, exchange_path):
    request = _request(client, exchange_path)
    assert request["query"][0]["type"] == "DIDAuthentication"
    assert request["query"][0]["acceptedMethods"] == [{"method": "key"}]
    assert request["domain"] == DOMAIN
    assert len(request["challenge"]) >= 32
    assert request["interact"]["service"][0]["serviceEndpoint"] == BASE + exchange_path


def test_signed_presentation_gets_the_badge_bound_to_the_holder(client, db, badge, holder,
                                                                exchange_path):
    response = _present(client, exchange_path, holder)
    assert response.status_code == 200
    body = response.get_json()["verifiablePresentation"]
    credential = body["verifiableCredential"][0]
    assert body["type"] == ["VerifiablePresentation"]
    assert credential["credentialSubject"]["id"] == holder.public_key.did_key
    assert credential["id"] != json.loads(badge.signed_json)["id"]


def test_bound_badge_verifies_and_the_original_stays_valid(client, db, badge, holder,
                                                           exchange_path):
    credential = _present(client, exchange_path, holder).get_json()[
        "verifiablePresentation"]["verifiableCredential"][0]
    copy = credential_by_uuid(db, credential["id"].rsplit("/", 1)[1])
    original = db.get(Credential, badge.id)
    assert verify_stored(db, copy).verdict == "valid"
    assert verify_stored(db, original).verdict == "valid"
    assert copy.supersedes_id == badge.id


def test_eddsa_rdfc_2022_presentation_is_accepted(client, holder, exchange_path):
    response = _present(client, exchange_path, holder, sign=sign_eddsa_rdfc_2022,
                        context=CREDENTIALS_V2)
    assert response.status_code == 200


def test_wrong_challenge_is_refused(client, holder, exchange_path):
    response = _present(client, exchange_path, holder, challenge="not-the-challenge")
    assert _error(response) == (400, "invalid_presentation_challenge")


def test_wrong_domain_is_refused(client, holder, exchange_path):
    response = _present(client, exchange_path, holder, domain="evil.example")
    assert _error(response) == (400, "invalid_presentation_domain")


def test_tampered_presentation_is_refused(client, holder, exchange_path):
    def swap_holder(signed):
        signed["holder"] = PrivateKey.generate(ED25519).public_key.did_key

    response = _present(client, exchange_path, holder, tamper=swap_holder)
    assert _error(response) == (400, "invalid_presentation_signature")


def test_replayed_presentation_is_refused(client, db, holder, exchange_path):
    request = _request(client, exchange_path)
    signed = sign_ed25519_2020(presentation(holder.public_key.did_key), holder,
                               request["challenge"], DOMAIN)
    first = client.post(exchange_path, json={"verifiablePresentation": signed})
    replay = client.post(exchange_path, json={"verifiablePresentation": signed})
    assert first.status_code == 200
    assert _error(replay) == (409, "exchange_complete")
    assert count(db, Credential) == 2


def test_expired_exchange_is_refused(client, db, holder, exchange_path):
    with unit_of_work(db):
        db.execute(update(WalletExchange).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert _error(client.post(exchange_path, json={})) == (410, "exchange_expired")


def test_unknown_exchange_is_not_found(client):
    assert _error(client.post("/wallet/exchanges/nope", json={})) == (404, "unknown_exchange")


def test_body_that_is_not_json_is_refused(client, exchange_path):
    response = client.post(exchange_path, data="hello", content_type="text/plain")
    assert _error(response) == (400, "invalid_request")


def test_exchange_of_a_badge_revoked_meanwhile_is_refused(client, db, world, badge,
                                                         exchange_path):
    with unit_of_work(db):
        revoke(db, db.get(Credential, badge.id), "issued by mistake", world.admin)
    assert _error(client.post(exchange_path, json={})) == (410, "credential_unavailable")


def test_interaction_url_shows_people_a_page(client, exchange_path):
    interaction = exchange_path.replace("/exchanges/", "/interactions/") + "?iuv=1"
    response = client.get(interaction, headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.mimetype == "text/html"
    assert "https://lcw.app/request?request=" in html.unescape(response.get_data(as_text=True))
