"""The /v/ rate limit counts in batches: no write per view, the same limit across workers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.store import ratelimit
from issuer.store.db import make_engine
from issuer.store.ratelimit import RateLimitCounter, batch_size, hit_batched
from tests.helpers import statements_of

NOW = datetime(2026, 12, 5, 14, 0, 30, tzinfo=UTC)


def _writes(statements: list[str]) -> int:
    return sum(1 for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT")))


def test_far_from_the_limit_hits_are_written_a_batch_at_a_time(db):
    with statements_of(db.get_bind()) as seen:
        allowed = [hit_batched(db, "page:192.0.2.1", 120, 60, NOW) for _ in range(60)]
    assert all(allowed)
    assert batch_size(120, 0) == 12
    assert _writes(seen) == 60 // 12 + 1  # one UPDATE per batch (the first one INSERTs too)
    assert db.scalar(select(RateLimitCounter.count)) == 60


def test_near_the_limit_every_hit_is_written_and_the_excess_refused(db):
    answers = [hit_batched(db, "page:192.0.2.2", 5, 60, NOW) for _ in range(8)]
    assert answers == [True] * 5 + [False] * 3
    assert db.scalar(select(RateLimitCounter.count)) == 8  # refused hits are counted too


def test_two_workers_share_the_limit(db):
    other_engine = make_engine(db.get_bind().url.render_as_string(hide_password=False))
    try:
        with Session(other_engine) as other:
            workers = [db, other]
            answers = [hit_batched(workers[i % 2], "page:192.0.2.3", 40, 60, NOW)
                       for i in range(120)]
    finally:
        other_engine.dispose()
    allowed = sum(answers)
    # Each worker may hold batch - 1 unwritten hits the other has not seen: 40 + 3 at most.
    assert 40 <= allowed <= 40 + (batch_size(40, 0) - 1)
    assert not any(answers[allowed + 4:])


def test_a_new_window_starts_from_zero(db):
    for _ in range(6):
        hit_batched(db, "page:192.0.2.4", 5, 60, NOW)
    assert not hit_batched(db, "page:192.0.2.4", 5, 60, NOW)
    later = NOW.replace(minute=1)
    assert hit_batched(db, "page:192.0.2.4", 5, 60, later)
    assert ratelimit.window_start(later, 60) != ratelimit.window_start(NOW, 60)
