"""A change of domain (PUBLIC_BASE_URL moves, SKY_FORMER_BASE_URLS names the old address):
badges issued on the old host keep verifying, its printed cards' pages redirect."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from issuer.config import Settings
from issuer.core import sd_jwt
from issuer.core.keys import P256, PrivateKey
from issuer.core.multibase import unb64url
from issuer.services import sd_jwt_vc, unit_of_work
from issuer.services.claims import bind_to_holder
from issuer.services.key_withdrawal import resign_batch, withdraw_key
from issuer.services.verification import verify_stored
from issuer.store.db import make_engine, make_sessionmaker
from issuer.store.models import Credential, Organisation
from tests.helpers import BASE_URL, document, independently_verified, issue

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NEW = "https://sky.example.net"
OLD_DID = "did:web:badges.example.org:issuers:agfe"


@pytest.fixture
def moved(overrides):
    """The same deployment, moved to NEW, still answering for its former address."""
    from issuer.web import create_app

    app = create_app({**overrides, "PUBLIC_BASE_URL": NEW, "SKY_FORMER_BASE_URLS": BASE_URL})
    yield app
    app.extensions["sky_queue"].close()
    app.extensions["sky_engine"].dispose()


@pytest.fixture
def moved_db(overrides):
    settings = Settings.from_env({**overrides, "PUBLIC_BASE_URL": NEW,
                                  "SKY_FORMER_BASE_URLS": f" {BASE_URL}/ , "})
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, settings)() as session:
        yield session
    engine.dispose()


def test_the_old_host_still_serves_its_did_document_and_status_list(db, world, moved):
    badge = document(issue(db, world, now=NOW))
    assert badge["issuer"]["id"] == OLD_DID
    client = moved.test_client()
    old = client.get("/issuers/agfe/did.json", base_url=BASE_URL).get_json()
    new = client.get("/issuers/agfe/did.json", base_url=NEW).get_json()
    assert (old["id"], new["id"]) == (OLD_DID, "did:web:sky.example.net:issuers:agfe")
    assert independently_verified(badge, old)
    assert not independently_verified(badge, new)
    status_url = badge["credentialStatus"]["statusListCredential"]
    assert status_url.startswith(f"{BASE_URL}/status/")
    listed = client.get(status_url.removeprefix(BASE_URL), base_url=BASE_URL).get_json(
        force=True)
    assert listed["issuer"] == OLD_DID and listed["id"] == status_url
    assert independently_verified(listed, old)
    served = client.get(f"/credentials/{badge['id'].rsplit('/', 1)[1]}", base_url=BASE_URL)
    assert served.status_code == 200 and served.get_json(force=True) == badge


def test_the_old_hosts_pages_redirect_to_the_new_address(db, world, moved):
    credential = issue(db, world, now=NOW)
    client = moved.test_client()
    page = client.get(f"/v/{credential.short_id}?lang=fr", base_url=BASE_URL)
    assert page.status_code == 301
    assert page.headers["Location"] == f"{NEW}/v/{credential.short_id}?lang=fr"
    assert client.post("/login", base_url=BASE_URL).status_code == 308
    report = client.get(f"/v/{credential.short_id}", base_url=NEW,
                        headers={"Accept": "application/json"}).get_json()
    assert report["verdict"] == "valid"


def test_old_badges_verify_as_this_services_own_and_new_ones_use_the_new_did(
        db, world, overrides, moved_db):
    old = issue(db, world, now=NOW)
    stored = moved_db.scalar(select(Credential).where(Credential.uuid == old.uuid))
    assert verify_stored(moved_db, stored).verdict == "valid"
    assert not verify_stored(moved_db, stored).warnings
    fresh = issue(moved_db, _world_in(moved_db, world), world.learners[1], now=NOW)
    assert document(fresh)["issuer"]["id"] == "did:web:sky.example.net:issuers:agfe"
    assert verify_stored(moved_db, fresh).verdict == "valid"


def test_without_the_former_address_old_badges_no_longer_verify(db, world, overrides):
    old = issue(db, world, now=NOW)
    settings = Settings.from_env({**overrides, "PUBLIC_BASE_URL": NEW})
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine, settings)() as session:
        stored = session.scalar(select(Credential).where(Credential.uuid == old.uuid))
        assert verify_stored(session, stored).verdict != "valid"
    engine.dispose()


def test_a_key_withdrawn_after_the_move_re_signs_old_badges_under_their_own_did(
        db, world, moved_db, moved):
    old = issue(db, world, now=NOW)
    org = moved_db.scalar(select(Organisation))
    with unit_of_work(moved_db):
        key = withdraw_key(moved_db, org, 1, None)
    with unit_of_work(moved_db):
        assert resign_batch(moved_db, key) == 1
    stored = moved_db.scalar(select(Credential).where(Credential.uuid == old.uuid))
    proof = document(stored)["proof"][0]
    assert proof["verificationMethod"].startswith(f"{OLD_DID}#")
    assert verify_stored(moved_db, stored).verdict == "valid"
    moved_db.commit()
    did = moved.test_client().get("/issuers/agfe/did.json", base_url=BASE_URL).get_json()
    assert independently_verified(document(stored), did)


def _world_in(session, world):
    """The world's records as seen by another session (another deployment's settings)."""
    from dataclasses import replace

    from issuer.store.models import TrainingSession, User

    return replace(world, org=session.get(Organisation, world.org.id),
                   trainer=session.get(User, world.trainer.id),
                   session=session.get(TrainingSession, world.session.id))



def test_an_sd_jwt_vc_issued_on_the_old_host_keeps_verifying(db, world, moved):
    """Its iss, kid and status uri name the old address: the old host still vouches for them,
    and the moved service reads them as its own."""
    holder = PrivateKey.generate(P256)
    with unit_of_work(db):
        copy = bind_to_holder(db, issue(db, world, now=NOW), holder.public_key.did_key)
        token = sd_jwt_vc.issue(db, copy, holder.public_key)
    presentation = sd_jwt.present(token, [], holder, "n-1", "https://hr.example")
    client = moved.test_client()
    body = client.post("/verify", data={"credential": presentation, "nonce": "n-1",
                                        "audience": "https://hr.example"},
                       headers={"Accept": "application/json"}, base_url=NEW).get_json()
    assert (body["verified"], body["status"], body["issuer"]) == (
        True, "valid", f"{BASE_URL}/issuers/agfe")
    metadata = client.get("/.well-known/jwt-vc-issuer/issuers/agfe", base_url=BASE_URL)
    assert metadata.get_json()["issuer"] == f"{BASE_URL}/issuers/agfe"
    assert client.get("/.well-known/jwt-vc-issuer/issuers/agfe", base_url=NEW).get_json()[
        "issuer"] == f"{NEW}/issuers/agfe"
    claims = json.loads(unb64url(token.split(".")[1]))
    assert client.get("/types/open-badge", base_url=BASE_URL).get_json()["vct"] == claims["vct"]
    token_uri = claims["status"]["status_list"]["uri"]
    listed = client.get(token_uri.removeprefix(BASE_URL), base_url=BASE_URL)
    assert json.loads(unb64url(listed.get_data(as_text=True).split(".")[1]))["sub"] == token_uri
