"""The reader's language through real pages: query, session, user setting, browser, English;
the switcher; translated errors and messages; dates and numbers written the local way."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from issuer.services import issuing, unit_of_work

ACQUIRED = {"dig-hole": "acquired", "stake-and-water": "acquired"}


# --- the reader's language -------------------------------------------------------------------


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no <html lang>"
    return match.group(1)


def test_browser_language_is_used_when_nothing_else_is_known(client):
    response = client.get("/auth/login", headers={"Accept-Language": "de;q=1, fr-BE;q=0.8"})
    assert page_language(response) == "fr"
    assert "<h1>Se connecter</h1>" in response.get_data(as_text=True)


def test_english_when_the_browser_asks_for_no_project_language(client):
    response = client.get("/auth/login", headers={"Accept-Language": "de, ja;q=0.5"})
    assert page_language(response) == "en"


def test_query_parameter_wins_over_the_browser_language(client):
    response = client.get("/auth/login?lang=pl", headers={"Accept-Language": "fr"})
    assert page_language(response) == "pl"


def test_language_chosen_with_the_query_is_remembered_in_the_session(client):
    client.get("/auth/login?lang=nl")
    response = client.get("/auth/login", headers={"Accept-Language": "fr"})
    assert page_language(response) == "nl"
    assert "<h1>Aanmelden</h1>" in response.get_data(as_text=True)


def test_user_setting_wins_over_the_browser_language(client, db, world, login):
    with unit_of_work(db):
        world.trainer.language = "nl"
    login(world.trainer)
    response = client.get("/trainer/", headers={"Accept-Language": "fr"})
    assert page_language(response) == "nl"


def test_session_choice_wins_over_the_user_setting_and_outlives_log_in(client, db, world, login):
    with unit_of_work(db):
        world.trainer.language = "nl"
    client.get("/auth/login?lang=fr")
    login(world.trainer)
    response = client.get("/trainer/", headers={"Accept-Language": "nl"})
    assert page_language(response) == "fr"


def test_language_switcher_names_each_language_in_itself_and_marks_the_current(client):
    html = client.get("/auth/login?lang=fr&next=/trainer/").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+"( aria-current="true")?>'
                       r"([^<]+)</a>", html)
    assert [(code, name, bool(current)) for _url, code, current, name in links] == [
        ("en", "English", False), ("fr", "Français", True), ("nl", "Nederlands", False),
        ("it", "Italiano", False), ("es", "Español", False), ("pl", "Polski", False),
    ]
    assert links[5][0] == "/auth/login?next=%2Ftrainer%2F&amp;lang=pl"


def test_error_page_and_its_message_are_translated(client):
    response = client.get("/no/such/page?lang=fr")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in html
    assert "Il n'y a rien à cette adresse." in html


def test_flashed_message_is_translated(client, world):
    client.get("/auth/login?lang=nl")
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"csrf_token": token,
                                                 "email": world.trainer.email,
                                                 "password": "not the password"})
    assert "Verkeerd e-mailadres of wachtwoord." in response.get_data(as_text=True)


# --- dates and numbers -----------------------------------------------------------------------


def test_verification_page_writes_the_issue_date_in_the_reader_language(client, db, world):
    with unit_of_work(db):
        assessment = issuing.save_assessment(db, world.session.id, world.learners[0].id,
                                             ACQUIRED, {}, None, None)
        credential = issuing.issue_for_assessment(
            db, assessment.id, None, now=datetime(2026, 3, 14, 10, 5, tzinfo=UTC))
    french = client.get(f"/v/{credential.short_id}?lang=fr").get_data(as_text=True)
    polish = client.get(f"/v/{credential.short_id}?lang=pl").get_data(as_text=True)
    assert "14 mars 2026" in french
    assert "14 marca 2026" in polish


def test_trainer_page_writes_session_dates_in_the_reader_language(client, world, login):
    login(world.trainer)
    french = client.get("/trainer/?lang=fr").get_data(as_text=True)
    polish = client.get("/trainer/?lang=pl").get_data(as_text=True)
    assert "2 mars 2026" in french
    assert "2 mar 2026" in polish
    assert "2026-03-02" not in french


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "1\u202f234,5"), ("nl", "1.234,5"), ("en", "1,234.5"),
])
def test_number_filter_groups_and_separates_decimals_the_local_way(app, language, expected):
    with app.test_request_context("/"), force_locale(language):
        assert app.jinja_env.from_string("{{ 1234.5|number }}").render() == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "14 mars 2026"), ("nl", "14 mrt 2026"), ("pl", "14 mar 2026"),
])
def test_date_filter_writes_dates_the_local_way(app, language, expected):
    with app.test_request_context("/"), force_locale(language):
        rendered = app.jinja_env.from_string("{{ day|date }}").render(day=date(2026, 3, 14))
    assert rendered == expected


def test_date_filter_leaves_a_missing_date_empty(app):
    with app.test_request_context("/"):
        assert app.jinja_env.from_string("{{ none|date }}").render(none=None) == ""
