"""Bulk issuance from the admin pages: confirm queues a job, its page shows progress without
JavaScript, a stopped job is resumed, and one organisation never sees another's jobs."""

from __future__ import annotations

import base64
import io
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from issuer.services import bulk_jobs, unit_of_work
from issuer.store.job_models import RUNNING, BulkJob
from issuer.store.models import Credential, utcnow
from tests.helpers import count, csrf_token, make_world, submit

HEADER = "name;email;dig-hole;stake-and-water;comment"
GOOD = (f"{HEADER}\n"
        "Amélie Durand;amelie@example.org;acquired;acquired;Bravo\n"
        "Bastien Roy;;acquired;not-yet;\n"
        "Chloé Martin;;acquired;acquired;\n")


@pytest.fixture
def worker(app):
    """The app's queue consumed in this process, as `sky-badges serve` does."""
    consumer = app.extensions["sky_queue"].start_in_process()
    yield consumer
    consumer.stop(graceful=True)


def preview(client, world, text=GOOD):
    return submit(client, "/admin/bulk", {
        "session": str(world.session.id),
        "file": (io.BytesIO(("\ufeff" + text).encode("utf-8")), "learners.csv")},
        content_type="multipart/form-data")


def confirm(client, preview_page: str):
    fields = dict(re.findall(r'name="(session|csv_text|filename)" type="hidden" value="([^"]*)"',
                             preview_page))
    return client.post("/admin/bulk/run", data={"csrf_token": csrf_token(preview_page),
                                                 **fields})


def job_id(response) -> int:
    assert response.status_code == 303
    return int(re.fullmatch(r"/admin/bulk/jobs/(\d+)", response.location).group(1))


def verdicts(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr class="verdict-([\w-]+)">\s*<td>(\d+)</td>', page)


def test_confirm_queues_a_job_and_answers_at_once_with_its_page(client, world, admin, db):
    response = confirm(client, preview(client, world).text)
    job = db.get(BulkJob, job_id(response))
    assert (job.status, job.rows_total, job.filename) == ("queued", 3, "learners.csv")
    assert count(db, Credential) == 0  # nothing issued inside the request
    page = client.get(response.location).text
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Waiting for a worker." in page
    assert '<progress max="3" value="0">' in page


def test_the_worker_carries_out_the_job_and_its_page_shows_the_outcome(client, world, admin,
                                                                        db, worker):
    location = confirm(client, preview(client, world).text).location
    deadline = time.monotonic() + 60
    while "Finished." not in (page := client.get(location).text):
        assert time.monotonic() < deadline, page
        time.sleep(0.2)
    assert '<progress max="3" value="3">' in page
    assert "http-equiv=\"refresh\"" not in page
    assert "Issued: 2 · not yet (evaluation saved): 1 · already issued: 0 · errors: 0" in page
    assert verdicts(page) == [("not-yet", "3")]
    assert count(db, Credential) == 2


def test_a_file_with_an_error_cannot_be_queued_even_by_a_forged_confirmation(client, world,
                                                                             admin, db):
    page = preview(client, world, GOOD + ";nobody@example.org;acquired;acquired;\n").text
    assert "nothing can be issued from this file" in page
    good_page = preview(client, world).text
    bad = GOOD + ";nobody@example.org;acquired;acquired;\n"
    forged = good_page.replace(
        re.search(r'name="csv_text" type="hidden" value="([^"]*)"', good_page).group(1),
        base64.b64encode(("\ufeff" + bad).encode()).decode())
    response = confirm(client, forged)
    assert response.status_code == 302 and "/admin/bulk?session=" in response.location
    assert "1 line(s) have an error" in client.get(response.location).text
    assert (count(db, BulkJob), count(db, Credential)) == (0, 0)


def test_a_stopped_job_is_resumed_from_its_page(client, world, admin, db, worker):
    with unit_of_work(db):
        job = bulk_jobs.start(db, world.session, ("\ufeff" + GOOD).encode(), world.admin)
    stale = utcnow() - bulk_jobs.STALE_AFTER - timedelta(seconds=1)
    with unit_of_work(db):  # a worker took it and died
        db.execute(update(BulkJob).where(BulkJob.id == job.id)
                   .values(status=RUNNING, heartbeat_at=stale))
    page = client.get(f"/admin/bulk/jobs/{job.id}").text
    assert "This job stopped before the end" in page and "http-equiv" not in page
    response = client.post(f"/admin/bulk/jobs/{job.id}/resume",
                           data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    deadline = time.monotonic() + 60
    while "Finished." not in (page := client.get(response.location).text):
        assert time.monotonic() < deadline, page
        time.sleep(0.2)
    assert count(db, Credential) == 2
    listing = client.get("/admin/bulk").text
    assert f'href="/admin/bulk/jobs/{job.id}"' in listing and "finished" in listing


def test_resume_of_a_running_job_does_nothing(client, world, admin, db):
    with unit_of_work(db):
        job = bulk_jobs.start(db, world.session, ("\ufeff" + GOOD).encode(), world.admin)
    page = client.get(f"/admin/bulk/jobs/{job.id}").text
    response = client.post(f"/admin/bulk/jobs/{job.id}/resume",
                           data={"csrf_token": csrf_token(page)})
    assert "This job is not stopped: nothing to resume." in client.get(response.location).text


def test_another_organisations_job_is_not_found(client, world, db, login):
    with unit_of_work(db):
        job = bulk_jobs.start(db, world.session, ("\ufeff" + GOOD).encode(), world.admin)
    other = make_world(db, slug="barka", learner_names=())
    login(other.admin)
    assert client.get(f"/admin/bulk/jobs/{job.id}").status_code == 404
    page = client.get("/admin/bulk").text
    assert f"/admin/bulk/jobs/{job.id}" not in page
    response = client.post(f"/admin/bulk/jobs/{job.id}/resume",
                           data={"csrf_token": csrf_token(page)})
    assert response.status_code == 404
