"""The trainer imports a session's roster from the session page: all rows, or none with each
row's problem in the reader's language."""

from __future__ import annotations

import io

import pytest

from issuer.store.models import Learner
from tests.helpers import count, make_world, submit

HEADER = "name,email,language,consent_name,consent_email,consent_photo,consent_statistics"


@pytest.fixture
def page(client, world, login):
    login(world.trainer)
    return f"/trainer/sessions/{world.session.id}/roster"


def upload(client, page, text: str, filename="learners.csv"):
    return submit(client, page, {"file": (io.BytesIO(text.encode("utf-8")), filename)},
                  content_type="multipart/form-data")


def test_the_session_page_leads_to_the_import(client, world, page):
    assert page in client.get(f"/trainer/sessions/{world.session.id}").get_data(as_text=True)
    template = client.get(f"/trainer/sessions/{world.session.id}/roster.csv")
    assert template.get_data(as_text=True) == "\ufeff" + HEADER + "\r\n"


def test_a_good_file_enrols_everyone(client, db, world, page):
    response = upload(client, page, f"{HEADER}\nInès Moreau,,fr,yes,no,no,yes\nJo,,,,,,\n")
    assert response.status_code == 302
    assert count(db, Learner) == 4
    session_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 learners added to the session." in session_page


def test_a_bad_row_imports_nothing_and_says_which_row(client, db, world, page):
    response = upload(client, page, f"{HEADER}\nInès Moreau,,fr,yes,no,no,yes\n,,,,,,yes\n")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Nothing was imported." in text and "Row 3: name: is empty" in text
    assert count(db, Learner) == 2


def test_an_unusable_file_is_one_clear_message(client, db, world, page):
    response = upload(client, page, "", filename="empty.csv")
    assert response.status_code == 422
    assert "Nothing was imported: the file is empty" in response.get_data(as_text=True)


def test_another_organisations_session_is_refused(client, db, world, page):
    other = make_world(db, slug="barka", learner_names=())
    response = upload(client, f"/trainer/sessions/{other.session.id}/roster",
                      f"{HEADER}\nX,,,,,,\n")
    assert response.status_code == 403
