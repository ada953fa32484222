"""Verification of stored credentials in-process, and of submitted ones through verify_any."""

from __future__ import annotations

import json

import pytest

from issuer.core.errors import ResolutionError
from issuer.services.keys import issuer_did
from issuer.services.verification import local_fetch_json, verify_any, verify_stored
from tests.helpers import document, issue


def test_own_did_document_and_status_list_are_served_from_the_database(db, world):
    credential = issue(db, world)
    fetch = local_fetch_json(db)
    did_doc = fetch("https://badges.example.org/issuers/agfe/did.json")
    assert did_doc["id"] == issuer_did(world.org)
    status_url = document(credential)["credentialStatus"]["statusListCredential"]
    assert fetch(status_url)["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]


def test_local_fetch_refuses_other_hosts_without_a_fallback(db):
    with pytest.raises(ResolutionError, match="only this service's documents are read"):
        local_fetch_json(db)("https://elsewhere.example.com/issuers/x/did.json")


def test_local_fetch_refuses_unknown_local_documents(db, world):
    with pytest.raises(ResolutionError, match="not a document this service publishes"):
        local_fetch_json(db)("https://badges.example.org/issuers/nobody/did.json")


def test_verify_any_checks_our_own_credential_in_process(db, world):
    credential = issue(db, world)
    assert verify_any(credential.signed_json, db=db).verdict == "valid"


def test_verify_any_finds_a_tampered_credential_not_genuine(db, world):
    tampered = document(issue(db, world))
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = "Somebody Else"
    report = verify_any(json.dumps(tampered), db=db)
    assert report.verdict == "invalid"
    assert report.check("proof").status == "failed"


def test_verify_stored_checks_the_recipient_email(db, world):
    from issuer.services import unit_of_work

    with unit_of_work(db):
        db.merge(world.learners[0]).email = "zoe@example.org"
    credential = issue(db, world)
    assert verify_stored(db, credential, email="Zoe@Example.org").recipient_verified is True
    assert verify_stored(db, credential, email="other@example.org").recipient_verified is False
