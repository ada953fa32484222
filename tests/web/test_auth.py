"""Log-in, log-out, CSRF, lock-out, role and organisation guards, security headers, errors."""

from datetime import timedelta

import pytest
from flask import abort

from issuer.services import NotIssuable, unit_of_work
from issuer.web import create_app
from issuer.web.auth import current_user, login_required, require_same_org
from tests.helpers import TEST_PASSWORD, make_organisation, settings_for


def test_login_page_has_a_csrf_protected_form(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert 'type="password"' in page


def test_login_with_right_password_starts_a_session(client, world, login):
    response = login(world.trainer)
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session["user_id"] == world.trainer.id
        assert session.permanent is True


def test_logged_in_page_names_the_user_and_organisation(client, world, login):
    login(world.trainer)
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Théo Trainer · AGFE" in page


def test_login_with_wrong_password_is_refused(client, world, login):
    response = login(world.trainer, "not the password")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "user_id" not in session


def test_login_with_unknown_email_gives_the_same_answer(client, world, login):
    response = login("nobody@example.org", TEST_PASSWORD)
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/auth/login", data={"email": world.trainer.email,
                                                "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_account_is_locked_after_repeated_failures(client, world, login):
    for _ in range(5):
        assert login(world.trainer, "wrong password!").status_code == 401
    response = login(world.trainer)
    assert response.status_code == 429
    assert "Too many failed log-ins; try again in 15 minutes." in response.get_data(as_text=True)


def test_successful_login_clears_earlier_failures(client, world, login):
    for _ in range(4):
        login(world.trainer, "wrong password!")
    assert login(world.trainer).status_code == 302
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    for _ in range(4):
        login(world.trainer, "wrong password!")
    assert login(world.trainer).status_code == 302


def test_logout_ends_the_session(client, world, login):
    login(world.trainer)
    response = client.post("/auth/logout", data={"csrf_token": _token(client)})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "user_id" not in session


def test_logout_by_get_is_not_allowed(client, world, login):
    login(world.trainer)
    assert client.get("/auth/logout").status_code == 405


def test_next_parameter_only_redirects_within_the_site(client, world):
    from tests.helpers import submit

    response = submit(client, "/auth/login?next=//evil.example.com/x",
                      {"email": world.trainer.email, "password": TEST_PASSWORD})
    assert "evil.example.com" not in response.headers["Location"]


def test_next_parameter_returns_to_the_page_asked_for(client, world):
    from tests.helpers import submit

    response = submit(client, "/auth/login?next=/trainer/sessions/1",
                      {"email": world.trainer.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/trainer/sessions/1"


def test_the_cookie_outlives_the_server_side_session_it_carries(tmp_path, database_url):
    # The idle limit is the server's (tests/services/test_sessions.py); the cookie lasts as long
    # as a session at most may.
    app = create_app(settings_for(tmp_path, database_url, SESSION_MAX_HOURS=10,
                                  AUTO_MIGRATE=False))
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=10)


def test_a_request_that_changes_nothing_does_not_rewrite_the_cookie(client, world, login):
    """A background request answered late must not put back an older cookie (and with it lose
    a message just flashed)."""
    login(world.trainer)
    client.get("/trainer/")  # the first page of the session keeps its form token in the cookie
    assert "Set-Cookie" not in client.get("/trainer/").headers


def test_session_cookie_is_http_only_and_same_site(client, world, login):
    response = login(world.trainer)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie  # PUBLIC_BASE_URL is https in the tests
    assert "Expires=" in cookie


def test_security_headers_are_sent(client):
    headers = client.get("/auth/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.fixture
def guarded(app):
    """Views behind the guards, added before the first request."""

    @app.route("/test/any")
    @login_required()
    def any_user():
        return current_user().email

    @app.route("/test/admin")
    @login_required(role="admin")
    def admin_only():
        return "admin page"

    @app.route("/test/trainer")
    @login_required(role="trainer")
    def trainer_only():
        return "trainer page"

    @app.route("/test/org/<int:org_id>")
    @login_required()
    def org_page(org_id):
        from issuer.store.models import Organisation
        from issuer.web.extensions import db

        org = db().get(Organisation, org_id)
        require_same_org(_Owned(org.id) if org else None)
        return org.name

    @app.route("/test/boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    @app.route("/api/v1/test/refused")
    def refused():
        raise NotIssuable("2 of 2 gestures must be acquired")

    @app.route("/api/v1/test/forbidden")
    def forbidden():
        abort(403)

    return app


class _Owned:
    def __init__(self, organisation_id):
        self.organisation_id = organisation_id


def test_guarded_page_sends_a_stranger_to_the_login(client, guarded):
    response = client.get("/test/any")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/test/any"


def test_trainer_cannot_open_an_admin_page(client, guarded, world, login):
    login(world.trainer)
    assert client.get("/test/admin").status_code == 403


def test_admin_may_act_as_a_trainer(client, guarded, world, login):
    login(world.admin)
    assert client.get("/test/trainer").get_data(as_text=True) == "trainer page"
    assert client.get("/test/admin").get_data(as_text=True) == "admin page"


def test_another_organisation_is_not_found(client, guarded, world, db, login):
    with unit_of_work(db):
        other = make_organisation(db, slug="barka", name="BARKA", country="PL", language="pl")
    login(world.trainer)
    assert client.get(f"/test/org/{world.org.id}").get_data(as_text=True) == "AGFE"
    assert client.get(f"/test/org/{other.id}").status_code == 404


def test_deactivated_user_is_logged_out(client, guarded, world, db, login):
    login(world.trainer)
    with unit_of_work(db):
        db.merge(world.trainer).active = False
    assert client.get("/test/any").status_code == 302


def test_unexpected_error_shows_no_internals(client, guarded):
    response = client.get("/test/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "passwd" not in page and "Traceback" not in page


def test_missing_page_is_an_html_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_api_errors_are_json(client, guarded):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json == {"error": {"code": "not_found",
                                       "message": "There is nothing at this address."}}
    assert client.get("/api/v1/test/forbidden").json["error"]["code"] == "forbidden"


def test_service_refusal_becomes_422_with_its_message(client, guarded):
    response = client.get("/api/v1/test/refused")
    assert response.status_code == 422
    assert response.json == {"error": {"code": "NotIssuable",
                                       "message": "2 of 2 gestures must be acquired"}}


def _token(client):
    from tests.helpers import csrf_token

    return csrf_token(client.get("/auth/login").get_data(as_text=True))


def test_app_refuses_a_database_that_needs_migrating(tmp_path):
    from issuer.services import ServiceError

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(ServiceError, match="run `sky-badges db upgrade`"):
        create_app(settings_for(tmp_path, url, AUTO_MIGRATE=False))


def test_embedded_sqlite_database_is_created_on_start(tmp_path):
    from sqlalchemy import inspect

    url = f"sqlite:///{tmp_path / 'new' / 'sky.db'}"
    app = create_app(settings_for(tmp_path, url))
    assert "credential" in inspect(app.extensions["sky_engine"]).get_table_names()
    app.extensions["sky_engine"].dispose()


# --- sessions and log-in limits (ASVS V2, V3) --------------------------------------------------


def test_logout_kills_a_copied_session_cookie(app, client, world, login, guarded):
    login(world.trainer)
    copied = client.get_cookie("session").value
    assert client.get("/test/any").status_code == 200
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    thief = app.test_client()
    thief.set_cookie("session", copied, domain="localhost")
    response = thief.get("/test/any")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_an_unknown_address_costs_the_same_password_check(client, world, login, monkeypatch):
    from argon2 import PasswordHasher

    checks = []
    real_verify = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify",
                        lambda self, stored, given: checks.append(1) or real_verify(
                            self, stored, given))
    login("nobody@example.org", TEST_PASSWORD)
    login(world.trainer, "wrong password!")
    assert len(checks) == 2


def attacker(app, address):
    """A browser of its own, from `address`, that has never signed in."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def log_in_from(browser, email, password):
    from tests.helpers import submit

    return submit(browser, "/auth/login", {"email": email, "password": password})


def test_guessing_at_an_address_cannot_lock_out_the_browser_its_owner_uses(
        app, client, world, login):
    assert login(world.trainer).status_code == 302  # the owner's browser is now known
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4",
                    "198.51.100.5"):
        browser = attacker(app, address)
        for _ in range(4):
            assert log_in_from(browser, world.trainer.email, "guess!guess!").status_code == 401
    # Twenty guesses from five addresses: new browsers are refused for a while…
    assert log_in_from(attacker(app, "198.51.100.9"), world.trainer.email,
                       TEST_PASSWORD).status_code == 429
    # …but the owner's own browser still signs in.
    assert login(world.trainer).status_code == 302


def test_a_known_browser_has_a_budget_of_its_own(client, world, login):
    assert login(world.trainer).status_code == 302
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    for _ in range(5):
        assert login(world.trainer, "wrong password!").status_code == 401
    assert login(world.trainer).status_code == 429


@pytest.mark.postgres
def test_parallel_guesses_at_one_account_are_counted_one_by_one(database_url, world, overrides):
    import threading

    from issuer.config import Settings
    from issuer.services.accounts import TooManyAttempts, authenticate
    from issuer.store.db import make_engine, make_sessionmaker

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: the race needs PostgreSQL")
    settings = Settings.from_env(overrides)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine, settings)
    start, outcomes = threading.Barrier(12), []

    def guess():
        with sessions() as db:
            start.wait()
            try:
                with unit_of_work(db):
                    outcomes.append(authenticate(db, world.trainer.email, "guess!guess!",
                                                 "203.0.113.7"))
            except TooManyAttempts:
                outcomes.append("locked")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert outcomes.count(None) == settings.login_max_failures
    assert outcomes.count("locked") == 12 - settings.login_max_failures


def test_hsts_is_sent_when_the_service_is_public_over_https(client):
    assert client.get("/auth/login").headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains")


def test_rate_limits_key_on_the_client_behind_a_trusted_proxy(tmp_path, database_url):
    app = create_app(settings_for(tmp_path, database_url, AUTO_MIGRATE=False,
                                  SKY_TRUSTED_PROXIES=1, PUBLIC_VERIFY_RATE_LIMIT=1))
    browser = app.test_client()

    def verify_from(client_address):
        return browser.post("/verify", data={"credential": "{}"},
                            headers={"X-Forwarded-For": client_address},
                            environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code

    # One proxy address, three clients behind it: each client has its own budget.
    assert [verify_from("192.0.2.1"), verify_from("192.0.2.2"), verify_from("192.0.2.1")] == [
        200, 200, 429]


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(app, client):
    app.config["PUBLIC_VERIFY_RATE_LIMIT"] = 1
    statuses = [client.post("/verify", data={"credential": "{}"},
                            headers={"X-Forwarded-For": address}).status_code
                for address in ("192.0.2.1", "192.0.2.2")]
    assert statuses == [200, 429]


def test_request_logs_never_carry_a_claim_token(caplog):
    import logging

    from issuer.web.logs import install

    install(logging.getLogger("issuer.test"))
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('%s - - "%s" %s', "192.0.2.1",
                                           "GET /claim/s3cretT0ken/card.pdf HTTP/1.1", "200")
        logging.getLogger("gunicorn.access").info(
            "%(r)s", {"r": "GET /wallet/exchanges/abc123?x=1 HTTP/1.1", "U": "/claim/tok"})
    text = " ".join(record.getMessage() for record in caplog.records)
    assert "s3cretT0ken" not in text and "abc123" not in text and "/claim/tok" not in text
    assert "GET /claim/…/card.pdf" in text


def test_database_errors_do_not_carry_personal_data_into_logs(db, world, caplog):
    import logging

    from sqlalchemy.exc import IntegrityError

    from issuer.store.models import User
    from issuer.web.logs import install

    logger = logging.getLogger("issuer.test.db")
    install(logger)
    db.add(User(organisation_id=world.org.id, email=world.trainer.email, name="Zoë Secret",
                password_hash="x", role="trainer"))
    with pytest.raises(IntegrityError) as raised, caplog.at_level(logging.ERROR):
        try:
            db.flush()
        except IntegrityError:
            logger.exception("unhandled error")
            raise
    db.rollback()
    assert "Zoë Secret" not in str(raised.value)  # SQL parameters are hidden
    logged = caplog.text + "".join(record.exc_text or "" for record in caplog.records)
    assert "IntegrityError" in logged
    assert world.trainer.email not in logged and "Zoë Secret" not in logged
