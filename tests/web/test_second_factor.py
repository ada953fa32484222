"""The optional second factor on the web: turning it on, and log-ins that then ask a code."""

import base64
import re
from datetime import timedelta

from issuer.core.clock import utc_seconds
from issuer.services.second_factor import hotp, time_step
from tests.helpers import TEST_PASSWORD, submit


def _code(secret, moment=None):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return hotp(key, time_step(moment or utc_seconds()))


def _turn_on(client) -> str:
    page = client.get("/account/second-factor").text
    secret = re.search(r'<code class="one-time">([A-Z2-7]+)</code>', page).group(1)
    assert "<svg class=\"qr\"" in page
    earlier = _code(secret, utc_seconds() - timedelta(seconds=30))  # left for the log-in
    response = submit(client, "/account/second-factor", {"code": earlier})
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    return secret


def _recovery_codes(page: str) -> list[str]:
    return re.findall(r'<code class="one-time">([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>', page)


def test_after_turning_it_on_a_log_in_needs_the_code(app, world, login, client, db):
    login(world.admin)
    secret = _turn_on(client)
    db.expire_all()
    stored = db.get(type(world.admin), world.admin.id).totp_secret
    assert stored.startswith("v1.") and secret not in stored  # sealed at rest
    other = app.test_client()
    response = submit(other, "/auth/login", {"email": world.admin.email,
                                             "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.location == "/account/code"
    assert other.get("/admin/").status_code == 302  # not signed in yet
    wrong = submit(other, "/account/code", {"code": "12345"})
    assert wrong.status_code == 422 and "This code is not right" in wrong.text
    right = submit(other, "/account/code", {"code": _code(secret)})
    assert right.status_code == 302 and right.location == "/admin/"
    assert other.get("/admin/").status_code == 200


def test_a_code_used_once_does_not_sign_in_again(app, world, login, client):
    login(world.admin)
    secret = _turn_on(client)
    code = _code(secret)
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        submit(browser, "/auth/login", {"email": world.admin.email, "password": TEST_PASSWORD})
    assert submit(first, "/account/code", {"code": code}).status_code == 302
    assert submit(second, "/account/code", {"code": code}).status_code == 422


def test_wrong_codes_are_limited_per_account(app, world, login, client):
    login(world.admin)
    _turn_on(client)
    browser = app.test_client()
    submit(browser, "/auth/login", {"email": world.admin.email, "password": TEST_PASSWORD})
    limit = app.config["SETTINGS"].login_max_failures
    answers = [submit(browser, "/account/code", {"code": "000000"}).status_code
               for _ in range(limit + 1)]
    assert answers == [422] * limit + [429]


def test_a_code_page_without_a_password_first_goes_back_to_log_in(client):
    assert client.get("/account/code").status_code == 302


def test_trainers_have_no_second_factor_page(client, world, login):
    login(world.trainer)
    assert client.get("/account/second-factor").status_code == 403


def test_turning_it_on_shows_ten_recovery_codes_once(world, login, client):
    login(world.admin)
    page = client.get("/account/second-factor").text
    secret = re.search(r'<code class="one-time">([A-Z2-7]+)</code>', page).group(1)
    shown = submit(client, "/account/second-factor", {"code": _code(secret)})
    codes = _recovery_codes(shown.text)
    assert len(set(codes)) == 10
    again = client.get("/account/second-factor").text
    assert not _recovery_codes(again) and "10 unused recovery codes" in again


def test_a_recovery_code_signs_in_once_instead_of_the_app(app, world, login, client):
    login(world.admin)
    page = client.get("/account/second-factor").text
    secret = re.search(r'<code class="one-time">([A-Z2-7]+)</code>', page).group(1)
    code = _recovery_codes(submit(client, "/account/second-factor",
                                  {"code": _code(secret)}).text)[3]
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        submit(browser, "/auth/login", {"email": world.admin.email, "password": TEST_PASSWORD})
    typed = code.upper().replace("-", " ")  # read aloud or copied from paper: still the code
    right = submit(first, "/account/code", {"recovery_code": typed})
    assert right.status_code == 302 and right.location == "/admin/"
    used = submit(second, "/account/code", {"recovery_code": code})
    assert used.status_code == 422 and "used already" in used.text
    assert "9 unused recovery codes" in first.get("/account/second-factor").text
