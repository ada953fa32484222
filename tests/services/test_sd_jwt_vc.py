"""Verifying SD-JWT VC presentations from other issuers: keys from their JWT VC Issuer Metadata
(https) or their DID, status from their Token Status List; what cannot be proven is said.

The other issuer here is real independent software, `openbadgeslib[eudi]`; its documents are
served by an injected fetcher (the SSRF-safe one is tested in tests/test_fetch.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from issuer.core import sd_jwt, status_list, token_status_list
from issuer.core.errors import ResolutionError
from issuer.core.keys import P256, PrivateKey
from issuer.services.sd_jwt_vc import metadata_url, verify_presentation
from tests.helpers import openbadgeslib_presentation

ACADEMY = "https://academy.example/issuers/python"
KID = "key-2026"
ISSUER = PrivateKey.generate()
HOLDER = PrivateKey.generate(P256)
VERIFIER = "https://employer.example"
STATUS_URI = "https://academy.example/status/1"


def _presentation(status: dict | None = None, audience: str = VERIFIER) -> str:
    return openbadgeslib_presentation(ISSUER, HOLDER, ACADEMY, KID, "urn:academy:badge",
                                      audience, "n-7", status)


def _metadata(issuer=ACADEMY, kid=KID, **extra) -> dict:
    return {"issuer": issuer, "jwks": {"keys": [{**ISSUER.public_key.to_jwk(), "kid": kid}]},
            **extra}


def _fetcher(documents: dict):
    def fetch(url):
        if url not in documents:
            raise ResolutionError(f"no document at {url}")
        return documents[url]

    return fetch


def _status_token(revoked: bool) -> str:
    bits = status_list.new_bitstring()
    if revoked:
        status_list.set_status(bits, 7)
    now = datetime.now(UTC)
    payload = token_status_list.token_payload(STATUS_URI, bits, now, now + timedelta(hours=1),
                                              60)
    return token_status_list.sign_token(payload, ISSUER, KID)


def verify(db, presentation, documents, texts=None, nonce="n-7", audience=VERIFIER):
    return verify_presentation(db, presentation, nonce, audience,
                               fetch_json=_fetcher(documents), fetch_text=_fetcher(texts or {}))


def test_the_metadata_url_puts_the_well_known_segment_before_the_path():
    assert metadata_url(ACADEMY) == \
        "https://academy.example/.well-known/jwt-vc-issuer/issuers/python"


def test_another_librarys_badge_verifies_through_its_issuer_metadata(db):
    report = verify(db, _presentation(), {metadata_url(ACADEMY): _metadata()})
    assert report.error is None and report.key_bound
    assert report.claims["achievement"]["name"] == "Python basics"
    assert report.issuer == ACADEMY and not report.own_issuer
    # no status list, and an issuer this service does not know: never "valid"
    assert report.verdict == "unproven" and not report.verified
    assert any("status list" in item for item in report.unproven)


@pytest.mark.parametrize("revoked, status", [(False, "valid"), (True, "revoked")])
def test_its_token_status_list_is_read(db, revoked, status):
    reference = {"status_list": {"uri": STATUS_URI, "idx": 7}}
    report = verify(db, _presentation(reference), {metadata_url(ACADEMY): _metadata()},
                    {STATUS_URI: _status_token(revoked)})
    assert report.status == status
    assert report.verdict == ("unknown-issuer" if not revoked else "revoked")


def test_a_status_list_signed_by_someone_else_is_not_believed(db):
    reference = {"status_list": {"uri": STATUS_URI, "idx": 7}}
    bits = status_list.new_bitstring()
    now = datetime.now(UTC)
    forged = token_status_list.sign_token(token_status_list.token_payload(
        STATUS_URI, bits, now, now + timedelta(hours=1), 60), PrivateKey.generate(), KID)
    report = verify(db, _presentation(reference), {metadata_url(ACADEMY): _metadata()},
                    {STATUS_URI: forged})
    assert report.status is None and any("status" in item for item in report.unproven)


@pytest.mark.parametrize("metadata, message", [
    (_metadata(issuer="https://evil.example/issuers/python"), "another issuer"),
    (_metadata(kid="other"), "kid"),
    ({"issuer": ACADEMY, "jwks_uri": "http://academy.example/jwks"}, "https"),
    ({"issuer": ACADEMY}, "jwks"),
])
def test_issuer_metadata_that_does_not_vouch_for_the_key_fails(db, metadata, message):
    report = verify(db, _presentation(), {metadata_url(ACADEMY): metadata})
    assert report.error and message in report.error and not report.verified


def test_unreachable_issuer_metadata_fails_clearly(db):
    report = verify(db, _presentation(), {})
    assert report.error and "no document" in report.error


def test_a_did_issuer_must_sign_with_a_key_of_that_did(db):
    holder_jwk = HOLDER.public_key.to_jwk()
    token = sd_jwt.issue({"iss": "did:web:academy.example", "cnf": {"jwk": holder_jwk}},
                         [], ISSUER, {"kid": "did:web:elsewhere.example#k"})
    report = verify(db, sd_jwt.present(token, [], HOLDER, "n-7", VERIFIER), {})
    assert report.error and "DID URL of that DID" in report.error


def test_x5c_is_refused_without_a_trusted_list(db):
    token = sd_jwt.issue({"iss": ACADEMY}, [], ISSUER, {"x5c": ["MIIB"]})
    report = verify(db, token, {metadata_url(ACADEMY): _metadata()})
    assert report.error and "x5c" in report.error


@pytest.mark.parametrize("iss", ["http://academy.example/issuers/python", "ftp://x", ""])
def test_an_issuer_must_be_an_https_url_or_a_did(db, iss):
    token = sd_jwt.issue({"iss": iss}, [], ISSUER, {"kid": KID})
    report = verify(db, token, {metadata_url(ACADEMY): _metadata()})
    assert report.error and ("https URL or a DID" in report.error or "no iss" in report.error)
