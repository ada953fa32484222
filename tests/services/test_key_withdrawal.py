"""`sky-badges keys withdraw`: a compromised key stops vouching for anything at once, and the
badges it signed are signed again, with the same id, short code and claim link."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from issuer.cli import main
from issuer.services import unit_of_work
from issuer.services.keys import rotate_key
from issuer.services.revocation import revoke
from issuer.services.verification import verify_any, verify_stored
from issuer.store.models import AuditEvent, Credential, SigningKey
from tests.helpers import (
    TEST_PASSWORD,
    document,
    independently_verified,
    issue,
    open_claim,
    point_cli_at,
    submit,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def badges(db, world, app, overrides, monkeypatch):
    """Two badges of key version 1 (one revoked), the first opened once by its learner."""
    point_cli_at(monkeypatch, overrides)
    kept = issue(db, world, now=NOW)
    revoked = issue(db, world, world.learners[1], now=NOW)
    with unit_of_work(db):
        revoke(db, revoked, "issued by mistake", world.admin, now=NOW)
    assert open_claim(app.test_client(), kept.claim_token).status_code == 302
    return kept, revoked


def _key(db, version):
    db.expire_all()
    return db.scalar(select(SigningKey).where(SigningKey.version == version))


def test_a_withdrawn_key_leaves_the_did_document_and_its_badges_are_signed_again(
        db, app, badges, capsys):
    kept, revoked = badges
    before = document(kept)
    old = _key(db, 1)
    assert main(["keys", "withdraw", "agfe", "1"]) == 0
    out = capsys.readouterr().out
    assert (f"key version 1 of agfe is withdrawn: did:web:badges.example.org:issuers:agfe"
            f"#{old.public_multibase} is no longer in its DID document") in out
    assert "1 badge(s) and endorsement(s) signed again with the active key" in out

    client = app.test_client()
    did = client.get("/issuers/agfe/did.json").get_json()
    new = _key(db, 2)
    assert new.active and _key(db, 1).withdrawn_at is not None
    published = {m.get("publicKeyMultibase") for m in did["verificationMethod"]}
    assert new.public_multibase in published and old.public_multibase not in published

    after = client.get(f"/credentials/{kept.uuid}").get_json(force=True)
    assert {k: v for k, v in after.items() if k != "proof"} == \
        {k: v for k, v in before.items() if k != "proof"}
    assert after["proof"][0]["verificationMethod"].endswith(f"#{new.public_multibase}")
    assert not independently_verified(before, did)
    assert independently_verified(after, did)
    assert verify_any(before, db=db).verdict != "valid"
    stored = db.scalar(select(Credential).where(Credential.uuid == kept.uuid))
    assert stored.short_id == kept.short_id
    assert verify_stored(db, stored).verdict == "valid"
    db.commit()  # the status list it signed on the way
    page = client.get(f"/v/{kept.short_id}", headers={"Accept": "application/json"})
    assert page.get_json()["verdict"] == "valid"
    # The learner's claim link (same link, same code) hands out the new copy.
    assert open_claim(client, kept.claim_token).status_code == 302
    record = client.get(f"/claim/{kept.claim_token}/record.json").get_json(force=True)
    [held] = record["credentialSubject"]["verifiableCredential"]
    assert held == after
    assert independently_verified(record, did)
    # A revoked badge is not signed again: it stays revoked, and now verifies as nothing.
    assert db.scalar(select(Credential.signed_json).where(Credential.uuid == revoked.uuid)) \
        == revoked.signed_json
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "key.withdraw"))


def test_withdrawing_a_retired_key_keeps_the_active_one_and_running_again_changes_nothing(
        db, world, badges, capsys):
    with unit_of_work(db):
        rotate_key(db, world.org, world.admin)
    assert main(["keys", "withdraw", "agfe", "1"]) == 0
    assert main(["keys", "withdraw", "agfe", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("signed again") == 2
    assert "0 badge(s) and endorsement(s) signed again" in out
    db.expire_all()
    assert [k.version for k in db.scalars(select(SigningKey).where(SigningKey.active))] == [2]
    assert len(db.scalars(select(SigningKey)).all()) == 2
    kept = db.scalar(select(Credential).where(Credential.uuid == badges[0].uuid))
    assert verify_stored(db, kept).verdict == "valid"


def test_keys_withdraw_refuses_an_unknown_organisation_or_version_in_one_line(
        db, badges, capsys):
    assert main(["keys", "withdraw", "nobody", "1"]) == 2
    assert capsys.readouterr().err == "sky-badges: error: no organisation nobody\n"
    assert main(["keys", "withdraw", "agfe", "7"]) == 2
    assert capsys.readouterr().err == "sky-badges: error: agfe has no key version 7\n"
    assert _key(db, 1).withdrawn_at is None


def test_a_withdrawn_key_signs_no_status_list(db, app, badges):
    kept, revoked = badges
    with unit_of_work(db):
        from issuer.services.key_withdrawal import withdraw_key

        withdraw_key(db, _key(db, 1).organisation, 1, None)
    status_url = document(revoked)["credentialStatus"]["statusListCredential"]
    listed = app.test_client().get(status_url.removeprefix("https://badges.example.org"))
    assert listed.get_json(force=True)["proof"][0]["verificationMethod"].endswith(
        f"#{_key(db, 2).public_multibase}")
    assert json.loads(kept.signed_json)["proof"][0]["verificationMethod"].endswith(
        f"#{_key(db, 1).public_multibase}")


def test_the_admins_key_page_says_which_version_was_withdrawn(db, world, app, badges):
    assert main(["keys", "withdraw", "agfe", "1"]) == 0
    client = app.test_client()
    submit(client, "/auth/login", {"email": world.admin.email, "password": TEST_PASSWORD})
    page = client.get("/admin/keys?lang=en").get_data(as_text=True)
    assert page.count("(withdrawn: no longer published)") == 1
    assert "2 (in use)" in page


def test_re_signing_stops_when_asked_and_carries_on_later(db, world, badges):
    from issuer.services.key_withdrawal import left_to_resign, resign_remaining, withdraw_key

    with unit_of_work(db):
        key = withdraw_key(db, _key(db, 1).organisation, 1, world.admin)
    assert left_to_resign(db, key) == 1  # the revoked badge is not counted
    assert resign_remaining(db, key, stopping=lambda: True) == 0
    assert left_to_resign(db, key) == 1
    batches = []
    assert resign_remaining(db, key, on_batch=batches.append) == 1
    assert batches == [1] and left_to_resign(db, key) == 0
