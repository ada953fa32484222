"""Every journey's pages on a 390×844 phone in French and Polish (long words, long sentences):
nothing wider than the screen, no table squeezed to one letter a line, and every button, fold
and header link a target of at least 44 pixels. Found walking the journeys on a phone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, select

from issuer.store.db import normalise_url
from issuer.store.models import Credential, Organisation
from tests.e2e.helpers import PHONE, log_in, new_page

pytestmark = pytest.mark.browser

ORGANISATION = "scf"  # the other browser tests work in cec, agfe, barka and mirec
TARGET_PX = 44

MEASURE = """() => {
  const small = [], squeezed = [];
  const targets = 'button, a.button, select, summary, input:not([type=hidden]):not([type=radio])'
    + ':not([type=checkbox]), header a, .actions > a';
  for (const node of document.querySelectorAll(targets)) {
    const box = node.getBoundingClientRect();
    if (box.width && box.height && box.height < TARGET) {
      small.push(`${node.tagName} "${(node.innerText || node.name || '').trim().slice(0, 40)}" `
                 + `${Math.round(box.height)} px high`);
    }
  }
  for (const cell of document.querySelectorAll('table th, table td')) {
    if (cell.matches(':has(> .visually-hidden:only-child)')) continue;  // a column of boxes
    const box = cell.getBoundingClientRect();
    const label = cell.innerText.trim();
    if (box.width && label.length > 2 && box.width < 48) {
      squeezed.push(`"${label.slice(0, 30)}" ${Math.round(box.width)} px wide`);
    }
  }
  return {overflow: document.documentElement.scrollWidth - window.innerWidth, small, squeezed};
}""".replace("TARGET", str(TARGET_PX))


def badges(service) -> dict[str, str]:
    """A valid and a revoked badge of the organisation: short id and uuid."""
    engine = create_engine(normalise_url(service.database_url))
    with engine.connect() as connection:
        org_id = connection.scalar(select(Organisation.id).where(
            Organisation.slug == ORGANISATION))
        rows = connection.execute(select(Credential.short_id, Credential.uuid,
                                         Credential.revoked_at)
                                  .where(Credential.organisation_id == org_id)
                                  .order_by(Credential.id)).all()
    engine.dispose()
    valid = next(row for row in rows if row.revoked_at is None)
    revoked = next(row for row in rows if row.revoked_at is not None)
    return {"valid": valid.short_id, "uuid": valid.uuid, "revoked": revoked.short_id}


def check(page, label: str, problems: dict[str, list[str]]) -> None:
    found = page.evaluate(MEASURE)
    lines = [f"{found['overflow']} px wider than the screen"] if found["overflow"] > 0 else []
    lines += [f"small target: {item}" for item in found["small"]]
    lines += [f"squeezed cell: {item}" for item in found["squeezed"]]
    if lines:
        problems[f"{label} {page.url}"] = lines


def visit(page, path: str, language: str, problems: dict) -> None:
    page.goto(f"{path}{'&' if '?' in path else '?'}lang={language}")
    check(page, path, problems)


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(lines) for where, lines in problems.items())


@pytest.mark.parametrize("language", ["fr", "pl"])
def test_the_trainers_and_the_learners_pages_fit_a_phone(browser, request, service, language):
    page = new_page(browser, request, service, viewport=PHONE, locale=language)
    problems: dict[str, list[str]] = {}
    visit(page, "/auth/login", language, problems)
    log_in(page, service.account(ORGANISATION, "trainer"))
    visit(page, "/trainer/", language, problems)
    session = page.locator("main a[href*='/trainer/sessions/']:not([href$='/new'])").first
    session_path = session.get_attribute("href")
    visit(page, session_path, language, problems)
    learner = page.locator("a.card-link").first.get_attribute("href")
    visit(page, learner, language, problems)
    shown = badges(service)
    visit(page, f"/trainer/credentials/{shown['uuid']}", language, problems)
    with page.expect_navigation():
        page.click("form[action$='/claim-link'] button[type=submit]")
    check(page, "claim link shown", problems)
    claim = re.search(r"/claim/[A-Za-z0-9_-]+", page.content()).group(0)

    learner_page = new_page(browser, request, service, viewport=PHONE, locale=language)
    visit(learner_page, claim, language, problems)
    for field in ("#again", "#code"):
        if learner_page.locator(field).count():
            learner_page.fill(field, "7391")
    if learner_page.locator("#code").count():
        with learner_page.expect_navigation():
            learner_page.click("main form button[type=submit]")
    visit(learner_page, claim, language, problems)
    visit(learner_page, f"{claim}/wallet", language, problems)
    assert not problems, report(problems)


@pytest.mark.parametrize("language", ["fr", "pl"])
def test_the_employers_pages_fit_a_phone(browser, request, service, language):
    page = new_page(browser, request, service, viewport=PHONE, locale=language)
    problems: dict[str, list[str]] = {}
    shown = badges(service)
    for path in ("/", "/v?code=ZZ-TYPO-9", f"/v/{shown['valid']}", f"/v/{shown['revoked']}",
                 "/v/NOPE12345", "/verify"):
        visit(page, path, language, problems)
    assert not problems, report(problems)


@pytest.mark.parametrize("language", ["fr", "pl"])
def test_the_partner_admins_lists_fit_a_phone(browser, request, service, language):
    page = new_page(browser, request, service, viewport=PHONE, locale=language)
    problems: dict[str, list[str]] = {}
    log_in(page, service.account(ORGANISATION, "admin"))
    shown = badges(service)
    for path in ("/admin/", "/admin/credentials", f"/admin/credentials/revoke?uuid={shown['uuid']}",
                 "/admin/catalogue", "/admin/learners", "/admin/audit", "/admin/keys",
                 "/admin/tokens", "/admin/trainers"):
        visit(page, path, language, problems)
    assert not problems, report(problems)
