"""A badge's page counts its views per day, in batches, and keeps nothing about who looked."""

from __future__ import annotations

from sqlalchemy import select

from issuer.services import views
from issuer.store.report_models import CredentialViewDay
from tests.helpers import issue


def test_views_of_the_page_are_written_when_the_batch_is_full(app, client, db, world):
    credential = issue(db, world)
    app.extensions["sky_views"].batch = 3
    for _ in range(2):
        assert client.get(f"/v/{credential.short_id}").status_code == 200
    assert views.views_of(db, credential.id) == 0  # waiting in the batch, no write yet
    client.get(f"/v/{credential.short_id}")
    db.expire_all()
    assert views.views_of(db, credential.id) == 3


def test_only_the_page_counts_not_the_json_or_the_credential(app, client, db, world):
    credential = issue(db, world)
    app.extensions["sky_views"].batch = 1
    client.get(f"/v/{credential.short_id}", headers={"Accept": "application/json"})
    client.get(f"/v/{credential.short_id}", headers={"Accept": "application/vc+ld+json"})
    assert views.views_of(db, credential.id) == 0


def test_a_stored_count_has_a_credential_a_day_and_a_number_only(app, client, db, world):
    credential = issue(db, world)
    app.extensions["sky_views"].batch = 1
    client.get(f"/v/{credential.short_id}", headers={"User-Agent": "Recruiter/1.0"},
               environ_base={"REMOTE_ADDR": "203.0.113.9"})
    [row] = db.scalars(select(CredentialViewDay)).all()
    assert set(CredentialViewDay.__table__.columns.keys()) == {"credential_id", "day", "views"}
    assert (row.credential_id, row.views) == (credential.id, 1)
