"""The admin catalogue page shows each problem of an uploaded file in the reader's language.

The French .po files are filled later by translators, so the French catalogue here is a small
dict standing in for Babel's translations; the page, the upload and the core Messages are real.
"""

from __future__ import annotations

import io

import pytest

from issuer.web import i18n
from tests.helpers import TEST_CATALOGUE, submit

BAD_TRAINING = (TEST_CATALOGUE / "trainings" / "tree-planting.toml").read_text("utf-8").replace(
    'id = "tree-planting"', 'id = "hedge-laying"').replace("duration_hours = 3",
                                                             "duration_hours = 30")
FRENCH = {
    "%(file)s: %(where)s: %(problem)s": "%(file)s\u00a0: %(where)s\u00a0: %(problem)s",
    "%(value)s is outside 1.5–24 hours": "%(value)s est hors de 1,5–24 heures",
    "(file)": "(fichier)",
    "is not UTF-8 text: save it as UTF-8":
        "n’est pas du texte UTF-8\u00a0: enregistrez-le en UTF-8",
}


class FrenchTemplates:
    """Babel's translations, reduced to the gettext the problems use."""

    def gettext(self, template: str) -> str:
        return FRENCH.get(template, template)


@pytest.fixture
def french(monkeypatch):
    monkeypatch.setattr(i18n, "get_translations", FrenchTemplates)


def upload(client, data: bytes, name: str):
    return submit(client, "/admin/catalogue", {"file": (io.BytesIO(data), name)},
                  action="/admin/catalogue/upload", content_type="multipart/form-data")


def test_english_page_lists_the_problem_under_the_uploaded_name(client, admin):
    response = upload(client, BAD_TRAINING.encode(), "hedge.toml")
    assert response.status_code == 422
    assert "<code>hedge.toml: duration_hours: 30 is outside 1.5–24 hours</code>" in response.text


def test_problem_is_translated_with_the_uploaded_name_and_the_field_as_typed(client, admin,
                                                                              french):
    response = upload(client, BAD_TRAINING.encode(), "hedge.toml")
    assert response.status_code == 422
    assert "hedge.toml\u00a0: duration_hours\u00a0: 30 est hors de 1,5–24 heures" in response.text
    assert "trainings/hedge-laying.toml" not in response.text


def test_a_file_that_is_not_utf8_is_a_translated_problem(client, admin, french):
    response = upload(client, "durée = 3".encode("latin-1"), "hedge.toml")
    assert response.status_code == 422
    assert ("hedge.toml\u00a0: (fichier)\u00a0: n’est pas du texte UTF-8\u00a0: enregistrez-le "
            "en UTF-8") in response.text
