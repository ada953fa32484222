"""Staff sessions end after inactivity, and after an absolute limit however busy (ASVS 3.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from issuer.services import unit_of_work
from issuer.services.accounts import session_user, start_session

START = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_a_session_in_use_lives_until_the_absolute_limit_and_not_a_minute_more(db, world):
    with unit_of_work(db):
        token = start_session(db, world.trainer, now=START)
    # Busy all day: a request every hour keeps inactivity low...
    for hour in range(1, 12):
        with unit_of_work(db):
            assert session_user(db, token, now=START + timedelta(hours=hour)) is world.trainer
    # ...but twelve hours after signing in, the session is over.
    with unit_of_work(db):
        assert session_user(db, token, now=START + timedelta(hours=12, minutes=1)) is None


def test_an_idle_session_ends_after_its_inactivity_lifetime(db, world):
    with unit_of_work(db):
        token = start_session(db, world.trainer, now=START)
    with unit_of_work(db):
        assert session_user(db, token, now=START + timedelta(minutes=479)) is world.trainer
    with unit_of_work(db):
        assert session_user(db, token, now=START + timedelta(minutes=479 + 481)) is None
