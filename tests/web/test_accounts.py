"""A person's own account on the web: invitation, forgotten password, new password."""

import asyncio
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from issuer.core.clock import utc_seconds
from issuer.services import unit_of_work
from issuer.services.account_tokens import INVITATION, invite, request_reset
from issuer.store.models import AccountToken
from issuer.web import create_app
from issuer.web.logs import redact
from tests.helpers import TEST_PASSWORD, csrf_token, smtp_overrides, submit

NEW_PASSWORD = "a fresh and long passphrase"
SENT = "If an account uses this address"


@pytest.fixture
def mail_app(smtp_server, overrides):
    controller, mailbox = smtp_server
    app = create_app({**overrides, **smtp_overrides(controller)})
    yield app, mailbox
    app.extensions["sky_engine"].dispose()


def _wait_for(mailbox, count: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while len(mailbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def _link_in(message) -> str:
    return re.search(r"https://badges\.example\.org(/account/\S+)", message.get_content()).group(1)


def test_a_reset_request_answers_the_same_for_a_known_and_an_unknown_address(mail_app, world):
    app, mailbox = mail_app
    client = app.test_client()
    known = submit(client, "/account/reset", {"email": world.admin.email})
    unknown = submit(client, "/account/reset", {"email": "nobody@agfe.example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data() and SENT in known.text
    _wait_for(mailbox, 1)
    time.sleep(0.2)
    assert [recipients for _s, recipients, _m in mailbox.messages] == [[world.admin.email]]


def test_the_reset_mail_leaves_after_the_answer_so_timing_does_not_tell(mail_app, world):
    app, mailbox = mail_app
    original = mailbox.handle_DATA

    async def slow(server, session, envelope):
        await asyncio.sleep(3)
        return await original(server, session, envelope)

    mailbox.handle_DATA = slow
    client = app.test_client()
    token = csrf_token(client.get("/account/reset").text)
    response = client.post("/account/reset", data={"csrf_token": token,
                                                   "email": world.admin.email})
    # The answer came before the mail server took the message: nobody can time it.
    assert response.status_code == 200 and mailbox.messages == []
    _wait_for(mailbox, 1, seconds=30)
    assert len(mailbox.messages) == 1


def test_a_reset_link_sets_the_password_once_and_ends_every_session(mail_app, world, db):
    app, mailbox = mail_app
    signed_in = app.test_client()
    submit(signed_in, "/auth/login", {"email": world.admin.email, "password": TEST_PASSWORD})
    client = app.test_client()
    submit(client, "/account/reset", {"email": world.admin.email})
    _wait_for(mailbox, 1)
    path = _link_in(mailbox.messages[0][2])
    response = submit(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.location == "/auth/login"
    assert signed_in.get("/admin/").status_code == 302  # back to the log-in page
    assert client.get(path).status_code == 410
    assert submit(client, "/auth/login", {"email": world.admin.email,
                                          "password": NEW_PASSWORD}).status_code == 302


def test_two_different_passwords_or_a_common_one_are_refused_on_the_page(client, db, world):
    with unit_of_work(db):
        _user, token = request_reset(db, world.admin.email)
    page = f"/account/reset/{token}"
    response = submit(client, page, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert response.status_code == 422 and "The two passwords are not the same." in response.text
    response = submit(client, page, {"password": "password1234", "confirm": "password1234"})
    assert response.status_code == 422 and "most common" in response.text
    response = submit(client, page, {"password": "short pass", "confirm": "short pass"})
    assert response.status_code == 422 and "at least 12 characters" in response.text
    assert client.get(page).status_code == 200  # still usable


def test_an_expired_or_unknown_invitation_is_gone(client, db, world):
    with unit_of_work(db):
        _user, token = invite(db, world.org, "nora@agfe.example.org", "trainer", world.admin)
        record = db.scalar(select(AccountToken).where(AccountToken.purpose == INVITATION))
        record.expires_at = utc_seconds() - timedelta(seconds=1)
    response = client.get(f"/account/invitation/{token}")
    assert response.status_code == 410 and "expired" in response.text
    assert client.get("/account/invitation/never-sent").status_code == 410
    assert client.get("/account/invitation/" + "x" * 500).status_code == 410
    token = csrf_token(client.get("/account/reset").text)
    assert client.post("/account/invitation/never-sent",
                       data={"csrf_token": token}).status_code == 410


def test_token_pages_and_reset_requests_are_rate_limited_per_address(client, world, app):
    limit = app.config["SETTINGS"].login_max_failures * 4
    token = csrf_token(client.get("/account/reset").text)
    answers = [client.post("/account/reset", data={"csrf_token": token,
                                                   "email": f"n{i}@example.org"}).status_code
               for i in range(limit + 1)]
    assert answers[:limit] == [200] * limit and answers[-1] == 429
    refused = client.post("/account/invitation/whatever", data={"csrf_token": token})
    assert refused.status_code == 429 and "Too many attempts" in refused.text


def test_changing_the_password_needs_the_current_one_and_logs_out_other_devices(app, world,
                                                                               login):
    other = app.test_client()
    submit(other, "/auth/login", {"email": world.trainer.email, "password": TEST_PASSWORD})
    client = app.test_client()
    submit(client, "/auth/login", {"email": world.trainer.email, "password": TEST_PASSWORD})
    wrong = submit(client, "/account/password", {"current": "not it at all", "password":
                                                 NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    done = submit(client, "/account/password", {"current": TEST_PASSWORD, "password":
                                                NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/trainer/").status_code == 200
    assert other.get("/trainer/").status_code == 302


def test_account_links_never_reach_the_logs():
    line = '"GET /account/reset/s3cret HTTP/1.1" "POST /account/invitation/t0ken?x=1"'
    assert redact(line) == '"GET /account/reset/… HTTP/1.1" "POST /account/invitation/…?x=1"'
