"""The trainer records follow-ups at 3 and 6 months; the statistics page counts them."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from pypdf import PdfReader

from tests.helpers import csv_rows, issue, make_coordinator, make_world, submit


@pytest.fixture
def trainer(client, world, login):
    login(world.trainer)
    return world.trainer


def test_a_trainer_records_a_follow_up_and_sees_it_in_the_list(client, db, world, trainer):
    issue(db, world, world.learners[0])
    learner = world.learners[0]
    response = submit(client, "/trainer/follow-ups", {
        "learner": str(learner.id), "months": "3", "situation": "job",
        "observed_on": "2026-06-02"})
    assert response.status_code == 303
    page = client.get("/trainer/follow-ups").text
    assert "Zoé Lefèvre" in page and "In a job" in page


@pytest.mark.parametrize("data", [
    {"months": "4", "situation": "job", "observed_on": "2026-06-02"},
    {"months": "3", "situation": "lottery", "observed_on": "2026-06-02"},
    {"months": "3", "situation": "job", "observed_on": "2999-01-01"},
    {"months": "3", "situation": "job", "observed_on": "soon"},
])
def test_a_bad_follow_up_is_a_form_error(client, db, world, trainer, data):
    issue(db, world, world.learners[0])
    response = submit(client, "/trainer/follow-ups",
                      {"learner": str(world.learners[0].id), **data})
    assert response.status_code == 422


def test_a_follow_up_for_another_organisations_learner_is_refused(client, db, world, trainer):
    other = make_world(db, slug="barka", learner_names=("Jan Kowalski",))
    issue(db, other, other.learners[0])
    response = submit(client, "/trainer/follow-ups", {
        "learner": str(other.learners[0].id), "months": "3", "situation": "job",
        "observed_on": "2026-06-02"})
    assert response.status_code == 403
    assert "Jan Kowalski" not in client.get("/trainer/follow-ups").text


def test_the_statistics_count_follow_ups_and_rank_gestures(client, db, world, login):
    issue(db, world, world.learners[0])
    login(world.trainer)
    submit(client, "/trainer/follow-ups", {
        "learner": str(world.learners[0].id), "months": "6", "situation": "volunteering",
        "observed_on": "2026-09-01"})
    login(world.admin)
    page = client.get("/admin/stats").text
    assert "Outcomes at 3 and 6 months" in page and "Gestures from most to least" in page
    rows = csv_rows(client.get("/admin/stats/outcomes.csv"))
    assert rows[0] == ["group", "key", "name", "months", "job", "further_training",
                       "volunteering", "none", "unknown", "not_recorded"]
    assert rows[2] == ["micro_training", "tree-planting", "Planting a young tree", "6",
                       "0", "0", "1", "0", "0", "0"]
    ranked = csv_rows(client.get("/admin/stats/gestures_ranked.csv"))
    assert ranked[1] == ["tree-planting", "dig-hole", "Dig the planting hole", "1", "1", "1"]


def test_the_charts_speak_the_readers_language_and_need_no_script(client, db, world, login):
    issue(db, world, world.learners[0])
    login(world.admin)
    page = client.get("/admin/stats?lang=fr", headers={"Accept-Language": "fr"}).text
    assert page.count('role="img"') == 4 and "<script" not in page
    assert '<title id="chart-months-title">Badges délivrés par mois</title>' in page
    assert "Le parcours de l’apprenant" in page


def test_a_one_page_pdf_summary_for_a_partner_and_for_the_whole_project(client, db, world,
                                                                        login, tmp_path):
    issue(db, world, world.learners[0])
    login(world.admin)
    response = client.get("/admin/stats/summary.pdf?lang=pl", headers={"Accept-Language": "pl"})
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "AGFE" in text and "Ścieżka uczestnika" in text and "Zoé" not in text
    document = pypdfium2.PdfDocument(response.data)
    image = document[0].render(scale=1.5).to_pil()
    image.save(tmp_path / "summary.png")
    document.close()
    assert image.size[1] > image.size[0]  # A4 upright
    login(make_coordinator(db))
    whole = PdfReader(io.BytesIO(client.get("/admin/stats/summary.pdf").data))
    assert "Pilotaż SKY: cały projekt" in whole.pages[0].extract_text()  # the language stays
