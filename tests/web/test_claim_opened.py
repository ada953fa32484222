"""The learner's path knows a claim link was opened: the first time only, nothing about who."""

from __future__ import annotations

from issuer.services import stats
from issuer.store.models import Credential
from tests.helpers import issue, open_claim, statements_of


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]


def test_the_first_visit_of_a_claim_link_is_remembered_with_one_update(app, client, db,
                                                                       world):
    credential = issue(db, world)
    with statements_of(app.extensions["sky_engine"]) as seen:
        assert client.get(f"/claim/{credential.claim_token}").status_code == 200
    assert len(_writes(seen)) == 1 and "claim_opened_at" in _writes(seen)[0]
    db.expire_all()
    assert db.get(Credential, credential.id).claim_opened_at is not None


def test_later_visits_write_nothing(app, client, db, world):
    credential = issue(db, world)
    client.get(f"/claim/{credential.claim_token}")
    db.expire_all()
    first = db.get(Credential, credential.id).claim_opened_at
    with statements_of(app.extensions["sky_engine"]) as seen:
        client.get(f"/claim/{credential.claim_token}",
                   environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert _writes(seen) == []
    db.expire_all()
    assert first is not None and db.get(Credential, credential.id).claim_opened_at == first


def test_an_unknown_claim_link_is_a_404_and_writes_nothing(app, client):
    with statements_of(app.extensions["sky_engine"]) as seen:
        assert client.get("/claim/not-a-token").status_code == 404
    assert _writes(seen) == []


def test_the_path_counts_opened_links_between_issued_and_claimed(client, db, world):
    opened, claimed = issue(db, world, world.learners[0]), issue(db, world, world.learners[1])
    client.get(f"/claim/{opened.claim_token}")
    open_claim(client, claimed.claim_token)
    steps = {s.step: (s.count, s.base, s.dropped) for s in stats.learner_funnel(db).total.steps}
    assert steps["issued"] == (2, "evaluated", 0)
    assert steps["claim_opened"] == (2, "issued", 0)
    assert steps["claimed"] == (1, "claim_opened", 1)
