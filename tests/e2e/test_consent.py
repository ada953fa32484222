"""Consent at enrolment in a real browser on a phone, against the real service (gunicorn).

A trainer adds two learners to a new session. Every consent box starts empty. The first learner
agrees to their name on the badge only, and gives an e-mail address: the evaluation page offers
no photo, and once the badge is issued the page says why no e-mail goes out and offers the card
or a text message. The second learner agrees to nothing: the employer's page of their badge
shows no name.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, service, request):
    context = browser.new_context(base_url=service.base_url, viewport=PHONE, is_mobile=True,
                                  has_touch=True, locale="en-GB")
    context.set_default_timeout(15_000)
    request.addfinalizer(context.close)
    return context.new_page()


def _log_in_as_trainer(page, service) -> None:
    account = service.account("agfe", "trainer")
    page.goto("/auth/login")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    page.goto("/trainer/?lang=en")  # the demo trainer reads French; this visit is in English


def _new_session(page) -> int:
    page.goto("/trainer/sessions/new")
    page.fill("#place", "Lyon")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return int(re.search(r"/trainer/sessions/(\d+)$", page.url).group(1))


def _add(page, session_id: int, name: str, email: str = "", ticked=()) -> None:
    page.goto(f"/trainer/sessions/{session_id}")
    boxes = page.locator("fieldset.consent input[type=checkbox]")
    assert boxes.count() == 4
    assert [boxes.nth(i).is_checked() for i in range(4)] == [False] * 4
    page.fill("#name", name)
    if email:
        page.fill("#email", email)
    for purpose in ticked:
        page.check(f"#consent_{purpose}")  # the label is a big enough target on a phone
    with page.expect_navigation():
        page.click(f"form[action$='/sessions/{session_id}/learners'] button[type=submit]")


def _issue(page) -> None:
    for radio in page.locator("input[type=radio][value=acquired]").all():
        radio.check()
    with page.expect_navigation():
        page.click("button[name=action][value=issue]")
    assert "/trainer/credentials/" in page.url, page.url


def test_consent_is_asked_empty_and_what_was_not_agreed_is_not_offered(phone, service):
    _log_in_as_trainer(phone, service)
    session_id = _new_session(phone)

    _add(phone, session_id, "Léa Martin", "lea@example.org", ticked=("name",))
    assert phone.locator("input[type=file]").count() == 0
    assert "No photo: the learner did not agree to photos." in phone.content()  # folded away
    assert "The learner agreed to: name on the badge." in phone.inner_text("main")
    _issue(phone)
    text = phone.inner_text("main")
    assert "Send the claim link by e-mail" not in text
    assert "No e-mail: the learner did not agree to receive the link by e-mail." in text
    assert phone.locator("text=Print the card (PDF)").count() == 1
    verify = phone.locator("a.verify-link").get_attribute("href")
    phone.goto(verify)
    assert "Léa Martin" in phone.inner_text("main")

    _add(phone, session_id, "Omar Haddad")
    _issue(phone)
    phone.goto(phone.locator("a.verify-link").get_attribute("href"))
    assert "Omar" not in phone.content()
    assert phone.locator("section.verdict").count() == 1
