"""The project coordinator: adds partners from the web, sees their counts and nothing more."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from issuer.cli import main
from issuer.services import unit_of_work
from issuer.services.accounts import create_user
from issuer.store.models import BackupRecord, Organisation, SigningKey, User
from tests.helpers import (
    TEST_PASSWORD,
    csv_rows,
    issue,
    make_organisation,
    point_cli_at,
    submit,
)

NEW_PARTNER = {"name": "Fundacja Barka", "slug": "barka", "country_code": "pl",
               "default_language": "pl", "admin_email": "admin@barka.example.org"}


@pytest.fixture
def coordinator(db, world, login):
    with unit_of_work(db):
        cec = make_organisation(db, slug="cec", name="CEC", country="BE")
        user = create_user(db, cec, "coordination@cec.example.org", "Claire Coord",
                           "coordinator", TEST_PASSWORD)
    login(user)
    return user


def test_the_coordinator_adds_a_partner_with_its_key_and_invites_its_admin(client, db,
                                                                           coordinator):
    response = submit(client, "/coordinator/", NEW_PARTNER)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    link = re.search(r'<code class="one-time">([^<]+)</code>', response.text).group(1)
    assert link.startswith("https://badges.example.org/account/invitation/")
    org = db.scalar(select(Organisation).where(Organisation.slug == "barka"))
    assert (org.country_code, org.default_language) == ("PL", "pl")
    assert db.scalar(select(SigningKey).where(SigningKey.organisation_id == org.id)).active
    admin = db.scalar(select(User).where(User.organisation_id == org.id))
    assert (admin.email, admin.role, admin.password_hash) == ("admin@barka.example.org",
                                                              "admin", "")


def test_a_taken_short_name_is_a_422_on_the_form(client, coordinator):
    response = submit(client, "/coordinator/", {**NEW_PARTNER, "slug": "agfe"})
    assert response.status_code == 422 and "already exists" in response.text


def test_the_overview_shows_counts_never_a_learner(client, db, world, coordinator):
    issue(db, world)
    page = client.get("/coordinator/").text
    row = re.search(r"<tr><td><a [^>]*>AGFE</a></td>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["FR", "2", "&lt;5", "&lt;5"]
    # Checked in the text a person reads: a random CSRF token in an attribute may hold "Zo".
    visible = re.sub(r"<[^>]*>", " ", page)
    first_name = world.learners[0].name.split()[0]
    assert world.learners[0].name not in page and first_name not in visible


def test_partner_admins_and_trainers_cannot_open_the_coordinators_pages(client, world, login):
    login(world.admin)
    assert client.get("/coordinator/").status_code == 403
    assert submit(client, "/admin/", {}, action="/coordinator/").status_code in (400, 403)


def test_the_coordinator_lands_on_the_partners_and_still_runs_their_own_organisation(
        client, coordinator):
    assert client.get("/admin/trainers").status_code == 200
    assert "Claire Coord" in client.get("/admin/trainers").text


def test_the_coordinator_sees_every_partners_statistics_and_may_pick_one(client, db, world,
                                                                        coordinator):
    issue(db, world, world.learners[0])
    page = client.get("/admin/stats").text
    assert '<option value="agfe">AGFE</option>' in page
    assert '<option value="cec">CEC</option>' in page
    assert "AGFE" in client.get("/admin/stats/partner.csv?partner=agfe").text
    assert client.get("/admin/stats/partner.csv?partner=cec").text.count("\r\n") == 1


def test_the_coordinator_sets_a_partners_targets_and_sees_every_partner_side_by_side(
        client, db, world, coordinator):
    issue(db, world, world.learners[0])
    response = submit(client, "/coordinator/targets",
                      {"organisation": "agfe", "learners": "25", "micro_trainings": "5"})
    assert response.status_code == 303
    page = client.get("/coordinator/targets").text
    rows = re.findall(r'<th scope="row">(\w+)</th>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>', page)
    assert rows == [("AGFE", "&lt;5 / 25", "1 / 5"), ("CEC", "0 / —", "0 / —")]


@pytest.mark.parametrize("learners", ["-1", "10001", "many", ""])
def test_a_target_out_of_range_is_a_form_error(client, db, world, coordinator, learners):
    response = submit(client, "/coordinator/targets",
                      {"organisation": "agfe", "learners": learners, "micro_trainings": "5"})
    assert response.status_code == 422


def test_a_partner_admin_cannot_set_targets(client, db, world, login):
    login(world.admin)
    assert client.get("/coordinator/targets").status_code == 403


def test_the_open_data_export_is_the_coordinators_and_names_nobody(client, db, world,
                                                                  coordinator):
    issue(db, world, world.learners[0])
    rows = csv_rows(client.get("/coordinator/open-data.csv"))
    assert rows[0] == ["table", "group", "key", "measure", "value"]
    assert ["path", "all", "all", "issued", ""] in rows
    assert "Zoé" not in repr(rows)
    assert client.get("/coordinator/open-data.xlsx").mimetype.endswith("spreadsheetml.sheet")


def test_a_partner_admin_cannot_download_the_open_data(client, db, world, login):
    login(world.admin)
    assert client.get("/coordinator/open-data.csv").status_code == 403


def _visible(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", page))


def test_the_backups_page_says_none_was_written_and_how_to_make_and_test_one(
        client, coordinator):
    assert 'href="/coordinator/backups"' in client.get("/coordinator/?lang=en").text
    response = client.get("/coordinator/backups?lang=en")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    text = _visible(response.text)
    assert "No backup has been written yet." in text
    assert "sky-badges backup -o FILE" in text and "sky-badges restore FILE" in text
    assert "“Backups, upgrades and recovery”" in text


def test_the_backups_page_shows_when_the_last_backup_was_written_and_its_size(
        client, db, world, coordinator, overrides, monkeypatch, tmp_path):
    point_cli_at(monkeypatch, overrides)
    issue(db, world)
    db.commit()
    target = tmp_path / "sky.tar.gz"
    assert main(["backup", "-o", str(target)]) == 0
    [record] = db.scalars(select(BackupRecord)).all()
    assert record.size_bytes == target.stat().st_size
    assert record.files == 0 and record.rows > 0
    text = _visible(client.get("/coordinator/backups?lang=en").text)
    assert f"The last backup was written on {record.created_at:%b} " in text
    assert f"Size: {round(record.size_bytes / 1000, 1)} kB." in text
    assert f"It holds {record.rows:,} rows of data and 0 files." in text
    assert "No backup has been written yet." not in text and "days old" not in text


def test_an_old_backup_is_shown_as_a_warning(client, db, coordinator):
    with unit_of_work(db):
        db.add(BackupRecord(created_at=datetime.now(UTC) - timedelta(days=3, hours=1),
                            size_bytes=2_800_000,
                            rows=120_000, files=4, revision="0021"))
    text = _visible(client.get("/coordinator/backups?lang=en").text)
    assert "Size: 2.8 MB." in text
    assert "It is 3 days old: ask whoever runs the server to check the nightly backup." in text


def test_partner_admins_see_nothing_of_backups(client, db, world, login):
    with unit_of_work(db):
        db.add(BackupRecord(size_bytes=1000, rows=10, files=0, revision="0021"))
    login(world.admin)
    assert client.get("/coordinator/backups").status_code == 403
    assert "backup" not in client.get("/admin/?lang=en").text.lower()


def test_another_partners_small_counts_are_hidden_on_every_view_of_the_coordinator(
        client, db, world, coordinator):
    issue(db, world, world.learners[0])
    page = client.get("/admin/stats").text
    row = re.search(r"<tr><td>AGFE</td>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["&lt;5"] * 4
    assert "&lt;5" in re.search(r'<svg [^>]*"chart-path-title".*?</svg>', page, re.S).group(0)
    assert csv_rows(client.get("/admin/stats/partner.csv"))[1][2:] == ["", "", "", ""]
    summary = PdfReader(io.BytesIO(client.get("/admin/stats/summary.pdf").data))
    assert "<5" in summary.pages[0].extract_text()


def test_a_partner_admin_sees_their_own_small_counts(client, db, world, login):
    issue(db, world, world.learners[0])
    login(world.admin)
    page = client.get("/admin/stats").text
    assert "&lt;5" not in page and "your organisation" in page
    row = re.search(r"<tr><td>AGFE</td>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["1", "1", "0", "0"]
    summary = PdfReader(io.BytesIO(client.get("/admin/stats/summary.pdf").data))
    assert "<5" not in summary.pages[0].extract_text()


def test_the_statistics_say_whose_figures_they_are(client, db, world, coordinator):
    assert "every partner of the project" in client.get("/admin/stats").text
    assert "Counts of one partner" in client.get("/admin/stats?partner=agfe").text
    assert "Counts of your organisation" in client.get("/admin/stats?partner=cec").text
