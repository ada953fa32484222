"""Fixed-window rate-limit counters, kept in the database so every web worker shares them.

The web tier is stateless (DESIGN.md §6): a counter in process memory would let a client
multiply its allowance by the number of gunicorn workers. One row per (bucket, window start).
"""

from __future__ import annotations

import threading
import weakref
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
    return _add(db, bucket, window_start(now, window_seconds), 1, window_seconds) <= limit


# --- batched counting, for pages read often (/v/) -------------------------------------------

BATCH_MAX = 50  # a worker writes its hits at least every this many (far from the limit)


class _Window:
    """This process's view of one window: the shared count last read, and hits not yet written."""

    __slots__ = ("start", "seen", "pending")

    def __init__(self, start: datetime):
        self.start, self.seen, self.pending = start, {}, {}


_windows: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> _Window
_lock = threading.Lock()


def batch_size(limit: int, seen: int) -> int:
    """How many hits a worker may hold before writing them: a tenth of the limit (at most
    BATCH_MAX), and one, i.e. every hit written, once the shared count is within that of it."""
    step = max(1, min(BATCH_MAX, limit // 10))
    return 1 if seen + step >= limit else step


def hit_batched(db: Session, bucket: str, limit: int, window_seconds: int,
                now: datetime) -> bool:
    """Like `hit`, without a write transaction per request while a client is far from its limit.

    Each worker counts locally and adds its hits to the shared row in batches (`batch_size`);
    within a batch of the limit it writes every hit, as `hit` does. The decision uses the
    shared count last read plus this worker's unwritten hits, so with W workers a client gets
    at most (W - 1) × (batch - 1) requests past the limit in a window (12 for 120 a minute on
    2 workers), and never more than one window's limit plus that.
    """
    start = window_start(now, window_seconds)
    engine = db.get_bind()
    with _lock:
        window = _windows.get(engine)
        if window is None or window.start != start:  # a new window: the old one counts no more
            window = _windows[engine] = _Window(start)
        seen = window.seen.get(bucket, 0)
        pending = window.pending.get(bucket, 0) + 1
        if pending < batch_size(limit, seen):
            window.pending[bucket] = pending
            return seen + pending <= limit
        window.pending[bucket] = 0
    count = _add(db, bucket, start, pending, window_seconds)
    with _lock:
        window.seen[bucket] = max(window.seen.get(bucket, 0), count)
    return count <= limit


def _add(db: Session, bucket: str, start: datetime, hits: int, window_seconds: int) -> int:
    """Add `hits` to the shared row in one small transaction; the row's new count."""
    key = (RateLimitCounter.bucket == bucket) & (RateLimitCounter.window_start == start)
    done = db.execute(update(RateLimitCounter).where(key)
                      .values(count=RateLimitCounter.count + hits))
    if done.rowcount == 0:
        try:
            with db.begin_nested():
                db.add(RateLimitCounter(bucket=bucket, window_start=start, count=hits))
        except IntegrityError:
            db.execute(update(RateLimitCounter).where(key)
                       .values(count=RateLimitCounter.count + hits))
    count = db.scalar(select(RateLimitCounter.count).where(key))
    _forget_windows_before(db, start - timedelta(seconds=window_seconds))
    db.commit()
    return count


def _forget_windows_before(db: Session, before: datetime) -> None:
    """Past windows count nothing any more; dropping them keeps the table to active clients."""
    db.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < before))
