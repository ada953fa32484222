"""/v/<code> remembers its verdict, but never past what it was made from.

Another worker is played by the `db` session (its own connection): what it commits must show
on the very next view, with no stale verdict.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from issuer.services import unit_of_work
from issuer.services.key_withdrawal import withdraw_key
from issuer.services.publishing import page_expiry, page_key
from issuer.services.revocation import revoke
from issuer.services.stacking import SkillProgressView
from issuer.services.verification import verify_stored, verify_stored_cached
from tests.helpers import issue, run_together, statements_of

# Measured: 13 statements per view before the cache (credential, a rate-limit UPDATE, SELECT
# and DELETE with their commit, two organisations, keys, status list, templates, learner),
# 7 after (credential, the cache key, what the page shows), 1 since the credential and every
# freshness value are read together (verification.read_page).
STATEMENTS_PER_VIEW = 1


def _verdict(client, credential) -> str:
    response = client.get(f"/v/{credential.short_id}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    return response.get_json()["verdict"]


def test_a_repeated_view_runs_few_statements_and_writes_nothing(app, client, db, world):
    credential = issue(db, world)
    assert _verdict(client, credential) == "valid"
    client.get(f"/v/{credential.short_id}?lang=en")  # the page rendered once
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


# --- the rendered page, kept for anonymous readers ---------------------------------------------

# A remembered page: the credential with the verdict and page keys, in one statement.
STATEMENTS_PER_REMEMBERED_PAGE = 1


def _page(client, credential, lang="en") -> str:
    response = client.get(f"/v/{credential.short_id}?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_remembered_page_is_not_rendered_again_and_a_revocation_shows_at_once(
        app, client, db, world):
    credential = issue(db, world)
    first = _page(client, credential)
    with statements_of(app.extensions["sky_engine"]) as seen:
        assert _page(client, credential) == first
    assert len(seen) <= STATEMENTS_PER_REMEMBERED_PAGE, seen
    assert 'class="verdict valid"' in first
    with unit_of_work(db):
        revoke(db, credential, "Issued to the wrong person", None)
    assert 'class="verdict valid"' not in _page(client, credential)


def test_each_language_has_its_page(client, db, world):
    credential = issue(db, world)
    english, french = _page(client, credential, "en"), _page(client, credential, "fr")
    assert '<html lang="en">' in english and '<html lang="fr">' in french
    assert _page(client, credential, "en") == english


def test_a_new_badge_or_award_or_catalogue_version_changes_what_the_page_depends_on(db, world):
    credential = issue(db, world)
    now = datetime.now(UTC)
    before = page_key(db, credential, (), now)
    assert page_key(db, credential, (), now) == before
    issue(db, world, world.learners[1])  # another badge: a skill's progress may have moved
    assert page_key(db, credential, (), now) != before
    later = page_key(db, credential, (), now)
    assert page_key(db, credential, (), now + timedelta(minutes=1)) == later  # see page_expiry


def test_a_page_is_kept_until_the_first_part_of_its_skills_expires():
    soon = datetime(2027, 1, 1, tzinfo=UTC)
    skills = [SkillProgressView("a", "A", None, [], [], changes_at=soon + timedelta(days=1)),
              SkillProgressView("b", "B", None, [], [], changes_at=soon),
              SkillProgressView("c", "C", None, [], [])]
    assert page_expiry(skills) == soon
    assert page_expiry(skills[2:]) is None and page_expiry([]) is None


def test_a_signed_in_readers_page_is_theirs_alone(client, db, world, login):
    credential = issue(db, world)
    anonymous = _page(client, credential)
    login(world.admin)
    signed_in = _page(client, credential)
    assert world.admin.name in signed_in and world.admin.name not in anonymous
    other = client.application.test_client()
    assert world.admin.name not in _page(other, credential)
