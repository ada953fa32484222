"""Our badges as Open Badges 2.0 hosted assertions: checked by the independent verifier
(openbadgeslib's OB2Verifier) and by ours, both reading the app's own answers."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from issuer.core import ob2
from issuer.core.errors import GoneError, ResolutionError
from issuer.services import unit_of_work
from issuer.services.consent import Consent
from issuer.services.learners import create_learner
from issuer.services.revocation import revoke
from issuer.services.suspension import reinstate, suspend
from tests.helpers import BASE_URL, document, issue


@pytest.fixture
def fetch(client):
    """GET one of the app's own public URLs (bytes), raising as an HTTP client would."""

    def get(url: str) -> bytes:
        assert url.startswith(BASE_URL), url
        response = client.get(urlsplit(url).path)
        if response.status_code == 410:
            raise GoneError(f"{url} answered HTTP 410 Gone")
        if response.status_code != 200:
            raise ResolutionError(f"{url} answered HTTP {response.status_code}")
        return response.get_data()

    return get


def independent(url: str, fetch) -> bool:
    from openbadgeslib.ob2 import OB2VerificationError, OB2Verifier
    try:
        OB2Verifier(download=fetch).verify_hosted(
            json.loads(fetch(url)), check_revocation=False)
    except (OB2VerificationError, GoneError, ResolutionError):
        return False
    return True


def ours(url: str, fetch):
    return ob2.verify_assertion(url, fetch_json=lambda u: json.loads(fetch(u)))


@pytest.fixture
def ana(db, world):
    """A learner with an e-mail address (hashed into her badges)."""
    with unit_of_work(db):
        return create_learner(db, world.org, "Ana Ruiz", email="ana@example.org",
                              language="es", answers=Consent.everything())


def assertion_url(credential) -> str:
    return f"{BASE_URL}/ob2/assertions/{credential.uuid}"


def test_a_badge_with_an_email_is_a_valid_hosted_assertion(db, world, ana, fetch, client):
    credential = issue(db, world, ana)
    url = assertion_url(credential)
    served = client.get(f"/ob2/assertions/{credential.uuid}")
    assert served.mimetype == "application/ld+json"
    assertion = served.json
    signed = document(credential)
    email = next(i for i in signed["credentialSubject"]["identifier"]
                 if i["identityType"] == "emailAddress")
    assert assertion["recipient"] == {"type": "email", "hashed": True, "salt": email["salt"],
                                      "identity": email["identityHash"]}
    assert independent(url, fetch)
    report = ours(url, fetch)
    assert (report.verdict, report.standard) == ("valid", "Open Badges 2.0")
    assert report.related["badgeClass"]["name"] == signed["credentialSubject"]["achievement"][
        "name"]


def test_a_revoked_badge_answers_410_and_no_verifier_accepts_it(db, world, ana, fetch):
    credential = issue(db, world, ana)
    with unit_of_work(db):
        revoke(db, credential, "Issued by mistake", world.admin)
    assert not independent(assertion_url(credential), fetch)
    assert ours(assertion_url(credential), fetch).verdict == "revoked"


def test_a_suspended_badge_is_gone_while_the_hold_lasts(db, world, ana, fetch):
    credential = issue(db, world, ana)
    with unit_of_work(db):
        suspend(db, credential, "Under review", world.admin)
    assert ours(assertion_url(credential), fetch).verdict == "revoked"
    with unit_of_work(db):
        reinstate(db, credential, "Review done", world.admin)
    assert ours(assertion_url(credential), fetch).verdict == "valid"


def test_a_badge_naming_no_email_has_no_ob2_form(db, world, client):
    credential = issue(db, world, world.learners[0])
    assert client.get(f"/ob2/assertions/{credential.uuid}").status_code == 404


def test_an_unknown_badge_is_404(client):
    assert client.get("/ob2/assertions/00000000-0000-4000-8000-000000000000").status_code == 404
