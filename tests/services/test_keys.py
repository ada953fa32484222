"""Organisation keys: did:web, encrypted storage, rotation keeping earlier badges verifiable."""

from __future__ import annotations

import pytest

from issuer.services import PermissionDenied, unit_of_work
from issuer.services.keys import (
    active_key,
    did_document,
    issuer_did,
    issuer_profile,
    jwt_kid,
    rotate_key,
)
from issuer.services.verification import verify_stored
from issuer.store.models import AuditEvent, SigningKey
from tests.helpers import document, issue


def test_did_web_comes_from_the_public_base_url(world):
    assert issuer_did(world.org) == "did:web:badges.example.org:issuers:agfe"


def test_profile_is_an_ob_profile_with_the_did_and_country(world):
    profile = issuer_profile(world.org)
    assert profile == {
        "id": "did:web:badges.example.org:issuers:agfe",
        "type": ["Profile"],
        "name": "AGFE",
        "url": "https://agfe.example.org",
        "email": "contact@agfe.example.org",
        "address": {"type": ["Address"], "addressCountryCode": "FR"},
    }


def test_private_key_is_stored_encrypted(db, world):
    record = db.query(SigningKey).filter_by(organisation_id=world.org.id).one()
    assert record.encrypted_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"test-key-passphrase" not in record.encrypted_pem


def test_first_key_is_generated_on_first_need_and_reused(db, world):
    first, _ = active_key(db, world.org)
    again, _ = active_key(db, world.org)
    assert (first.id, first.version) == (again.id, 1)


def test_rotation_keeps_every_version_in_the_did_document(db, world):
    old, _ = active_key(db, world.org)
    with unit_of_work(db):
        new = rotate_key(db, world.org, world.admin)
    methods = did_document(db, world.org)["assertionMethod"]
    did = issuer_did(world.org)
    assert methods[:2] == [f"{did}#{old.public_multibase}", f"{did}#{new.public_multibase}"]
    assert methods[2:] == [jwt_kid(world.org, old), jwt_kid(world.org, new)]
    assert new.version == 2 and db.get(SigningKey, old.id).active is False


def test_badges_signed_before_rotation_still_verify(db, world):
    before = issue(db, world)
    with unit_of_work(db):
        rotate_key(db, world.org, world.admin)
    after = issue(db, world, world.learners[1])
    assert verify_stored(db, before).verdict == "valid"
    assert verify_stored(db, after).verdict == "valid"
    methods = [document(c)["proof"][0]["verificationMethod"] for c in (before, after)]
    assert methods[0] != methods[1]


def test_rotation_is_audited_without_key_material(db, world):
    with unit_of_work(db):
        rotate_key(db, world.org, world.admin)
    event = db.query(AuditEvent).filter_by(action="key.rotate").one()
    assert event.user_id == world.admin.id
    assert event.detail == {"version": 2}


def test_another_organisation_cannot_rotate_the_key(db, world):
    from issuer.services.accounts import create_user
    from tests.helpers import make_organisation

    with unit_of_work(db):
        other = make_organisation(db, slug="scf", name="SCF", country="IT", language="it")
        stranger = create_user(db, other, "admin@scf.example.org", "Marco", "admin",
                               "long enough password")
    with pytest.raises(PermissionDenied):
        rotate_key(db, world.org, stranger)
