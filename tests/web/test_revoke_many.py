"""Revoking several badges at once from the admin list: chosen, confirmed, one reason."""

from __future__ import annotations

import pytest

from issuer.services import ServiceError, unit_of_work
from issuer.services.revocation import MAX_AT_ONCE, revoke_many
from issuer.store.models import AuditEvent
from tests.helpers import count, csrf_token, issue, make_world


@pytest.fixture
def badges(db, world):
    return [issue(db, world, learner) for learner in world.learners]


def _choose(client, uuids):
    return client.get("/admin/credentials/revoke", query_string=[("uuid", u) for u in uuids])


def test_ticked_badges_are_revoked_together_after_one_confirmation(client, db, world, login,
                                                                    badges):
    login(world.admin)
    listing = client.get("/admin/credentials?lang=en").text
    assert all(f'value="{b.uuid}"' in listing for b in badges)
    confirm = _choose(client, [b.uuid for b in badges])
    assert confirm.status_code == 200 and "2 badges will be revoked" in confirm.text
    form = {"csrf_token": csrf_token(confirm.text), "uuid": [b.uuid for b in badges],
            "reason_code": "assessment-withdrawn", "confirm": "y"}
    done = client.post("/admin/credentials/revoke?lang=en", data=form)
    assert done.status_code == 302
    db.expire_all()
    assert all(b.revoked_at is not None for b in badges)
    assert {b.revocation_reason_code for b in badges} == {"assessment-withdrawn"}
    assert count(db, AuditEvent, AuditEvent.action == "credential.revoke") == 2
    assert "2 badges are revoked." in client.get("/admin/credentials?lang=en").text


def test_nothing_is_revoked_without_the_confirmation(client, db, world, login, badges):
    login(world.admin)
    confirm = _choose(client, [b.uuid for b in badges])
    refused = client.post("/admin/credentials/revoke", data={
        "csrf_token": csrf_token(confirm.text), "uuid": [b.uuid for b in badges],
        "reason_code": "assessment-withdrawn"})
    assert refused.status_code == 422
    db.expire_all()
    assert all(b.revoked_at is None for b in badges)


def test_another_organisations_badge_cannot_be_slipped_into_the_selection(client, db, world,
                                                                          login, badges):
    theirs = issue(db, make_world(db, slug="cec"))
    login(world.admin)
    confirm = _choose(client, [badges[0].uuid, theirs.uuid])
    assert "1 badge will be revoked" in confirm.text and theirs.short_id not in confirm.text
    client.post("/admin/credentials/revoke", data={
        "csrf_token": csrf_token(confirm.text), "uuid": [badges[0].uuid, theirs.uuid],
        "reason_code": "assessment-withdrawn", "confirm": "y"})
    db.expire_all()
    assert badges[0].revoked_at is not None and theirs.revoked_at is None


def test_an_empty_selection_goes_back_to_the_list(client, world, login):
    login(world.admin)
    response = _choose(client, [])
    assert response.status_code == 302 and response.location.endswith("/admin/credentials")


def test_trainers_cannot_revoke_many(client, world, login, badges):
    login(world.trainer)
    assert _choose(client, [badges[0].uuid]).status_code in (302, 403)


def test_the_service_refuses_more_than_its_bound_and_an_empty_list(db, world, badges):
    with pytest.raises(ServiceError), unit_of_work(db):
        revoke_many(db, [], "", world.admin, code="assessment-withdrawn")
    with pytest.raises(ServiceError, match="at most"), unit_of_work(db):
        revoke_many(db, badges * (MAX_AT_ONCE // 2 + 1), "", world.admin,
                    code="assessment-withdrawn")
    db.expire_all()
    assert all(b.revoked_at is None for b in badges)


def test_one_that_cannot_be_revoked_stops_them_all(db, world, badges):
    with unit_of_work(db):
        revoke_many(db, badges[:1], "mistake", world.admin)
    with pytest.raises(ServiceError), unit_of_work(db):
        revoke_many(db, badges, "mistake", world.admin)
    db.expire_all()
    assert badges[1].revoked_at is None
    assert badges[0].revoked_at is not None
