"""Withdrawing a compromised key from the admin's Keys page: a confirmation that says what
happens, the key out of the DID document at once, its badges re-issued by the queue's worker
with the same id, short code and claim link; only the organisation's own admin can do it."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from issuer.services.verification import verify_stored
from issuer.store.models import AuditEvent, Credential, SigningKey
from tests.helpers import (
    csrf_token,
    independently_verified,
    issue,
    make_world,
    open_claim,
    submit,
)


@pytest.fixture
def worker(app):
    """The app's queue consumed in this process, as `sky-badges serve` does."""
    consumer = app.extensions["sky_queue"].start_in_process()
    yield consumer
    consumer.stop(graceful=True)


@pytest.fixture
def signed(db, world, client):
    """A valid badge of key version 1 whose claim link the learner opened, as issued."""
    credential = issue(db, world)
    assert open_claim(client, credential.claim_token).status_code == 302
    return credential


def _key(db, org_id, version) -> SigningKey:
    db.expire_all()
    return db.scalar(select(SigningKey).where(SigningKey.organisation_id == org_id,
                                              SigningKey.version == version))


def _withdraw(client, key_id, confirm=True):
    page = f"/admin/keys/{key_id}/withdraw"
    return submit(client, page, {"confirm": "y"} if confirm else {})


def _wait_until_reissued(client) -> str:
    deadline = time.monotonic() + 60
    while "has been re-issued" not in (page := client.get("/admin/keys?lang=en").text):
        assert time.monotonic() < deadline, page
        time.sleep(0.2)
    return page


def test_the_confirmation_says_what_happens_to_the_key_and_its_badges(
        client, db, world, admin, signed):
    key = _key(db, world.org.id, 1)
    keys_page = client.get("/admin/keys?lang=en").text
    assert f'href="/admin/keys/{key.id}/withdraw"' in keys_page
    page = client.get(f"/admin/keys/{key.id}/withdraw?lang=en").text
    assert "leaves your DID document at once: nothing it signed verifies any more" in page
    assert "It is the key in use: a new key version is generated" in page
    assert ("1 badge it signed is still valid: it is re-issued under the key in use, with the "
            "same id, short code and claim link.") in page
    assert "Printed cards keep working" in page


def test_without_the_confirmation_nothing_is_withdrawn(client, db, world, admin, signed):
    key = _key(db, world.org.id, 1)
    response = _withdraw(client, key.id, confirm=False)
    assert response.status_code == 422
    assert _key(db, world.org.id, 1).withdrawn_at is None


def test_withdrawn_from_the_web_the_old_signature_fails_and_the_reissued_badge_verifies(
        client, db, world, admin, signed, worker):
    before = json.loads(signed.signed_json)
    old = _key(db, world.org.id, 1)
    response = _withdraw(client, old.id)
    assert response.status_code == 303 and response.location == "/admin/keys"
    assert _key(db, world.org.id, 1).withdrawn_at is not None  # at once, in the request
    page = _wait_until_reissued(client)
    assert "http-equiv=\"refresh\"" not in page

    did = client.get("/issuers/agfe/did.json").get_json()
    new = _key(db, world.org.id, 2)
    published = {m.get("publicKeyMultibase") for m in did["verificationMethod"]}
    assert new.active and old.public_multibase not in published
    stored = db.scalar(select(Credential).where(Credential.uuid == signed.uuid))
    after = json.loads(stored.signed_json)
    assert {k: v for k, v in after.items() if k != "proof"} == \
        {k: v for k, v in before.items() if k != "proof"}
    assert not independently_verified(before, did)
    assert independently_verified(after, did)
    assert stored.short_id == signed.short_id
    assert verify_stored(db, stored).verdict == "valid"
    assert open_claim(client, signed.claim_token).status_code == 302
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "key.withdraw"))
    assert event.user_id == world.admin.id and event.detail["version"] == 1


def test_the_keys_page_shows_what_is_left_and_carries_on_when_asked(
        client, app, db, world, admin, signed):
    key = _key(db, world.org.id, 1)
    _withdraw(client, key.id)  # no worker yet: the message waits in the queue
    page = client.get("/admin/keys?lang=en").text
    assert "Key version 1 is withdrawn: 1 badge still to re-issue under the key in use." in page
    assert '<meta http-equiv="refresh" content="5">' in page
    consumer = app.extensions["sky_queue"].start_in_process()
    try:
        response = submit(client, "/admin/keys", {}, action=f"/admin/keys/{key.id}/resign")
        assert response.status_code == 303
        _wait_until_reissued(client)
    finally:
        consumer.stop(graceful=True)
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "key.resign"))


def test_another_organisations_admin_cannot_withdraw_the_key(client, db, world, signed, login):
    other = make_world(db, slug="bsp", learner_names=())
    login(other.admin)
    key = _key(db, world.org.id, 1)
    assert client.get(f"/admin/keys/{key.id}/withdraw").status_code == 404
    token = csrf_token(client.get("/admin/keys").text)
    response = client.post(f"/admin/keys/{key.id}/withdraw",
                           data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 404
    assert client.post(f"/admin/keys/{key.id}/resign",
                       data={"csrf_token": token}).status_code == 404
    assert _key(db, world.org.id, 1).withdrawn_at is None
    assert f"/admin/keys/{key.id}/withdraw" not in client.get("/admin/keys").text


def test_a_trainer_cannot_withdraw_a_key(client, db, world, signed, login):
    login(world.trainer)
    key = _key(db, world.org.id, 1)
    assert client.get(f"/admin/keys/{key.id}/withdraw").status_code == 403
    token = csrf_token(client.get("/trainer/").text)
    assert client.post(f"/admin/keys/{key.id}/withdraw",
                       data={"csrf_token": token, "confirm": "y"}).status_code == 403
    assert _key(db, world.org.id, 1).withdrawn_at is None


def test_the_withdrawal_needs_the_csrf_token(client, db, world, admin, signed):
    key = _key(db, world.org.id, 1)
    assert client.post(f"/admin/keys/{key.id}/withdraw",
                       data={"confirm": "y"}).status_code in (400, 422)
    assert _key(db, world.org.id, 1).withdrawn_at is None


def test_an_unknown_or_impossible_key_id_is_404(client, admin, world):
    assert client.get("/admin/keys/99999/withdraw").status_code == 404
    assert client.get("/admin/keys/99999999999999999999/withdraw").status_code == 404
