"""A host plays the OB 3.0 API end to end over real HTTP with an independent OAuth 2.0 client
(Authlib's requests client): discovery → registration → the learner's consent in their own
browser session → token with PKCE S256 and `state` → getCredentials → refresh → revocation.
Authlib checks our answers against the RFCs from its side (state, token response, Basic auth).
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from werkzeug.serving import make_server

from issuer.core import schema
from issuer.web import create_app
from tests.helpers import LEARNERS_CODE, free_port, issue

SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
HOST = "http://localhost:9"
REDIRECT = f"{HOST}/callback"


@pytest.fixture
def served(overrides, monkeypatch):
    """The service on a real loopback port, http allowed there for this test."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(overrides | {"PUBLIC_BASE_URL": base, "SKY_ALLOW_HTTP_LOOPBACK": True})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    app.extensions["sky_queue"].close()
    app.extensions["sky_engine"].dispose()


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _learner_says_yes(base: str, authorization_url: str, claim_token: str) -> str:
    """The learner's browser: their card's link and code, then "yes"; the host's callback."""
    browser = requests.Session()
    door = browser.get(f"{base}/claim/{claim_token}").text
    browser.post(f"{base}/claim/{claim_token}/code", data={
        "csrf_token": _form_token(door), "code": LEARNERS_CODE, "again": LEARNERS_CODE})
    page = browser.get(authorization_url)
    assert page.status_code == 200
    consent = browser.post(f"{base}/ims/ob/v3p0/authorize", data={
        "csrf_token": _form_token(page.text), "card": f"{base}/claim/{claim_token}"})
    assert urlsplit(consent.url).path == f"/claim/{claim_token}/connect"
    answer = browser.post(consent.url, data={"csrf_token": _form_token(consent.text),
                                             "answer": "allow"}, allow_redirects=False)
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_a_host_connects_fetches_and_refreshes_over_http_with_authlib(served, db, world):
    badge = issue(db, world)
    discovery = requests.get(f"{served}/ims/ob/v3p0/discovery", timeout=10).json()
    security = discovery["components"]["securitySchemes"]["OAuth2ACG"]
    flow = security["flows"]["authorizationCode"]
    registered = requests.post(security["x-imssf-registrationUrl"], timeout=10, json={
        "client_name": "Authlib host", "client_uri": HOST, "logo_uri": f"{HOST}/logo.png",
        "tos_uri": f"{HOST}/tos", "policy_uri": f"{HOST}/privacy", "software_id": "authlib",
        "software_version": "1", "redirect_uris": [REDIRECT],
        "scope": f"{SCOPE}credential.readonly {SCOPE}profile.readonly"}).json()

    host = OAuth2Session(registered["client_id"], registered["client_secret"],
                         scope=f"{SCOPE}credential.readonly", redirect_uri=REDIRECT,
                         code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic")
    verifier = "v" * 20 + "-" + "w" * 40
    url, state = host.create_authorization_url(flow["authorizationUrl"],
                                               code_verifier=verifier)
    callback = _learner_says_yes(served, url, badge.claim_token)
    token = host.fetch_token(flow["tokenUrl"], authorization_response=callback, state=state,
                             code_verifier=verifier)
    assert (token["token_type"], token["expires_in"]) == ("Bearer", 3600)

    listed = host.get(f"{served}/ims/ob/v3p0/credentials", timeout=10)
    assert listed.status_code == 200
    assert schema.errors(listed.json(), "getopenbadgecredentialsresponse") == []
    assert [c["id"].rsplit("/", 1)[-1] for c in listed.json()["credential"]] == [badge.uuid]
    assert listed.headers["X-Total-Count"] == "1"

    refreshed = host.refresh_token(flow["refreshUrl"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert host.get(f"{served}/ims/ob/v3p0/credentials", timeout=10).status_code == 200

    host.revoke_token(f"{served}/ims/ob/v3p0/revoke", refreshed["refresh_token"])
    refused = host.get(f"{served}/ims/ob/v3p0/credentials", timeout=10)
    assert refused.status_code == 401
    assert schema.errors(refused.json(), "imsx_statusinfo") == []
