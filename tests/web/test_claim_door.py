"""The wrong side of the card: whoever scans the back is not the learner until they give the
learner's code. The first visit chooses it; an employer is sent to the front."""

from __future__ import annotations

import hashlib

import pytest

from issuer.services import unit_of_work
from issuer.services.claim_links import declare_lost
from issuer.store.models import Credential
from tests.helpers import LEARNERS_CODE, issue, open_claim, submit

PRIVATE_PATHS = ("/wallet", "/record.json", "/record.pdf", "/card.pdf", "/certificate.pdf")


@pytest.fixture
def card(db, world):
    """A badge whose card nobody has scanned yet."""
    return issue(db, world)


def _employer(client):
    return client.application.test_client()


def test_scanning_the_back_first_shows_the_way_to_the_front_and_nothing_of_the_badge(
        client, card):
    page = client.get(f"/claim/{card.claim_token}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Checking someone else’s badge?" in html
    assert f'href="https://badges.example.org/v/{card.short_id}"' in html
    assert "download" not in html and "/wallet" not in html and "record" not in html
    for path in PRIVATE_PATHS:
        response = client.get(f"/claim/{card.claim_token}{path}")
        assert (response.status_code, response.location) == (
            302, f"/claim/{card.claim_token}"), path


def test_the_learner_chooses_a_code_and_sees_their_badge(client, db, card):
    assert open_claim(client, card.claim_token).status_code == 302
    html = client.get(f"/claim/{card.claim_token}?lang=en").get_data(as_text=True)
    assert "Keep your badge" in html and "/wallet" in html
    db.expire_all()
    stored = db.get(Credential, card.id).claim_code_hash
    assert stored.startswith("$argon2id$") and LEARNERS_CODE not in stored


def test_the_session_keeps_which_link_was_opened_but_never_the_link(client, card):
    open_claim(client, card.claim_token)
    cookie = client.get_cookie("session").value
    serializer = client.application.session_interface.get_signing_serializer(client.application)
    opened = serializer.loads(cookie)["claims"]
    assert opened == [hashlib.sha256(card.claim_token.encode()).hexdigest()[:32]]
    assert card.claim_token not in cookie


def test_after_the_learner_chose_a_code_an_employer_scanning_the_back_must_type_it(
        client, card):
    open_claim(client, card.claim_token)
    employer = _employer(client)
    html = employer.get(f"/claim/{card.claim_token}?lang=en").get_data(as_text=True)
    assert "Type your secret code" in html and "Keep your badge" not in html
    page = f"/claim/{card.claim_token}"
    wrong = submit(employer, page, {"code": "0000"}, action=f"{page}/unlock?lang=en")
    assert wrong.status_code == 403
    assert "This is not the code." in wrong.get_data(as_text=True)
    for path in PRIVATE_PATHS:
        assert employer.get(f"{page}{path}").status_code == 302, path


def test_the_learner_opens_their_badge_in_a_new_browser_with_their_code(client, card):
    open_claim(client, card.claim_token)
    phone = _employer(client)
    assert open_claim(phone, card.claim_token).status_code == 302
    assert "Keep your badge" in phone.get(f"/claim/{card.claim_token}?lang=en").get_data(
        as_text=True)


def test_five_wrong_codes_lock_the_link_even_against_the_right_code(client, card):
    open_claim(client, card.claim_token)
    guesser = _employer(client)
    page = f"/claim/{card.claim_token}"
    statuses = [submit(guesser, page, {"code": f"{n:04d}"}, action=f"{page}/unlock").status_code
                for n in range(5)]
    assert statuses == [403] * 5
    locked = submit(guesser, page, {"code": LEARNERS_CODE}, action=f"{page}/unlock?lang=en")
    assert locked.status_code == 429
    assert "Too many wrong codes. Try again in 15 minutes." in locked.get_data(as_text=True)


@pytest.mark.parametrize(("code", "again", "message"), [
    ("12", "12", "choose a code of 4 to 8 digits"),
    ("abcd", "abcd", "choose a code of 4 to 8 digits"),
    ("123456789", "123456789", "choose a code of 4 to 8 digits"),
    ("1234", "1235", "The two codes are not the same."),
])
def test_a_code_is_4_to_8_digits_typed_twice(client, db, card, code, again, message):
    page = f"/claim/{card.claim_token}"
    response = submit(client, page, {"code": code, "again": again}, action=f"{page}/code?lang=en")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Credential, card.id).claim_code_hash is None


def test_a_chosen_code_cannot_be_chosen_again_by_someone_else(client, db, card):
    open_claim(client, card.claim_token)
    employer = _employer(client)
    page = f"/claim/{card.claim_token}"
    employer.get(page)
    response = submit(employer, page, {"code": "9999", "again": "9999"},
                      action=f"{page}/code?lang=en")
    assert response.status_code == 422
    assert open_claim(employer, card.claim_token, "9999").status_code == 403


def test_a_card_declared_lost_forgets_its_code(client, db, world, card):
    open_claim(client, card.claim_token)
    with unit_of_work(db):
        declare_lost(db, db.get(Credential, card.id), world.trainer)
    db.expire_all()
    stored = db.get(Credential, card.id)
    assert (stored.claim_code_hash, stored.claim_code_failures) == (None, 0)
    assert client.get(f"/claim/{card.claim_token}").status_code == 404
