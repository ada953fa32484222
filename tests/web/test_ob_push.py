"""The reverse road: a learner sends their badges from this service to another platform's
OB 3.0 API, this service acting as the API client through the SSRF-safe fetcher. Both sides
run for real on loopback ports (the platform is a second instance of this service, with its
own database): discovery → registration → the learner's consent at the platform → token
with PKCE → upsertCredential, which the platform accepts only after verifying the badge
against this service's did:web document and status list over HTTP."""

from __future__ import annotations

import re
import shutil
import threading
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from issuer.config import Settings
from issuer.services import unit_of_work
from issuer.services.learners import create_learner
from issuer.store.db import make_engine, make_sessionmaker
from issuer.store.ob_api_models import PushRequest, ReceivedCredential
from issuer.web import create_app
from tests.helpers import LEARNERS_CODE, free_port, issue, make_world, settings_for

EMAIL = "zoe@example.org"


def _serve(app, port: int):
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def overrides(database_url, tmp_path, port):
    """This service on a loopback port: its badges' did:web names that port."""
    return settings_for(tmp_path / "instance", database_url, AUTO_MIGRATE=False,
                        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                        SKY_ALLOW_HTTP_LOOPBACK=True)


@pytest.fixture
def ours(app, port):
    server = _serve(app, port)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def platform(tmp_path, migrated_sqlite):
    """Another OB 3.0 platform: where the same person is a learner, with a badge of its own."""
    port = free_port()
    path = tmp_path / "platform.db"
    shutil.copyfile(migrated_sqlite, path)
    settings = settings_for(tmp_path / "platform", f"sqlite:///{path}", AUTO_MIGRATE=False,
                            PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                            SKY_ALLOW_HTTP_LOOPBACK=True, SECRET_KEY="the-platform-secret")
    app = create_app(settings)
    engine = make_engine(settings["DATABASE_URL"])
    db = make_sessionmaker(engine, Settings.from_env(settings))()
    world = make_world(db, slug="barka", learner_names=())
    with unit_of_work(db):
        learner = create_learner(db, world.org, "Zoé Lefèvre", email=EMAIL)
    badge = issue(db, world, learner)
    server = _serve(app, port)
    yield SimpleNamespace(base=f"http://127.0.0.1:{port}", db=db, learner=learner, badge=badge)
    server.shutdown()
    db.close()
    engine.dispose()
    app.extensions["sky_queue"].close()
    app.extensions["sky_engine"].dispose()


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _open_claim(browser, base: str, token: str) -> str:
    door = browser.get(f"{base}/claim/{token}").text
    return browser.post(f"{base}/claim/{token}/code", data={
        "csrf_token": _form_token(door), "code": LEARNERS_CODE, "again": LEARNERS_CODE}).text


def _consent_at_platform(browser, platform, authorization_url: str, answer: str) -> str:
    _open_claim(browser, platform.base, platform.badge.claim_token)
    page = browser.get(authorization_url)
    assert page.status_code == 200
    consent = browser.post(f"{platform.base}/ims/ob/v3p0/authorize", data={
        "csrf_token": _form_token(page.text), "card": platform.badge.claim_token})
    back = browser.post(consent.url, data={"csrf_token": _form_token(consent.text),
                                           "answer": answer}, allow_redirects=False)
    assert back.status_code == 302
    return back.headers["Location"]


def _start_push(browser, ours: str, token: str, platform_base: str) -> str:
    claim_page = _open_claim(browser, ours, token)
    page = browser.post(f"{ours}/claim/{token}/push", data={
        "csrf_token": _form_token(claim_page), "platform": platform_base})
    assert page.status_code == 200
    return re.search(r'class="button primary" href="([^"]+)"', page.text).group(1).replace(
        "&amp;", "&")


def _badge_of_ours(db, world):
    with unit_of_work(db):
        db.merge(world.learners[0]).email = EMAIL
    return issue(db, world)


def test_the_learner_pushes_their_badge_to_another_platform(ours, platform, db, world):
    badge = _badge_of_ours(db, world)
    browser = requests.Session()
    authorization_url = _start_push(browser, ours, badge.claim_token, platform.base)
    assert authorization_url.startswith(f"{platform.base}/ims/ob/v3p0/authorize?")
    callback = _consent_at_platform(browser, platform, authorization_url, "allow")
    assert callback.startswith(f"{ours}/ims/ob/v3p0/push/callback?")
    page = browser.get(callback).text
    # In the learner's language (French here), on their claim page.
    assert f"127.0.0.1:{urlsplit(platform.base).port} a accepté 1 de vos 1 badges" in page
    kept = platform.db.query(ReceivedCredential).all()
    assert [row.document_id for row in kept] == [f"{ours}/credentials/{badge.uuid}"]
    assert kept[0].learner_id == platform.learner.id
    assert db.query(PushRequest).count() == 0  # the client secret and verifier are gone


def test_a_learner_who_says_no_at_the_platform_sends_nothing(ours, platform, db, world):
    badge = _badge_of_ours(db, world)
    browser = requests.Session()
    authorization_url = _start_push(browser, ours, badge.claim_token, platform.base)
    callback = _consent_at_platform(browser, platform, authorization_url, "deny")
    assert "Rien n’a été envoyé." in browser.get(callback).text
    assert platform.db.query(ReceivedCredential).count() == 0


def test_a_platform_that_cannot_be_reached_is_a_message_not_an_error(ours, db, world):
    badge = _badge_of_ours(db, world)
    browser = requests.Session()
    claim_page = _open_claim(browser, ours, badge.claim_token)
    page = browser.post(f"{ours}/claim/{badge.claim_token}/push", data={
        "csrf_token": _form_token(claim_page), "platform": "https://10.0.0.1"})
    assert page.status_code == 200 and "Nous n’avons pas pu nous connecter" in page.text


def test_a_forged_callback_is_refused(ours):
    response = requests.get(f"{ours}/ims/ob/v3p0/push/callback?state=forged&code=x",
                            timeout=10)
    assert response.status_code == 400
