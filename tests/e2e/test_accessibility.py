"""WCAG 2.1 A/AA in a real headless Chromium: axe-core over every page in every language, text
resized to 200 % on a 320-pixel screen, the trainer's evaluation form by keyboard alone, the
verdict in words, and an employer page that needs no JavaScript.

axe-core is the copy bundled with the PyPI package axe-playwright-python (no network needed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from babel.support import Translations
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from issuer.config import Settings
from issuer.core import sd_jwt
from issuer.core.keys import P256, PrivateKey
from issuer.core.multibase import b64url
from issuer.services import unit_of_work
from issuer.services.accounts import create_user
from issuer.store.db import make_engine, normalise_url
from issuer.store.models import (
    AchievementTemplate,
    Assessment,
    Credential,
    Organisation,
    TrainingSession,
)
from issuer.web.i18n import TRANSLATIONS
from tests.e2e.helpers import (
    LANGUAGES,
    Account,
    axe_violations,
    gestures_of,
    log_in,
    new_page,
    opened_pdf,
    qr_texts,
)

pytestmark = pytest.mark.browser

ORGANISATION = "cec"  # the journey works in another organisation, so pages here stay as seeded


@dataclass(frozen=True)
class Seeded:
    """Ids of seeded records whose pages are audited."""

    session_id: int
    issued_learner_id: int
    not_yet_learner_id: int
    credential_uuid: str
    valid: str
    revoked: str
    expired: str
    template_id: str


@pytest.fixture(scope="session")
def seeded(service) -> Seeded:
    """The audited organisation's first session, its learners and badges, read from the database."""
    engine = create_engine(normalise_url(service.database_url))
    with engine.connect() as connection:
        org_id = connection.scalar(select(Organisation.id).where(Organisation.slug == ORGANISATION))
        session_id = connection.scalar(select(TrainingSession.id)
                                       .where(TrainingSession.organisation_id == org_id)
                                       .order_by(TrainingSession.id))
        assessed = connection.execute(
            select(Assessment.learner_id, Credential.uuid, Credential.revoked_at)
            .outerjoin(Credential, Credential.assessment_id == Assessment.id)
            .where(Assessment.session_id == session_id).order_by(Assessment.id)).all()
        states = _states(connection, org_id)
        template_id = connection.scalar(select(AchievementTemplate.template_id)
                                        .where(AchievementTemplate.current.is_(True))
                                        .order_by(AchievementTemplate.id))
    engine.dispose()
    issued = next(row for row in assessed if row.uuid and row.revoked_at is None)
    not_yet = next(row for row in assessed if row.uuid is None)
    return Seeded(session_id, issued.learner_id, not_yet.learner_id, issued.uuid,
                  states["valid"], states["revoked"], states["expired"], template_id)


def _states(connection, org_id: int) -> dict[str, str]:
    """The first valid, revoked and expired badge of the organisation, by short id."""
    now = datetime.now(UTC)
    rows = connection.execute(select(Credential.short_id, Credential.revoked_at,
                                     Credential.valid_until)
                              .where(Credential.organisation_id == org_id)
                              .order_by(Credential.id)).all()
    states: dict[str, str] = {}
    for short_id, revoked_at, valid_until in rows:
        until = valid_until and (valid_until if valid_until.tzinfo else
                                 valid_until.replace(tzinfo=UTC))
        state = "revoked" if revoked_at else ("expired" if until and until < now else "valid")
        states.setdefault(state, short_id)
    return states


# --- axe-core --------------------------------------------------------------------------------


def audit(page, label: str, problems: dict[str, list[str]], language: str) -> None:
    """Run axe on the current page and file its violations under `label`; check <html lang>."""
    found = axe_violations(page)
    shown = page.evaluate("document.documentElement.lang")
    if shown != language:
        found.append(f"<html lang> is {shown!r}, not the requested {language!r}")
    if found:
        problems[f"{label} {page.url}"] = found


def with_lang(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def visit(page, path: str, language: str, label: str, problems: dict) -> None:
    page.goto(with_lang(path, language))
    audit(page, label, problems, language)


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(lines) for where, lines in problems.items())


def test_axe_reports_a_field_without_a_label_and_a_skipped_heading_level(page):
    """The zero-violation checks below mean something: axe runs and sees a broken page."""
    page.goto("/auth/login")
    page.evaluate("""() => {
        document.querySelector('label[for=email]').remove();
        document.querySelector('main').insertAdjacentHTML('beforeend', '<h4>Too deep</h4>');
    }""")
    rules = {line.split(" ", 1)[0] for line in axe_violations(page)}
    assert {"label", "heading-order"} <= rules


# --- every page, every language --------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_have_no_wcag_violations(browser, request, service, seeded, language):
    page = new_page(browser, request, service, locale=language)
    problems: dict[str, list[str]] = {}
    for label, path in (("front door", "/"),
                        ("card code not found", "/v?code=NOSUCHID0"),
                        ("verify form", "/verify"),
                        ("valid badge", f"/v/{seeded.valid}"),
                        ("revoked badge", f"/v/{seeded.revoked}"),
                        ("expired badge", f"/v/{seeded.expired}"),
                        ("unknown badge", "/v/NOSUCHID0"),
                        ("issuer", f"/issuers/{ORGANISATION}"),
                        ("achievement", f"/achievements/{seeded.template_id}"),
                        ("log-in", "/auth/login"),
                        ("forgotten password", "/account/reset"),
                        ("dead account link", "/account/reset/not-a-token"),
                        ("error page", "/no/such/page")):
        visit(page, path, language, label, problems)
    _verify_pasted(page, language, page.request.get(f"/credentials/{seeded.credential_uuid}")
                   .text(), "verify result", problems)
    _verify_pasted(page, language, "this is not a credential", "verify refused", problems)
    _verify_pasted(page, language, _sd_jwt_presentation(), "verify SD-JWT VC", problems)
    _wrong_password(page, language, problems)
    assert not problems, _report(problems)


def test_api_documentation_has_no_wcag_violations(page):
    """For developers, in English only (it says so with <html lang="en">)."""
    problems: dict[str, list[str]] = {}
    visit(page, "/api/docs", "en", "API documentation", problems)
    assert not problems, _report(problems)


def _sd_jwt_presentation() -> str:
    """An SD-JWT VC presentation by a did:jwk issuer (no status: "not everything proven")."""
    issuer, holder = PrivateKey.generate(), PrivateKey.generate(P256)
    did = "did:jwk:" + b64url(json.dumps(issuer.public_key.to_jwk()).encode())
    token = sd_jwt.issue({"iss": did, "vct": "urn:example:badge", "achievement": {"name": "Tri"},
                          "cnf": {"jwk": holder.public_key.to_jwk()},
                          "credentialSubject": {"name": "Zoé Lefèvre"}},
                         [("credentialSubject", "name")], issuer, {"kid": did + "#0"})
    return sd_jwt.present(token, ["name"], holder, "n", "https://hr.example")


def _verify_pasted(page, language: str, text: str, label: str, problems: dict) -> None:
    page.goto(with_lang("/verify", language))
    page.fill("#credential", text)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    audit(page, label, problems, language)


def _wrong_password(page, language: str, problems: dict) -> None:
    page.goto(with_lang("/auth/login", language))
    page.fill("#email", f"nobody-{language}@sky-badges.test")  # one failure each: no lock-out
    page.fill("#password", "not the password")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    audit(page, "log-in refused", problems, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_trainer_pages_have_no_wcag_violations(browser, request, service, seeded, language):
    page = new_page(browser, request, service, locale=language)
    log_in(page, service.account(ORGANISATION, "trainer"))
    problems: dict[str, list[str]] = {}
    session = f"/trainer/sessions/{seeded.session_id}"
    for label, path in (("sessions", "/trainer/"),
                        ("new session", "/trainer/sessions/new"),
                        ("session", session),
                        ("evaluation (issued)", f"{session}/learners/{seeded.issued_learner_id}"),
                        ("evaluation (not yet)",
                         f"{session}/learners/{seeded.not_yet_learner_id}"),
                        ("issued badge", f"/trainer/credentials/{seeded.credential_uuid}"),
                        ("learner added offline", f"{session}/learners/new"),
                        ("follow-ups", "/trainer/follow-ups")):
        visit(page, path, language, label, problems)
    page.goto(with_lang("/trainer/sessions/new", language))
    page.fill("#starts_on", "")  # a required date left empty: the form comes back with errors
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    audit(page, "new session with errors", problems, language)
    assert not problems, _report(problems)


ADMIN_PAGES = ("/admin/", "/admin/organisation", "/admin/trainers", "/admin/keys",
               "/admin/catalogue", "/admin/credentials", "/admin/tokens", "/admin/audit",
               "/admin/stats", "/admin/bulk", "/admin/endorsements", "/account/password",
               "/account/second-factor")


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_pages_have_no_wcag_violations(browser, request, service, seeded, language):
    page = new_page(browser, request, service, locale=language)
    log_in(page, service.account(ORGANISATION, "admin"))
    problems: dict[str, list[str]] = {}
    for path in ADMIN_PAGES:
        visit(page, path, language, path, problems)
    revoke = f"/admin/credentials/{seeded.credential_uuid}/revoke"
    visit(page, revoke, language, "revoke", problems)
    with page.expect_navigation():
        page.click("main form button.danger")  # no reason, not confirmed: errors, nothing revoked
    audit(page, "revoke with errors", problems, language)
    visit(page, f"/admin/credentials/revoke?uuid={seeded.credential_uuid}", language,
          "revoke several", problems)
    visit(page, "/admin/stats?from=2026-13-01", language, "statistics with a bad filter",
          problems)
    visit(page, "/admin/keys", language, "keys", problems)
    with page.expect_navigation():
        page.click("main a[href$='/withdraw']")  # the confirmation only: nothing is withdrawn
    audit(page, "key withdrawal confirmation", problems, language)
    assert not problems, _report(problems)


@pytest.fixture(scope="session")
def coordinator(service) -> Account:
    """The project coordinator, an account of CEC (SKY's coordinating partner) added beside the
    demo's: CEC's figures are their own, every other partner's small counts show as "<5"."""
    account = Account(ORGANISATION, "coordinator", "coordinator@cec.sky-badges.test",
                      "a long coordinator passphrase")
    engine = make_engine(service.database_url)
    try:
        with Session(engine) as db, unit_of_work(db):
            cec = db.scalar(select(Organisation).where(Organisation.slug == ORGANISATION))
            create_user(db, cec, account.email, "Claire Coord", account.role, account.password,
                        config=Settings.from_env({"DATABASE_URL": service.database_url}))
    finally:
        engine.dispose()
    return account


REPORTING_PAGES = (("statistics, every partner", "/admin/stats"),
                   ("statistics, one other partner", "/admin/stats?partner=agfe"),
                   ("statistics, own organisation", f"/admin/stats?partner={ORGANISATION}"),
                   ("partners", "/coordinator/"),
                   ("targets", "/coordinator/targets"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_reporting_pages_have_no_wcag_violations(browser, request, service, coordinator,
                                                 language):
    """The statistics page (targets, path, outcomes, gestures, months: tables and SVG charts),
    the partners' overview and the targets page, as the coordinator sees them."""
    page = new_page(browser, request, service, locale=language)
    log_in(page, coordinator)
    problems: dict[str, list[str]] = {}
    for label, path in REPORTING_PAGES:
        visit(page, path, language, label, problems)
    assert page.locator("svg.chart").count() == 0  # the targets page is a table, no chart
    page.goto(with_lang("/admin/stats", language))
    assert page.locator("svg.chart[role=img]").count() == 4
    assert not problems, _report(problems)


@pytest.fixture(scope="session")
def claim_url(browser, service, seeded, tmp_path_factory) -> str:
    """A learner's claim link, as printed on the back of their card by the trainer."""
    context = browser.new_context(base_url=service.base_url)
    try:
        page = context.new_page()
        log_in(page, service.account(ORGANISATION, "trainer"))
        page.goto(f"/trainer/credentials/{seeded.credential_uuid}")
        card = opened_pdf(page, "form[action$='/card.pdf'] button[type=submit]",
                          tmp_path_factory.mktemp("card"))
    finally:
        context.close()
    return next(text for text in qr_texts(card, page_index=1) if "/claim/" in text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_claim_pages_have_no_wcag_violations(browser, request, service, claim_url, language):
    page = new_page(browser, request, service, locale=language)
    problems: dict[str, list[str]] = {}
    visit(page, claim_url, language, "claim door", problems)
    code = "4826"
    if page.locator("#again").count():
        page.fill("#again", code)
    page.fill("#code", code)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    visit(page, claim_url, language, "claim", problems)
    visit(page, f"{claim_url}/wallet", language, "wallet invitations", problems)
    visit(page, f"{claim_url}/wallet/code", language, "wallet offer with a code", problems)
    assert not problems, _report(problems)


def test_form_errors_are_tied_to_their_field(browser, request, service):
    page = new_page(browser, request, service, viewport={"width": 390, "height": 844})
    log_in(page, service.account(ORGANISATION, "trainer"))
    page.goto("/trainer/sessions/new")
    page.fill("#starts_on", "")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    field = page.locator("#starts_on")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    errors = page.locator(f"#{described[0]}")
    assert described[0] == "starts_on-errors"
    assert errors.inner_text().strip() != ""


def test_catalogue_texts_on_the_evaluation_form_carry_their_own_language(browser, request,
                                                                         service, seeded):
    """WCAG 3.1.2: an English page shows a French session's gestures marked as French."""
    page = new_page(browser, request, service)
    log_in(page, service.account(ORGANISATION, "trainer"))
    page.goto(f"/trainer/sessions/{seeded.session_id}/learners/{seeded.not_yet_learner_id}?lang=en")
    assert page.evaluate("document.documentElement.lang") == "en"
    marked = page.eval_on_selector_all(
        "fieldset.gesture legend, label.level span", "nodes => nodes.map(n => n.lang)")
    assert marked and set(marked) == {"fr"}


# --- text resized to 200 % on a 320-pixel-wide screen ----------------------------------------


def _overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _text_size(page) -> float:
    return page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('main')"
                         " || document.body).fontSize)")


def _double_text_size(page) -> None:
    """What a reader's 200 % text setting does: the root font size doubles (rem/em follow)."""
    before = _text_size(page)
    page.evaluate("() => document.documentElement.style.setProperty("
                  "'font-size', '200%', 'important')")
    assert _text_size(page) == pytest.approx(2 * before), "text does not follow the root size"


@pytest.mark.parametrize("path", ["/", "/v/{valid}", "/v/{revoked}", "/verify",
                                  "/issuers/" + ORGANISATION, "/auth/login"])
def test_public_page_at_200_percent_text_needs_no_horizontal_scroll(browser, request, service,
                                                                   seeded, path):
    page = new_page(browser, request, service, viewport={"width": 320, "height": 640})
    page.goto(path.format(valid=seeded.valid, revoked=seeded.revoked) + "?lang=pl")
    _double_text_size(page)
    assert _overflow(page) == 0


@pytest.mark.parametrize("path", ["/trainer/", "/trainer/sessions/{session}",
                                  "/trainer/sessions/{session}/learners/{learner}",
                                  "/trainer/follow-ups"])
def test_trainer_page_at_200_percent_text_needs_no_horizontal_scroll(browser, request, service,
                                                                    seeded, path):
    page = new_page(browser, request, service, viewport={"width": 320, "height": 640})
    log_in(page, service.account(ORGANISATION, "trainer"))
    page.goto(path.format(session=seeded.session_id, learner=seeded.not_yet_learner_id))
    _double_text_size(page)
    assert _overflow(page) == 0


@pytest.mark.parametrize("path", ["/admin/", "/admin/trainers", "/admin/credentials",
                                  "/admin/stats", "/account/second-factor"])
def test_admin_page_at_200_percent_text_needs_no_horizontal_scroll(browser, request, service,
                                                                  path):
    """Wide tables scroll inside their own box (WCAG 1.4.10 allows it for data tables)."""
    page = new_page(browser, request, service, viewport={"width": 320, "height": 640})
    log_in(page, service.account(ORGANISATION, "admin"))
    page.goto(path)
    _double_text_size(page)
    assert _overflow(page) == 0


@pytest.mark.parametrize("path", ["/admin/stats", "/coordinator/", "/coordinator/targets"])
def test_coordinator_page_at_200_percent_text_needs_no_horizontal_scroll(browser, request,
                                                                        service, coordinator,
                                                                        path):
    page = new_page(browser, request, service, viewport={"width": 320, "height": 640})
    log_in(page, coordinator)
    page.goto(path)
    _double_text_size(page)
    assert _overflow(page) == 0


# --- keyboard only ---------------------------------------------------------------------------


def _focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), type: e.type || '', name: e.name || '',
                value: e.value || '', text: (e.innerText || '').trim()};
    }""")


def _tab_to(page, wanted, limit: int = 80) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if wanted(focused):
            return focused
    raise AssertionError("the keyboard never reached the control")


def test_trainer_adds_evaluates_and_issues_with_the_keyboard_alone(browser, request, service,
                                                                   seeded):
    page = new_page(browser, request, service, viewport={"width": 1280, "height": 900})
    log_in(page, service.account(ORGANISATION, "trainer"))
    page.goto(f"/trainer/sessions/{seeded.session_id}")
    _tab_to(page, lambda f: f["name"] == "name")
    page.keyboard.type("Zuzanna Kołodziej")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/learners/\d+$", page.url), page.url
    for gesture, acquired, _not_yet in gestures_of(service, seeded.session_id):
        _tab_to(page, lambda f, gesture=gesture: f["name"] == f"level_{gesture}")
        page.keyboard.press("Space")  # Tab lands on the group's first option; Space picks it
        for _ in range(10):  # the arrow keys move the choice within the group
            if _focused(page)["value"] == acquired:
                break
            page.keyboard.press("ArrowDown")
        assert _focused(page)["value"] == acquired
    _tab_to(page, lambda f: f["tag"] == "button" and f["value"] == "issue")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/trainer/credentials/" in page.url
    assert page.locator("a.verify-link").count() == 1


def _luminance(rgb: str) -> float:
    """WCAG relative luminance of a computed `rgb(r, g, b)` colour."""
    channels = [int(value) / 255 for value in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("control", ["email", "password"])
def test_keyboard_focus_ring_is_visible_against_the_page(page, control):
    page.goto("/auth/login")
    _tab_to(page, lambda f: f["name"] == control)
    ring = page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor,
                page: getComputedStyle(document.body).backgroundColor};
    }""")
    assert ring["style"] == "solid" and ring["width"] >= 2
    assert contrast(ring["colour"], ring["page"]) >= 3  # WCAG 1.4.11 for the focus state


def test_skip_link_is_the_first_tab_stop_and_leads_to_the_main_content(page, seeded):
    page.goto(f"/v/{seeded.valid}")
    page.keyboard.press("Tab")
    assert _focused(page)["tag"] == "a"
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


# --- what a screen reader announces (the browser's accessibility tree) --------------------------


def test_screen_reader_meets_the_verdict_as_the_page_heading_in_a_status(page, seeded):
    page.goto(f"/v/{seeded.valid}?lang=en")
    assert page.get_by_role("heading", level=1).all_inner_texts() == ["Valid"]
    assert page.get_by_role("status").get_by_role("heading", name="Valid").count() == 1


def test_screen_reader_hears_each_gesture_as_a_named_group_of_labelled_choices(
        browser, request, service, seeded):
    page = new_page(browser, request, service)
    log_in(page, service.account(ORGANISATION, "trainer"))
    page.goto(f"/trainer/sessions/{seeded.session_id}/learners/{seeded.not_yet_learner_id}"
              "?lang=en")
    legends = page.locator("fieldset.gesture legend").all_inner_texts()
    assert legends
    for legend in legends:
        group = page.get_by_role("group", name=legend.strip(), exact=True)
        labels = group.locator("label.level span").all_inner_texts()
        radios = [group.get_by_role("radio", name=label.strip(), exact=True) for label in labels]
        assert labels and [radio.count() for radio in radios] == [1] * len(labels)


# --- the employer's page ---------------------------------------------------------------------


@pytest.mark.parametrize(("state", "word"), [
    ("valid", "Valid"), ("revoked", "Revoked"), ("expired", "Expired")])
def test_verdict_is_written_in_words_not_only_in_colour(page, seeded, state, word):
    for language in LANGUAGES:
        page.goto(f"/v/{getattr(seeded, state)}?lang={language}")
        expected = Translations.load(str(TRANSLATIONS), [language]).gettext(word)
        assert (language, page.inner_text("#verdict-title").strip()) == (language, expected)


def test_employer_page_loads_no_javascript(page, seeded):
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(f"/v/{seeded.valid}")
    assert scripts == []
    assert page.eval_on_selector_all("script", "nodes => nodes.length") == 0


def test_employer_page_reads_the_same_with_javascript_off(browser, request, service, seeded):
    page = new_page(browser, request, service, java_script_enabled=False)
    page.goto(f"/v/{seeded.valid}?lang=en")
    assert page.inner_text("#verdict-title").strip() == "Valid"


def test_employer_page_weight_stays_under_30_kb(page, seeded):
    sizes: dict[str, int] = {}

    def keep(response):
        if response.request.resource_type in ("document", "stylesheet"):
            sizes[response.url] = len(response.body())

    page.on("response", keep)
    page.goto(f"/v/{seeded.valid}")
    page.wait_for_load_state("load")
    print("employer page weight:", json.dumps(sizes), sum(sizes.values()), "bytes")
    assert sum(sizes.values()) < 30_000
