"""The trainer's phone without network, in a real Chromium: the session opened online, the
network pulled (page and service worker alike), two learners evaluated, the waiting count, a
reload from the service worker, the network back and the badges issued; two phones, one learner.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session as DatabaseSession

from issuer.store.db import normalise_url
from issuer.store.models import (
    Assessment,
    Credential,
    EvaluationSubmission,
    EvidenceFile,
    Learner,
)
from tests.e2e.helpers import (
    PHONE,
    Network,
    add_learner,
    axe_violations,
    gestures_of,
    log_in,
    open_session,
)

pytestmark = pytest.mark.browser

ORGANISATION = "mirec"  # the other browser tests work in cec, agfe and barka
SENT_WITHIN_MS = 30_000
# The submissions that carried an evaluation (each learner added also has one: their addition).
EVALUATIONS = EvaluationSubmission.action != "enrol"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "olive").save(out, format="PNG")
    return out.getvalue()


PHOTO = _png()


def phone(browser, request, base_url: str, language: str = "en"):
    """A phone-sized page in a context of its own, speaking `language` (English)."""
    context = browser.new_context(base_url=base_url, viewport=PHONE, locale=language)
    context.set_default_timeout(15_000)
    request.addfinalizer(context.close)
    return context.new_page()


def signed_in(page, service, language: str = "en") -> None:
    log_in(page, service.account(ORGANISATION, "trainer"))
    # The landing page keeps its copies first: a response to one of those requests, sent with
    # the cookie of before, would otherwise replace the cookie that remembers the language.
    page.wait_for_selector("#offline-status[data-cached=true]", state="attached")
    page.goto(f"/trainer/?lang={language}")  # remembered for the visit: every page kept too
    page.wait_for_selector("#offline-status[data-cached=true]", state="attached")


def kept_for_offline(page) -> None:
    """Wait until the service worker controls the page and the page has kept its copies."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#offline-status[data-cached=true]", state="attached")


def evaluate(page, levels: dict[str, str], action: str = "issue") -> None:
    for gesture, level in levels.items():
        page.check(f"input[name='level_{gesture}'][value='{level}']")
    with page.expect_navigation():
        page.click(f"button[name=action][value={action}]")


def database(service):
    engine = create_engine(normalise_url(service.database_url))
    return engine, DatabaseSession(engine)


def badges_of(service, session_id: int, name: str) -> int:
    engine, db = database(service)
    with db:
        found = db.scalars(select(Credential.id).join(
            Assessment, Credential.assessment_id == Assessment.id).join(Learner).where(
            Assessment.session_id == session_id, Learner.name == name)).all()
    engine.dispose()
    return len(found)


def learners_named(service, name: str) -> int:
    engine, db = database(service)
    with db:
        found = db.scalars(select(Learner.id).where(Learner.name == name)).all()
    engine.dispose()
    return len(found)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def offline_session(browser, request, service, names: tuple[str, ...]):
    """A phone behind a pullable network, a new session of `names` opened online and kept,
    then the network pulled. Returns the page, the network, the session id and the level that
    acquires each gesture."""
    network = Network(urlsplit(service.base_url).port)
    request.addfinalizer(network.close)
    page = phone(browser, request, network.base_url)
    signed_in(page, service)
    session_id = open_session(page)
    for name in names:
        add_learner(page, session_id, name, "fr")
    acquired = {gesture: level for gesture, level, _not_yet in gestures_of(service, session_id)}
    page.goto(f"/trainer/sessions/{session_id}")  # the trainer opens the session online
    kept_for_offline(page)
    network.cut()
    page.context.set_offline(True)
    return page, network, session_id, acquired


def test_two_learners_evaluated_offline_are_issued_when_the_network_returns(
        browser, request, service):
    names = ("Amélie Horsligne", "Bartek Bezsieci")
    page, network, session_id, acquired = offline_session(browser, request, service, names)

    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url)
            if frame == page.main_frame else None)
    with page.expect_navigation():
        page.click(f"a.card-link:has-text('{names[0]}')")
    first_gesture = next(iter(acquired))
    page.set_input_files(f"input[name='photo_{first_gesture}']", files=[
        {"name": "site.png", "mimeType": "image/png", "buffer": PHOTO}])
    evaluate(page, acquired)
    loads_one_learner = len(loads)
    assert page.locator("h1").inner_text() == names[1]  # straight on to the next learner
    expect(page.locator("#offline-status .notice")).to_have_text(
        "Kept on this phone: Amélie Horsligne. It will be sent when the network returns.")
    evaluate(page, acquired)
    assert page.url.endswith(f"/trainer/sessions/{session_id}")
    assert page.inner_text(".waiting-count") == "2 evaluations waiting to be sent"

    with page.expect_navigation():  # reopened, the form shows what waits on the phone
        page.click(f"a.card-link:has-text('{names[0]}')")
    page.wait_for_selector(".queued-here")
    assert page.is_checked(f"input[name='level_{first_gesture}']"
                           f"[value='{acquired[first_gesture]}']")
    page.go_back()

    page.reload()  # no network: the service worker answers
    assert page.inner_text(".waiting-count") == "2 evaluations waiting to be sent"
    assert page.locator("a.card-link .queued").count() == 2
    assert axe_violations(page) == []

    network.restore()
    page.context.set_offline(False)
    page.wait_for_selector(".sent-count", timeout=SENT_WITHIN_MS)
    assert page.inner_text(".sent-count") == "2 evaluations sent"
    assert page.locator(".waiting-count").count() == 0
    assert page.locator("#offline-status li").all_inner_texts() == [
        f"Badge issued: {name}." for name in names]

    engine, db = database(service)
    with db:
        issued = db.scalars(select(Learner.name).join(Assessment).join(
            Credential, Credential.assessment_id == Assessment.id)
            .where(Assessment.session_id == session_id)).all()
        photos = db.scalars(select(Learner.name).join(Assessment).join(EvidenceFile)
                            .where(Assessment.session_id == session_id)).all()
    engine.dispose()
    assert sorted(issued) == sorted(names)
    assert photos == [names[0]]  # the photo travelled with the queue, once
    # One learner, offline: two page loads (the evaluation, then the next learner's), both from
    # the phone's copy; the sending takes no tap at all.
    assert loads_one_learner == 2


def test_online_a_learner_is_one_screen_and_one_tap_to_the_badge(browser, request, service):
    page = phone(browser, request, service.base_url)
    signed_in(page, service)
    session_id = open_session(page)
    add_learner(page, session_id, "Chiara Inrete", "it")
    acquired = {gesture: level for gesture, level, _not_yet in gestures_of(service, session_id)}
    page.goto(f"/trainer/sessions/{session_id}")
    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url)
            if frame == page.main_frame else None)
    with page.expect_navigation():
        page.click("a.card-link:has-text('Chiara Inrete')")
    evaluate(page, acquired)
    page.wait_for_url(re.compile(r"/trainer/credentials/"))
    assert len(loads) == 2  # the evaluation, then the badge issued
    assert page.locator("#offline-status .waiting-count").count() == 0


def test_two_phones_evaluate_one_learner_and_the_trainer_chooses_which_stands(
        browser, request, service):
    first = phone(browser, request, service.base_url)
    second = phone(browser, request, service.base_url)
    signed_in(first, service)
    signed_in(second, service)
    session_id = open_session(first)
    add_learner(first, session_id, "Dorota Dwatelefony", "pl")
    learner_page = urlsplit(first.url).path
    gestures = gestures_of(service, session_id)
    second.goto(learner_page)  # both phones hold the same version of the evaluation

    evaluate(first, {gesture: acquired for gesture, acquired, _ in gestures}, action="save")
    later = {gesture: acquired for gesture, acquired, _ in gestures}
    later[gestures[0][0]] = gestures[0][2]  # the second phone saw the first gesture "not yet"
    evaluate(second, later, action="save")

    assert second.url.endswith(f"{learner_page}/conflicts")
    assert second.locator("button[name=keep]").count() == 2
    assert axe_violations(second) == []
    second.goto(f"/trainer/sessions/{session_id}")  # the choice waits there too
    assert second.locator("a.conflict").count() == 1
    assert axe_violations(second) == []
    with second.expect_navigation():
        second.click("a.conflict")
    with second.expect_navigation():
        second.locator("button[name=keep]").nth(1).click()  # the version sent later stands
    assert urlsplit(second.url).path == learner_page
    assert "Chosen" in second.inner_text(".flash.success")

    engine, db = database(service)
    with db:
        assessment = db.scalar(select(Assessment).join(Learner).where(
            Assessment.session_id == session_id, Learner.name == "Dorota Dwatelefony"))
        outcomes = sorted(db.scalars(select(EvaluationSubmission.outcome).where(
            EvaluationSubmission.assessment_id == assessment.id, EVALUATIONS)).all())
        levels = assessment.levels
    engine.dispose()
    assert levels == later
    assert outcomes == ["applied", "chosen"]  # both versions kept


def test_a_session_that_ended_keeps_the_queue_until_the_trainer_signs_in_again(
        browser, request, service):
    page, network, session_id, acquired = offline_session(browser, request, service,
                                                          ("Emil Abgemeldet",))
    with page.expect_navigation():
        page.click("a.card-link:has-text('Emil Abgemeldet')")
    evaluate(page, acquired)
    expect(page.locator("#offline-status .notice")).to_contain_text(
        "Kept on this phone: Emil Abgemeldet")
    assert axe_violations(page) == []

    page.context.clear_cookies()  # meanwhile the session ended (SESSION_MAX_HOURS)
    network.restore()
    page.context.set_offline(False)
    sign_in = page.wait_for_selector("#offline-status a[href*='/auth/login']",
                                     timeout=SENT_WITHIN_MS)
    assert page.inner_text(".waiting-count") == "1 evaluation waiting to be sent"
    with page.expect_navigation():
        sign_in.click()
    account = service.account(ORGANISATION, "trainer")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert urlsplit(page.url).path == f"/trainer/sessions/{session_id}"
    page.wait_for_selector(".sent-count", timeout=SENT_WITHIN_MS)  # in the trainer's language
    page.goto(f"/trainer/sessions/{session_id}?lang=en")
    assert page.inner_text(".sent-count") == "1 evaluation sent"

    assert badges_of(service, session_id, "Emil Abgemeldet") == 1


def test_an_answer_lost_in_the_middle_of_a_save_is_sent_again_and_issued_once(
        browser, request, service):
    network = Network(urlsplit(service.base_url).port)
    request.addfinalizer(network.close)
    page = phone(browser, request, network.base_url)
    signed_in(page, service)
    session_id = open_session(page)
    add_learner(page, session_id, "Fiona Halbgespeichert", "fr")
    learner_page = urlsplit(page.url).path
    acquired = {gesture: level for gesture, level, _not_yet in gestures_of(service, session_id)}
    kept_for_offline(page)

    network.cut_after(f"POST {learner_page} ".encode())
    evaluate(page, acquired)  # saved and issued on the server; the answer never arrives
    expect(page.locator("#offline-status .notice")).to_contain_text(
        "Kept on this phone: Fiona Halbgespeichert")
    assert badges_of(service, session_id, "Fiona Halbgespeichert") == 1  # it did arrive
    network.restore()
    try:  # the trainer nudges; the queue may already be sending, redrawing the button away
        page.click("#offline-status button:has-text('Send now')", timeout=3_000)
    except PlaywrightTimeoutError:
        pass
    page.wait_for_selector(".sent-count", timeout=SENT_WITHIN_MS)
    assert page.locator("#offline-status li").all_inner_texts() == [
        "Badge issued: Fiona Halbgespeichert."]

    engine, db = database(service)
    with db:
        sent = db.scalars(select(EvaluationSubmission.id).join(Assessment).join(Learner).where(
            Assessment.session_id == session_id, Learner.name == "Fiona Halbgespeichert",
            EVALUATIONS)).all()
    engine.dispose()
    # The replay was answered, not applied again.
    assert (badges_of(service, session_id, "Fiona Halbgespeichert"), len(sent)) == (1, 1)


def test_a_learner_evaluated_twice_on_one_phone_offline_is_no_conflict(
        browser, request, service):
    name = "Gaspard Deuxfois"
    page, network, session_id, acquired = offline_session(browser, request, service, (name,))
    first_gesture, level = next(iter(acquired.items()))
    with page.expect_navigation():
        page.click(f"a.card-link:has-text('{name}')")
    evaluate(page, {first_gesture: level}, action="save")  # the first gesture only, for now
    with page.expect_navigation():
        page.click(f"a.card-link:has-text('{name}')")
    page.wait_for_selector(".queued-here")
    evaluate(page, acquired)  # later, the others too, from the same kept page
    assert page.inner_text(".waiting-count") == "2 evaluations waiting to be sent"

    network.restore()
    page.context.set_offline(False)
    page.wait_for_selector(".sent-count", timeout=SENT_WITHIN_MS)
    assert page.locator("#offline-status li").all_inner_texts() == [
        f"Saved: {name}.", f"Badge issued: {name}."]
    engine, db = database(service)
    with db:
        outcomes = db.scalars(select(EvaluationSubmission.outcome).join(Assessment)
                              .join(Learner).where(Assessment.session_id == session_id,
                                                   EVALUATIONS)
                              .order_by(EvaluationSubmission.id)).all()
    engine.dispose()
    assert outcomes == ["applied", "applied"]
    assert badges_of(service, session_id, name) == 1


def test_the_trainer_pages_are_an_installable_app(browser, request, service):
    page = phone(browser, request, service.base_url)
    signed_in(page, service)
    kept_for_offline(page)
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    assert '"scope":"/trainer/"' in manifest["data"].replace(" ", "")
    # Every test context is a private window ("in-incognito"): Chromium's other criteria
    # (manifest, icons, a service worker answering fetches, scope) all hold.
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [error["errorId"] for error in errors if error["errorId"] != "in-incognito"] == []


def test_a_learner_added_offline_is_evaluated_there_and_sent_once_when_the_network_returns(
        browser, request, service):
    name = "Wiktor Zpolny"
    page, network, session_id, acquired = offline_session(browser, request, service,
                                                          ("Helena Jużjest",))
    page.fill("#name", name)
    page.select_option("#language", "pl")
    for purpose in ("name", "statistics"):  # no photos: the walk-in page offers none
        page.check(f"#consent_{purpose}")
    with page.expect_navigation():
        page.click("form.add-learner button[type=submit]")
    expect(page.locator("h1")).to_have_text(name)
    first_gesture = next(iter(acquired))
    assert page.locator(f"input[name='photo_{first_gesture}']").is_disabled()
    evaluate(page, acquired)
    assert page.locator("h1").inner_text() == "Helena Jużjest"  # on to the next learner
    expect(page.locator("#offline-status .notice")).to_have_text(
        f"Kept on this phone: {name}. It will be sent when the network returns.")

    page.goto(f"/trainer/sessions/{session_id}")  # the phone's copy
    expect(page.locator("li.walk-in")).to_contain_text(name)
    assert page.inner_text(".learners-count") == "1 new learner waiting to be sent"
    assert page.inner_text(".waiting-count") == "1 evaluation waiting to be sent"
    assert axe_violations(page) == []
    with page.expect_navigation():  # reopened, the walk-in's evaluation is what was entered
        page.click(f"li.walk-in a:has-text('{name}')")
    page.wait_for_selector(".queued-here")
    assert page.is_checked(f"input[name='level_{first_gesture}']"
                           f"[value='{acquired[first_gesture]}']")
    page.go_back()

    # The network returns, but the answer to the learner's addition is lost on the way back:
    # sent again, the same learner is answered, never a second one.
    network.cut_after(f"POST /trainer/sessions/{session_id}/learners ".encode())
    network.restore()
    page.context.set_offline(False)
    for _attempt in range(100):
        if learners_named(service, name):
            break
        page.wait_for_timeout(200)
    network.restore()
    try:
        page.click("#offline-status button:has-text('Send now')", timeout=3_000)
    except PlaywrightTimeoutError:
        pass
    page.wait_for_selector(".sent-count", timeout=SENT_WITHIN_MS)
    assert page.locator("#offline-status li").all_inner_texts() == [f"Badge issued: {name}."]
    assert page.locator(".learners-count").count() == 0
    assert (learners_named(service, name), badges_of(service, session_id, name)) == (1, 1)


def test_a_photo_the_server_did_not_keep_is_said_in_plain_words_and_the_badge_issued(
        browser, request, service):
    name = "Ines Sinfoto"
    page, network, session_id, acquired = offline_session(browser, request, service, (name,))
    with page.expect_navigation():
        page.click(f"a.card-link:has-text('{name}')")
    page.set_input_files(f"input[name='photo_{next(iter(acquired))}']", files=[
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"%PDF-1.4 not a photo"}])
    evaluate(page, acquired)

    network.restore()
    page.context.set_offline(False)
    page.wait_for_selector(".photo-refused", timeout=SENT_WITHIN_MS)
    expect(page.locator(".photo-refused")).to_contain_text(
        f"The photo for {name} was not kept: This file is not a JPEG or PNG photo. "
        "The evaluation was sent.")
    assert page.locator("#offline-status li").all_inner_texts() == [f"Badge issued: {name}."]
    assert badges_of(service, session_id, name) == 1
    assert axe_violations(page) == []


CONFLICT_WORDS = ("This learner was evaluated on two devices", "Keep this evaluation",
                  "Saved first", "Sent later from another device", "No network")


@pytest.mark.parametrize("language", ["fr", "pl"])
def test_the_conflict_page_and_the_offline_texts_speak_the_trainers_language_on_a_phone(
        browser, request, service, language):
    network = Network(urlsplit(service.base_url).port)
    request.addfinalizer(network.close)
    first = phone(browser, request, network.base_url, language)
    second = phone(browser, request, network.base_url, language)
    signed_in(first, service, language)
    signed_in(second, service, language)
    session_id = open_session(first)
    add_learner(first, session_id, "Zofia Przykładowa-Wielkopolska", "pl")
    learner_page = urlsplit(first.url).path
    gestures = gestures_of(service, session_id)
    second.goto(learner_page)
    evaluate(first, {gesture: acquired for gesture, acquired, _ in gestures}, action="save")
    evaluate(second, {gesture: not_yet for gesture, _acquired, not_yet in gestures},
             action="save")

    assert second.url.endswith(f"{learner_page}/conflicts")
    assert second.locator("html").get_attribute("lang") == language
    shown = second.inner_text("main")
    assert [words for words in CONFLICT_WORDS if words in shown] == []
    assert fits_the_screen(second)
    assert axe_violations(second) == []

    second.goto(f"/trainer/sessions/{session_id}")
    kept_for_offline(second)
    network.cut()
    second.context.set_offline(True)
    second.reload()
    second.wait_for_selector("#offline-status:not([hidden])")
    offline_words = second.inner_text("#offline-status")
    assert offline_words and "No network" not in offline_words
    assert "evaluated on another device" not in second.inner_text("main")
    assert fits_the_screen(second)
    assert axe_violations(second) == []


def test_photos_too_large_to_send_leave_the_phone_without_the_evaluation(
        browser, request, service):
    name = "Olek Zaduzy"
    page, network, session_id, acquired = offline_session(browser, request, service, (name,))
    with page.expect_navigation():
        page.click(f"a.card-link:has-text('{name}')")
    each = 11_000_000 // len(acquired)  # together more than a request may carry (10 MB)
    for gesture in acquired:
        page.set_input_files(f"input[name='photo_{gesture}']", files=[
            {"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * each}])
    evaluate(page, acquired)

    network.restore()
    page.context.set_offline(False)
    page.wait_for_selector(".photo-refused", timeout=SENT_WITHIN_MS)
    expect(page.locator(".photo-refused")).to_contain_text(
        f"The photos for {name} were too large to send: the evaluation was sent without them.")
    assert badges_of(service, session_id, name) == 1


def test_a_learner_added_offline_and_refused_is_said_and_discarded_with_their_evaluation(
        browser, request, service):
    page, network, session_id, acquired = offline_session(browser, request, service, ())
    page.evaluate("document.querySelector('#name').removeAttribute('maxlength')")
    page.fill("#name", "Długie " * 40)  # longer than a name may be: only the server says so
    page.check("#consent_name")
    with page.expect_navigation():
        page.click("form.add-learner button[type=submit]")
    evaluate(page, acquired)
    network.restore()
    page.context.set_offline(False)
    refused = page.locator("#offline-status .refused")
    expect(refused).to_contain_text("Not sent: the new learner", timeout=SENT_WITHIN_MS)
    refused.locator("button").click()  # Discard
    expect(page.locator("#offline-status .refused")).to_have_count(0)
    assert page.locator(".waiting-count, .learners-count, li.walk-in").count() == 0
    assert page.evaluate("""() => new Promise(done => {
        const open = indexedDB.open('sky-trainer', 1);
        open.onsuccess = () => { const all = open.result.transaction('queue').objectStore('queue')
                                 .getAll(); all.onsuccess = () => done(all.result.length); };
    })""") == 0
