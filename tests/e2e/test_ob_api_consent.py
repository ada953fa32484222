"""A learner connects a host to their badges in a real Chromium (OB 3.0 API): the authorize
page, the link and code of their card, the consent page, and "Yes" leading back to the host
across the consent page's Content-Security-Policy; the pages have no WCAG violations, the host
redeems the code with PKCE, and the claim page lists the host with a button to disconnect it."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from issuer.services.claim_links import derive_token, token_digest
from issuer.store.db import normalise_url
from issuer.store.models import Credential
from tests.e2e.helpers import axe_violations, new_page

pytestmark = pytest.mark.browser

API = "/ims/ob/v3p0"
HOST = "https://backpack.example.net"
REDIRECT = f"{HOST}/callback"
SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
CODE = "4826"  # the learner's code, as the accessibility test chooses it


def _claim_token(service) -> str:
    """The claim link of a demo badge whose learner can still take it, as printed."""
    engine = create_engine(normalise_url(service.database_url))
    with Session(engine) as db:
        credentials = db.scalars(select(Credential).where(
            Credential.learner_id.is_not(None), Credential.revoked_at.is_(None),
            Credential.supersedes_id.is_(None)).order_by(Credential.id.desc())).all()
        tokens = [derive_token(c.uuid, c.claim_version, "e2e-secret-key") for c in credentials]
        token = next(t for t, c in zip(tokens, credentials, strict=True)
                     if token_digest(t) == c.claim_token_sha256)
    engine.dispose()
    return token


def _register(service) -> dict:
    response = requests.post(f"{service.base_url}{API}/register", timeout=10, json={
        "client_name": "Backpack", "client_uri": HOST, "logo_uri": f"{HOST}/logo.png",
        "tos_uri": f"{HOST}/tos", "policy_uri": f"{HOST}/privacy", "software_id": "backpack",
        "software_version": "1", "redirect_uris": [REDIRECT], "scope": SCOPE})
    assert response.status_code == 201
    return response.json()


def test_a_learner_connects_a_host_in_the_browser(browser, request, service):
    token = _claim_token(service)
    registered = _register(service)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({"response_type": "code", "client_id": registered["client_id"],
                       "redirect_uri": REDIRECT, "scope": SCOPE, "state": "xyz",
                       "code_challenge": challenge.rstrip(b"=").decode(),
                       "code_challenge_method": "S256"})
    page = new_page(browser, request, service, viewport={"width": 390, "height": 844})
    page.goto(f"/claim/{token}")
    if page.locator("#again").count():
        page.fill("#again", CODE)
    page.fill("#code", CODE)
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    problems = {}
    page.goto(f"{API}/authorize?{query}")
    assert "Backpack" in page.inner_text("main")
    problems["authorize"] = axe_violations(page)
    page.fill("#card", f"{service.base_url}/claim/{token}")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert urlsplit(page.url).path == f"/claim/{token}/connect"
    problems["consent"] = axe_violations(page)

    # The redirect to the host is followed by the browser (the CSP lets the form lead there);
    # the host's address resolves nowhere, so the request itself is what is kept.
    with page.expect_request(lambda sent: sent.url.startswith(REDIRECT)) as to_host:
        page.click("button[value=allow]")
    answer = parse_qs(urlsplit(to_host.value.url).query)
    assert answer["state"] == ["xyz"]
    pair = f"{registered['client_id']}:{registered['client_secret']}".encode()
    tokens = requests.post(f"{service.base_url}{API}/token", timeout=10, headers={
        "Authorization": "Basic " + base64.b64encode(pair).decode()}, data={
        "grant_type": "authorization_code", "code": answer["code"][0],
        "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert tokens.status_code == 200
    listed = requests.get(f"{service.base_url}{API}/credentials", timeout=10, headers={
        "Authorization": f"Bearer {tokens.json()['access_token']}"})
    assert listed.status_code == 200 and listed.json()["credential"]

    page.goto(f"/claim/{token}")
    assert page.locator("#hosts").count() == 1
    problems["claim with a host"] = axe_violations(page)
    assert not any(problems.values()), problems
