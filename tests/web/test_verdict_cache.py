"""/v/<code> remembers its verdict, but never past what it was made from.

Another worker is played by the `db` session (its own connection): what it commits must show
on the very next view, with no stale verdict.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from issuer.services import unit_of_work
from issuer.services.key_withdrawal import withdraw_key
from issuer.services.revocation import revoke
from issuer.services.verification import verify_stored, verify_stored_cached
from tests.helpers import issue, run_together, statements_of

# Measured: 13 statements per view before the cache (credential, a rate-limit UPDATE, SELECT
# and DELETE with their commit, two organisations, keys, status list, templates, learner),
# 7 after (credential, the cache key, what the page shows).
STATEMENTS_PER_VIEW = 7


def _verdict(client, credential) -> str:
    response = client.get(f"/v/{credential.short_id}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response.get_json()["verdict"]


def test_a_repeated_view_runs_few_statements_and_writes_nothing(app, client, db, world):
    credential = issue(db, world)
    assert _verdict(client, credential) == "valid"
    with statements_of(app.extensions["sky_engine"]) as seen:
        for _ in range(5):
            html = client.get(f"/v/{credential.short_id}?lang=en").get_data(as_text=True)
            assert 'class="verdict valid"' in html
    assert len(seen) <= 5 * STATEMENTS_PER_VIEW, seen
    assert not [s for s in seen if s.lstrip().upper().startswith(("UPDATE", "INSERT",
                                                                  "DELETE"))]


def test_a_revocation_shows_on_the_next_view(client, db, world):
    credential = issue(db, world)
    assert _verdict(client, credential) == "valid"
    assert _verdict(client, credential) == "valid"  # now remembered
    with unit_of_work(db):
        revoke(db, credential, "Issued to the wrong person", None)
    assert _verdict(client, credential) == "revoked"


def test_a_withdrawn_key_shows_on_the_next_view(client, db, world):
    credential = issue(db, world)
    assert _verdict(client, credential) == "valid"
    assert _verdict(client, credential) == "valid"  # now remembered
    with unit_of_work(db):
        withdraw_key(db, world.org, 1, None)  # the key that signed it
    assert _verdict(client, credential) != "valid"


def test_expiry_is_checked_on_every_view_even_when_remembered(db, world):
    credential = issue(db, world)
    end = credential.valid_until
    assert end is not None
    before = verify_stored_cached(db, credential, now=end - timedelta(seconds=1))
    after = verify_stored_cached(db, credential, now=end + timedelta(seconds=1))
    assert before.verdict == "valid" and after.verdict == "expired"
    assert after.verdict == verify_stored(db, credential, now=end + timedelta(seconds=1)).verdict


def test_a_remembered_verdict_is_the_one_a_full_verification_gives(db, world):
    credential = issue(db, world)
    now = datetime.now(UTC)
    first = verify_stored_cached(db, credential, now=now)
    again = verify_stored_cached(db, credential, now=now)
    assert again is first  # from memory
    assert first.verdict == verify_stored(db, credential, now=now).verdict == "valid"


def test_readers_at_once_share_one_verification(app, db, world):
    credential = issue(db, world)
    now = datetime.now(UTC)
    reports = []

    def read(session):
        reports.append(verify_stored_cached(session, session.get(type(credential),
                                                                 credential.id), now=now))

    run_together(app, [read] * 4)
    assert len(reports) == 4 and reports[0].verdict == "valid"
    assert all(report is reports[0] for report in reports)  # one verification, one report
