"""The whole story in a real browser against the real service, as the people living it would.

A trainer on a phone opens a session, evaluates two learners (one validated, one "not yet"),
issues and prints the session's card sheet. The QR code decoded from the printed sheet opens the
employer's page, which says valid. The learner's own card carries a claim link: the learner opens
it (in Polish, their language) and downloads the baked badge; /verify accepts the upload. An
admin revokes the badge: the same employer page now says revoked, and so does /verify for the
learner's copy.

The employer's browser asks for British English, so the verdicts read "Valid" and "Revoked"; the
learner's browser asks for American English, and the claim page is in Polish all the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.support import Translations

from issuer.web.i18n import TRANSLATIONS
from tests.e2e.helpers import (
    PHONE,
    add_learner,
    download,
    evaluate_and_issue,
    gestures_of,
    log_in,
    new_page,
    open_session,
    opened_pdf,
    qr_texts,
)

pytestmark = pytest.mark.browser

ORGANISATION = "agfe"
VALIDATED = "Zofia Wróblewska"
NOT_YET = "Karim Benaïssa"
REVOCATION_REASON = "Issued for the wrong session; a corrected badge follows."


def polish(text: str) -> str:
    """`text` as the service's Polish catalogue has it."""
    return Translations.load(str(TRANSLATIONS), ["pl"]).gettext(text)


# --- what the pages are made of ----------------------------------------------------------------


def phone(browser, request, service, **options):
    return new_page(browser, request, service, viewport=PHONE, is_mobile=True, has_touch=True,
                    accept_downloads=True, **options)


def verdict(page) -> tuple[str, str]:
    """The verdict as a reader gets it: its words, and the class that colours it."""
    banner = page.locator("section.verdict")
    return (page.inner_text("#verdict-title").strip(),
            banner.get_attribute("class").replace("verdict", "").strip())


def test_trainer_issues_employer_checks_learner_keeps_admin_revokes(browser, request, service,
                                                                  tmp_path):
    trainer = phone(browser, request, service)
    log_in(trainer, service.account(ORGANISATION, "trainer"))
    session_id = open_session(trainer)
    gestures = gestures_of(service, session_id)

    add_learner(trainer, session_id, VALIDATED, "pl")
    evaluate_and_issue(trainer, {gesture: acquired for gesture, acquired, _ in gestures})
    assert "/trainer/credentials/" in trainer.url
    short_url = trainer.inner_text("a.verify-link").strip()
    assert short_url.startswith(service.url("/v/"))

    add_learner(trainer, session_id, NOT_YET, "fr")
    not_yet = {gesture: acquired for gesture, acquired, _ in gestures}
    not_yet[gestures[-1][0]] = gestures[-1][2]
    evaluate_and_issue(trainer, not_yet)
    assert re.search(r"/learners/\d+$", trainer.url), "a 'not yet' evaluation issued a badge"
    assert trainer.locator(".flash.error").count() == 1

    trainer.goto(f"/trainer/sessions/{session_id}")
    assert trainer.locator(".state.issued").count() == 1
    assert trainer.locator(".state.not-yet").count() == 1
    sheet = opened_pdf(trainer, f"a[href$='/sessions/{session_id}/cards.pdf']", tmp_path)
    assert qr_texts(sheet) == [short_url]

    employer = phone(browser, request, service, locale="en-GB")
    employer.goto(short_url)
    assert verdict(employer) == ("Valid", "valid")
    assert VALIDATED in employer.inner_text("main")

    # The learner's own card: its back carries the private claim link.
    card = _print_learner_card(trainer, session_id, tmp_path)
    claim_url = next(text for text in qr_texts(card, page_index=1) if "/claim/" in text)
    # The printer jammed: the reprint carries the same claim link as the card already handed.
    (tmp_path / "reprint").mkdir()
    reprint = _print_learner_card(trainer, session_id, tmp_path / "reprint")
    assert [t for t in qr_texts(reprint, page_index=1) if "/claim/" in t] == [claim_url]

    # The employer scans the wrong side first: the page sends them to the front and offers
    # nothing of the badge.
    employer.goto(claim_url)
    assert employer.locator("main a[download]").count() == 0
    assert employer.locator(f"main a[href='{short_url}']").count() == 1

    learner = phone(browser, request, service)
    learner.goto(claim_url)
    choose_claim_code(learner)
    assert learner.evaluate("document.documentElement.lang") == "pl"
    assert learner.inner_text("main h1").strip() == polish("Your badge") != "Your badge"
    baked = download(learner, "a[download][href$='.png']", tmp_path)
    assert baked.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # The learner sends the picture to the employer, who checks it at /verify.
    assert _verify_upload(employer, baked) == ("Valid", "valid")
    assert VALIDATED in employer.inner_text("main")

    admin = new_page(browser, request, service, viewport={"width": 1280, "height": 900})
    log_in(admin, service.account(ORGANISATION, "admin"))
    _revoke(admin, short_url)

    employer.goto(short_url)
    assert verdict(employer) == ("Revoked", "revoked")
    assert _verify_upload(employer, baked) == ("Revoked", "revoked")


def choose_claim_code(page, code: str = "4826") -> None:
    """The learner's first visit: the secret code, twice, then their badge."""
    page.fill("#code", code)
    page.fill("#again", code)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def _print_learner_card(trainer, session_id: int, folder: Path) -> Path:
    """From the session page, open the validated learner's badge and print their card."""
    trainer.goto(f"/trainer/sessions/{session_id}")
    trainer.click(f"main a:has-text('{VALIDATED}')")
    trainer.click("main a[href*='/trainer/credentials/']")
    return opened_pdf(trainer, "form[action$='/card.pdf'] button[type=submit]", folder)


def _verify_upload(page, baked: Path) -> tuple[str, str]:
    page.goto("/verify")
    page.set_input_files("#file", str(baked))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return verdict(page)


def _revoke(admin, short_url: str) -> None:
    short_id = short_url.rsplit("/", 1)[1]
    admin.goto(f"/admin/credentials?q={short_id}")
    admin.click("main a[href$='/revoke']")
    admin.fill("#reason", REVOCATION_REASON)
    admin.check("#confirm")
    with admin.expect_navigation():
        admin.click("main form button.danger")
    assert admin.locator(".flash.success").count() == 1
