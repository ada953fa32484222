"""The 1EdTech Open Badges 3.0 API, played from a host's side with the test client: discovery,
registration, the learner's consent from their claim link, PKCE, tokens, the four operations;
every answer checked against the bundled 1EdTech schemas, every error an imsx_StatusInfo."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from datetime import date
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from openapi_spec_validator import validate as validate_openapi

from issuer.core import schema
from issuer.services import unit_of_work
from issuer.services.issuing import issue_for_assessment, save_assessment
from issuer.services.learners import create_learner
from issuer.store.models import TrainingSession
from issuer.store.ob_api_models import OAuthClient, OAuthCode, OAuthToken
from tests.helpers import ALL_ACQUIRED, csrf_token, issue, make_world, open_claim

BASE = "https://badges.example.org"
API = "/ims/ob/v3p0"
SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
ALL_SCOPES = " ".join(SCOPE + s for s in ("credential.readonly", "credential.upsert",
                                          "profile.readonly", "profile.update"))
HOST = "https://backpack.example.net"
REDIRECT = f"{HOST}/callback"


def _metadata(**changes) -> dict:
    return {"client_name": "Backpack", "client_uri": HOST, "logo_uri": f"{HOST}/logo.png",
            "tos_uri": f"{HOST}/tos", "policy_uri": f"{HOST}/privacy",
            "software_id": "backpack", "software_version": "1.0", "redirect_uris": [REDIRECT],
            "scope": ALL_SCOPES} | changes


def _register(client, **changes) -> dict:
    response = client.post(f"{API}/register", json=_metadata(**changes))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _basic(registered: dict) -> dict:
    pair = f"{registered['client_id']}:{registered['client_secret']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def _authorize_query(registered, challenge, scope=ALL_SCOPES, state="s-1", **changes) -> str:
    return urlencode({"response_type": "code", "client_id": registered["client_id"],
                      "redirect_uri": REDIRECT, "scope": scope, "state": state,
                      "code_challenge": challenge, "code_challenge_method": "S256"} | changes)


def _consent(client, registered, claim_token, scope=ALL_SCOPES, answer="allow"):
    """The learner's path: the host's authorize link, their card's link, their answer."""
    verifier, challenge = _pkce()
    page = client.get(f"{API}/authorize?{_authorize_query(registered, challenge, scope)}")
    assert page.status_code == 200
    to_consent = client.post(f"{API}/authorize", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "card": f"{BASE}/claim/"
                                                                       f"{claim_token}"})
    consent_page = client.get(urlsplit(to_consent.headers["Location"]).path)
    assert consent_page.status_code == 200
    back = client.post(f"/claim/{claim_token}/connect", data={
        "csrf_token": csrf_token(consent_page.get_data(as_text=True)), "answer": answer})
    assert back.status_code == 302
    return parse_qs(urlsplit(back.headers["Location"]).query), verifier


def _tokens(client, registered, claim_token, scope=ALL_SCOPES) -> dict:
    answer, verifier = _consent(client, registered, claim_token, scope)
    response = client.post(f"{API}/token", headers=_basic(registered), data={
        "grant_type": "authorization_code", "code": answer["code"][0],
        "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _imsx(response, status: int, minor: str) -> None:
    assert response.status_code == status
    body = response.get_json()
    assert schema.errors(body, "imsx_statusinfo") == []
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == minor


def _another_badge(db, world, learner):
    """A badge of `learner` from another session of the world's training."""
    with unit_of_work(db):
        session = TrainingSession(organisation_id=world.org.id, template_pk=world.template.id,
                                  trainer_id=world.trainer.id, language="fr",
                                  starts_on=date(2026, 3, 9), ends_on=date(2026, 3, 9))
        db.add(session)
        db.flush()
        assessment = save_assessment(db, session.id, learner.id, ALL_ACQUIRED, {}, None,
                                     world.trainer)
    with unit_of_work(db):
        return issue_for_assessment(db, assessment.id, world.trainer)


@pytest.fixture
def host(client):
    return _register(client)


@pytest.fixture
def tokens(client, host, badge):
    return _tokens(client, host, badge.claim_token)


# --- discovery ------------------------------------------------------------------------------------


def test_discovery_is_an_openapi_document_with_this_services_oauth(client):
    response = client.get(f"{API}/discovery")
    document = response.get_json()
    validate_openapi(document)
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    flow = scheme["flows"]["authorizationCode"]
    assert scheme["x-imssf-registrationUrl"] == f"{BASE}{API}/register"
    assert (flow["authorizationUrl"], flow["tokenUrl"]) == (f"{BASE}{API}/authorize",
                                                            f"{BASE}{API}/token")
    assert set(flow["scopes"]) == set(ALL_SCOPES.split())
    assert document["servers"] == [{"url": f"{BASE}{API}", "description": "SKY Badges"}]
    assert document["info"]["x-imssf-privacyPolicyUrl"] == f"{BASE}{API}/policies#privacy"
    assert document["info"]["termsOfService"] == f"{BASE}{API}/policies#terms"
    assert "no-store" not in response.headers["Cache-Control"]
    again = client.get(f"{API}/discovery", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"{API}/policies").status_code == 200


# --- registration -------------------------------------------------------------------------------


def test_registration_returns_the_client_credentials_and_stores_only_a_digest(client, db):
    registered = _register(client)
    assert registered["token_endpoint_auth_method"] == "client_secret_basic"
    row = db.query(OAuthClient).filter_by(client_id=registered["client_id"]).one()
    assert row.client_secret_sha256 == hashlib.sha256(
        registered["client_secret"].encode()).hexdigest()


@pytest.mark.parametrize(("changes", "error"), [
    ({"redirect_uris": ["http://backpack.example.net/cb"]}, "invalid_redirect_uri"),
    ({"redirect_uris": []}, "invalid_redirect_uri"),
    ({"redirect_uris": [f"{REDIRECT}{n}" for n in range(6)]}, "invalid_redirect_uri"),
    ({"redirect_uris": [f"{REDIRECT}#x"]}, "invalid_redirect_uri"),
    ({"client_uri": "https://elsewhere.example.com"}, "invalid_client_metadata"),
    ({"client_name": "x" * 201}, "invalid_client_metadata"),
    ({"client_name": None}, "invalid_client_metadata"),
    ({"tos_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
    ({"redirect_uris": ["https://backpack.example.net;script-src/cb"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["https://me:pw@backpack.example.net/cb"]}, "invalid_redirect_uri"),
    ({"scope": SCOPE + "everything"}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata"),
    ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
])
def test_registration_refuses_bad_metadata(client, changes, error):
    response = client.post(f"{API}/register", json=_metadata(**changes))
    assert (response.status_code, response.get_json()["error"]) == (400, error)


def test_registration_is_rate_limited_per_address(client):
    answers = [client.post(f"{API}/register", json=_metadata()).status_code for _ in range(21)]
    assert answers[:20] == [201] * 20 and answers[20] == 429


# --- authorization ----------------------------------------------------------------------------


def test_the_authorize_page_asks_for_the_card_and_names_the_host(client, host):
    _verifier, challenge = _pkce()
    page = client.get(f"{API}/authorize?{_authorize_query(host, challenge)}",
                      headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Backpack" in page and HOST in page
    assert 'name="card"' in page


@pytest.mark.parametrize("changes", [{"code_challenge_method": "plain"}, {"state": ""},
                                     {"code_challenge": "short"}])
def test_an_authorization_request_without_pkce_s256_or_state_goes_back_with_an_error(
        client, host, changes):
    _verifier, challenge = _pkce()
    response = client.get(f"{API}/authorize?{_authorize_query(host, challenge, **changes)}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(REDIRECT)
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_request"]


def test_an_unregistered_redirect_uri_is_never_redirected_to(client, host):
    _verifier, challenge = _pkce()
    query = _authorize_query(host, challenge, redirect_uri="https://backpack.example.net/other")
    assert client.get(f"{API}/authorize?{query}").status_code == 400


def test_the_learner_says_no_and_the_host_gets_access_denied(client, host, badge):
    answer, _verifier = _consent(client, host, badge.claim_token, answer="deny")
    assert answer == {"error": ["access_denied"], "state": ["s-1"]}


def test_the_consent_page_needs_the_learners_code(client, app, host, badge):
    stranger = app.test_client()
    _verifier, challenge = _pkce()
    stranger.get(f"{API}/authorize?{_authorize_query(host, challenge)}")
    response = stranger.get(f"/claim/{badge.claim_token}/connect")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/claim/{badge.claim_token}"


def test_the_consent_page_is_in_the_learners_language(client, host, badge):
    _verifier, challenge = _pkce()
    client.get(f"{API}/authorize?{_authorize_query(host, challenge)}")
    page = client.get(f"/claim/{badge.claim_token}/connect?lang=es").get_data(as_text=True)
    assert "Backpack" in page and HOST in page
    assert "Ver tus insignias de este sitio." in page


# --- the token endpoint -----------------------------------------------------------------------


def test_the_code_is_stored_as_a_digest_and_works_once(client, db, host, badge):
    answer, verifier = _consent(client, host, badge.claim_token)
    code = answer["code"][0]
    assert db.query(OAuthCode).filter_by(
        code_sha256=hashlib.sha256(code.encode()).hexdigest()).one()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier}
    first = client.post(f"{API}/token", headers=_basic(host), data=form)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    again = client.post(f"{API}/token", headers=_basic(host), data=form)
    assert (again.status_code, again.get_json()["error"]) == (400, "invalid_grant")
    # The replay withdrew the grant: the token given first no longer opens anything.
    _imsx(client.get(f"{API}/credentials", headers=_bearer(first.get_json())), 401,
          "unauthorizedrequest")


def test_a_wrong_code_verifier_or_redirect_uri_is_refused(client, host, badge):
    answer, verifier = _consent(client, host, badge.claim_token)
    for changes in ({"code_verifier": secrets.token_urlsafe(48)},
                    {"redirect_uri": f"{HOST}/elsewhere"}):
        form = {"grant_type": "authorization_code", "code": answer["code"][0],
                "redirect_uri": REDIRECT, "code_verifier": verifier} | changes
        response = client.post(f"{API}/token", headers=_basic(host), data=form)
        assert response.get_json()["error"] == "invalid_grant"


def test_another_clients_secret_cannot_redeem_the_code(client, host, badge):
    other = _register(client, client_name="Other")
    answer, verifier = _consent(client, host, badge.claim_token)
    response = client.post(f"{API}/token", headers=_basic(other), data={
        "grant_type": "authorization_code", "code": answer["code"][0],
        "redirect_uri": REDIRECT, "code_verifier": verifier})
    assert response.get_json()["error"] == "invalid_grant"
    wrong = dict(host, client_secret="wrong")
    response = client.post(f"{API}/token", headers=_basic(wrong), data={"grant_type": "x"})
    assert (response.status_code, response.get_json()["error"]) == (401, "invalid_client")


def test_refresh_tokens_rotate_and_a_reused_one_withdraws_the_grant(client, db, host, tokens):
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    fresh = client.post(f"{API}/token", headers=_basic(host), data=form).get_json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert client.get(f"{API}/credentials", headers=_bearer(fresh)).status_code == 200
    stolen = client.post(f"{API}/token", headers=_basic(host), data=form)
    assert stolen.get_json()["error"] == "invalid_grant"
    _imsx(client.get(f"{API}/credentials", headers=_bearer(fresh)), 401, "unauthorizedrequest")
    assert db.query(OAuthToken).filter_by(
        token_sha256=hashlib.sha256(fresh["access_token"].encode()).hexdigest()).one()


def test_revocation_withdraws_the_grant(client, host, tokens):
    response = client.post(f"{API}/revoke", headers=_basic(host),
                           data={"token": tokens["refresh_token"]})
    assert response.status_code == 200
    _imsx(client.get(f"{API}/credentials", headers=_bearer(tokens)), 401, "unauthorizedrequest")


# --- the claim page: connected hosts ----------------------------------------------------------


def test_the_learner_sees_and_disconnects_a_host_on_the_claim_page(client, badge, tokens):
    page = client.get(f"/claim/{badge.claim_token}").get_data(as_text=True)
    assert "Backpack" in page
    action = re.search(r'action="([^"]*/disconnect[^"]*)"', page).group(1)
    response = client.post(action, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    _imsx(client.get(f"{API}/credentials", headers=_bearer(tokens)), 401, "unauthorizedrequest")
    assert "Backpack" not in client.get(f"/claim/{badge.claim_token}").get_data(as_text=True)


# --- getCredentials ---------------------------------------------------------------------------


def test_get_credentials_returns_the_learners_badge_valid_against_the_schema(client, badge,
                                                                               tokens):
    response = client.get(f"{API}/credentials", headers=_bearer(tokens))
    body = response.get_json()
    assert schema.errors(body, "getopenbadgecredentialsresponse") == []
    assert [c["id"] for c in body["credential"]] == [f"{BASE}/credentials/{badge.uuid}"]
    assert response.headers["X-Total-Count"] == "1"
    assert 'rel="first"' in response.headers["Link"] and 'rel="next"' not in response.headers[
        "Link"]


def test_get_credentials_pages_with_limit_offset_and_link_headers(client, db, world, badge,
                                                                  tokens):
    _another_badge(db, world, world.learners[0])
    _another_badge(db, world, world.learners[0])
    first = client.get(f"{API}/credentials?limit=2", headers=_bearer(tokens))
    assert first.headers["X-Total-Count"] == "3"
    assert len(first.get_json()["credential"]) == 2
    links = first.headers["Link"]
    assert f'<{BASE}{API}/credentials?limit=2&offset=2>; rel="next"' in links
    assert f'<{BASE}{API}/credentials?limit=2&offset=2>; rel="last"' in links
    second = client.get(f"{API}/credentials?limit=2&offset=2", headers=_bearer(tokens))
    assert len(second.get_json()["credential"]) == 1
    assert 'rel="prev"' in second.headers["Link"]
    later = client.get(f"{API}/credentials?since=2999-01-01T00:00:00Z", headers=_bearer(tokens))
    assert (later.get_json(), later.headers["X-Total-Count"]) == ({"credential": []}, "0")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=x",
                                   "since=yesterday", "since=2026-01-01T00:00:00"])
def test_bad_paging_parameters_are_an_imsx_400(client, tokens, query):
    _imsx(client.get(f"{API}/credentials?{query}", headers=_bearer(tokens)), 400,
          "invalid_query_parameter")


def test_a_token_reaches_only_its_own_learner_not_another_nor_another_organisation(
        client, app, db, world, host, tokens):
    other_learner_badge = issue(db, world, world.learners[1])
    other_world = make_world(db, slug="barka")
    other_org_badge = issue(db, other_world, other_world.learners[0])
    ids = {c["id"] for c in client.get(f"{API}/credentials?limit=100",
                                       headers=_bearer(tokens)).get_json()["credential"]}
    assert f"{BASE}/credentials/{other_learner_badge.uuid}" not in ids
    assert f"{BASE}/credentials/{other_org_badge.uuid}" not in ids
    # The other organisation's learner connects the same host: each token sees its own.
    theirs_client = app.test_client()
    open_claim(theirs_client, other_org_badge.claim_token)
    theirs = _tokens(theirs_client, host, other_org_badge.claim_token)
    got = client.get(f"{API}/credentials", headers=_bearer(theirs)).get_json()["credential"]
    assert [c["id"] for c in got] == [f"{BASE}/credentials/{other_org_badge.uuid}"]


def test_a_token_without_the_scope_is_forbidden(client, host, badge):
    tokens = _tokens(client, host, badge.claim_token, scope=SCOPE + "profile.readonly")
    _imsx(client.get(f"{API}/credentials", headers=_bearer(tokens)), 403, "forbidden")
    assert client.get(f"{API}/profile", headers=_bearer(tokens)).status_code == 200


def test_unknown_paths_and_methods_under_the_api_are_imsx(client):
    _imsx(client.get(f"{API}/nothing"), 404, "not_found")
    _imsx(client.delete(f"{API}/credentials"), 405, "not_allowed")
    _imsx(client.get(f"{API}/credentials", headers={"Authorization": "Bearer nope"}), 401,
          "unauthorizedrequest")


# --- upsertCredential -------------------------------------------------------------------------


def _with_email(db, learner, email):
    with unit_of_work(db):
        db.merge(learner).email = email


def test_upsert_of_the_learners_own_badge_is_already_held(client, badge, tokens):
    document = client.get(f"{API}/credentials", headers=_bearer(tokens)).get_json()[
        "credential"][0]
    response = client.post(f"{API}/credentials", headers=_bearer(tokens), json=document)
    assert (response.status_code, response.get_json()) == (200, document)


def test_upsert_keeps_a_verified_credential_about_this_learner(client, db, world, tokens):
    learner = world.learners[0]
    other_world = make_world(db, slug="barka", learner_names=())
    with unit_of_work(db):
        twin = create_learner(db, other_world.org, "Zoé Lefèvre", email="zoe@example.org")
    _with_email(db, learner, "zoe@example.org")
    elsewhere = issue(db, other_world, twin)  # another issuer's badge naming her e-mail
    document = json.loads(elsewhere.signed_json)
    response = client.post(f"{API}/credentials", headers=_bearer(tokens), json=document)
    assert response.status_code == 201, response.get_json()
    again = client.post(f"{API}/credentials", headers=_bearer(tokens), json=document)
    assert again.status_code == 200
    listed = client.get(f"{API}/credentials", headers=_bearer(tokens))
    assert listed.headers["X-Total-Count"] == "2"
    assert schema.errors(listed.get_json(), "getopenbadgecredentialsresponse") == []


def test_upsert_refuses_a_credential_about_someone_else(client, db, world, tokens):
    _with_email(db, world.learners[0], "zoe@example.org")
    _with_email(db, world.learners[1], "lukasz@example.org")
    someone_else = issue(db, world, world.learners[1])
    _imsx(client.post(f"{API}/credentials", headers=_bearer(tokens),
                      json=json.loads(someone_else.signed_json)), 403, "forbidden")


def test_upsert_refuses_a_tampered_or_malformed_credential(client, db, world, tokens):
    _with_email(db, world.learners[0], "zoe@example.org")
    mine = json.loads(_another_badge(db, world, world.learners[0]).signed_json)
    mine["id"] = "urn:uuid:9f0c4a4e-0000-4000-8000-000000000000"  # no longer what was signed
    _imsx(client.post(f"{API}/credentials", headers=_bearer(tokens), json=mine), 422,
          "invalid_data")
    _imsx(client.post(f"{API}/credentials", headers=_bearer(tokens), json={"a": 1}), 400,
          "invalid_data")
    _imsx(client.post(f"{API}/credentials", headers=_bearer(tokens), data="x" * 70000,
                      content_type="application/json"), 413, "invalid_data")


# --- profile ------------------------------------------------------------------------------------


def test_get_profile_has_a_per_host_id_and_the_name_the_learner_agreed_to(client, host, tokens):
    profile = client.get(f"{API}/profile", headers=_bearer(tokens)).get_json()
    assert schema.errors(profile, "profile") == []
    assert profile["name"] == "Zoé Lefèvre"
    assert profile["id"].startswith("urn:uuid:")
    assert "email" not in profile


def test_put_profile_changes_the_name_only(client, db, world, tokens):
    profile = client.get(f"{API}/profile", headers=_bearer(tokens)).get_json()
    changed = dict(profile, name="Zoé Martin", email="not@kept.example")
    response = client.put(f"{API}/profile", headers=_bearer(tokens), json=changed)
    assert response.status_code == 200
    assert response.get_json() == dict(profile, name="Zoé Martin")
    _imsx(client.put(f"{API}/profile", headers=_bearer(tokens),
                     json=dict(profile, id="urn:uuid:00000000-0000-4000-8000-000000000000")),
          400, "invalid_data")


def test_erasing_the_learner_withdraws_every_host_and_what_hosts_sent(client, db, world,
                                                                      tokens):
    from issuer.services.learners import erase_learner
    from issuer.store.ob_api_models import OAuthGrant

    with unit_of_work(db):
        erase_learner(db, db.merge(world.learners[0]), db.merge(world.admin))
    _imsx(client.get(f"{API}/credentials", headers=_bearer(tokens)), 401, "unauthorizedrequest")
    assert all(g.revoked_at is not None for g in db.query(OAuthGrant).all())


def test_get_profile_leaves_the_name_out_when_the_learner_did_not_agree(client, db, world,
                                                                        tokens):
    from issuer.services import consent

    with unit_of_work(db):
        learner = db.merge(world.learners[0])
        consent.record(db, learner, consent.Consent(), world.admin)
    profile = client.get(f"{API}/profile", headers=_bearer(tokens)).get_json()
    assert "name" not in profile
    assert schema.errors(profile, "profile") == []


def test_the_profile_id_differs_between_hosts(client, host, badge, tokens):
    other = _register(client, client_name="Other")
    theirs = _tokens(client, other, badge.claim_token)
    ids = {client.get(f"{API}/profile", headers=_bearer(t)).get_json()["id"]
           for t in (tokens, theirs)}
    assert len(ids) == 2


def test_upsert_takes_json_or_a_vc_jwt_and_needs_the_upsert_scope(client, host, badge,
                                                                  tokens):
    _imsx(client.post(f"{API}/credentials", headers=_bearer(tokens), data="a.b.c",
                      content_type="text/plain"), 400, "invalid_data")
    _imsx(client.post(f"{API}/credentials", headers=_bearer(tokens), data="<x/>",
                      content_type="application/xml"), 415, "invalid_data")
    readonly = _tokens(client, host, badge.claim_token, scope=SCOPE + "credential.readonly")
    _imsx(client.post(f"{API}/credentials", headers=_bearer(readonly), json={}), 403,
          "forbidden")


def test_an_expired_access_token_is_refused(client, db, tokens):
    from sqlalchemy import update

    from issuer.store.models import utcnow

    with unit_of_work(db):
        db.execute(update(OAuthToken).values(expires_at=utcnow()))
    _imsx(client.get(f"{API}/credentials", headers=_bearer(tokens)), 401, "unauthorizedrequest")


def test_upsert_keeps_a_vc_jwt_and_lists_it_as_a_compact_jws(client, db, world, tokens):
    from issuer.core.jwt import sign_jwt
    from issuer.services.claims import bind_to_holder, unsigned_document
    from issuer.services.keys import active_key, jwt_kid

    did = "did:example:zoe-wallet"  # the VC-JWT names her by the DID of her wallet
    other_world = make_world(db, slug="barka", learner_names=())
    with unit_of_work(db):
        twin = create_learner(db, other_world.org, "Zoé Lefèvre")
        db.merge(world.learners[0]).wallet_did = did
    elsewhere = issue(db, other_world, twin)
    with unit_of_work(db):
        copy = bind_to_holder(db, db.merge(elsewhere), did)
        org = db.merge(other_world.org)
        key_record, key = active_key(db, org)
        jws = sign_jwt(unsigned_document(copy), key, kid=jwt_kid(org, key_record))
    response = client.post(f"{API}/credentials", headers=_bearer(tokens), data=jws,
                           content_type="text/plain")
    assert (response.status_code, response.get_data(as_text=True)) == (201, jws)
    listed = client.get(f"{API}/credentials", headers=_bearer(tokens)).get_json()
    assert listed["compactJwsString"] == [jws]
    assert schema.errors(listed, "getopenbadgecredentialsresponse") == []
