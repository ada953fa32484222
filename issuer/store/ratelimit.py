"""Fixed-window rate-limit counters, kept in the database so every web worker shares them.

The web tier is stateless (DESIGN.md §6): a counter in process memory would let a client
multiply its allowance by the number of gunicorn workers. One row per (bucket, window start).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .models import Base


class RateLimitCounter(Base):
    """How many requests one bucket (e.g. "verify:<client ip>") made in one window."""

    __tablename__ = "rate_limit_counter"
    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window `now` falls in (UTC, whole seconds)."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, UTC)


def hit(db: Session, bucket: str, limit: int, window_seconds: int, now: datetime) -> bool:
    """Count one request for `bucket`; True while the window's count is within `limit`.

    Commits its own small transaction (the name says it counts): a rejected request must still
    be counted even if the caller's work is rolled back. Insert-then-update keeps two workers
    from losing a hit on PostgreSQL and SQLite alike.
    """
    start = window_start(now, window_seconds)
    key = (RateLimitCounter.bucket == bucket) & (RateLimitCounter.window_start == start)
    done = db.execute(update(RateLimitCounter).where(key).values(count=RateLimitCounter.count + 1))
    if done.rowcount == 0:
        try:
            with db.begin_nested():
                db.add(RateLimitCounter(bucket=bucket, window_start=start, count=1))
        except IntegrityError:
            db.execute(update(RateLimitCounter).where(key)
                       .values(count=RateLimitCounter.count + 1))
    count = db.scalar(select(RateLimitCounter.count).where(key))
    _forget_windows_before(db, start - timedelta(seconds=window_seconds))
    db.commit()
    return count <= limit


def _forget_windows_before(db: Session, before: datetime) -> None:
    """Past windows count nothing any more; dropping them keeps the table to active clients."""
    db.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < before))
