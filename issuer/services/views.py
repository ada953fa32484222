"""How often a badge's public page is opened: a number per credential and day, nothing more.

No address, agent, referrer or cookie is kept: the pilot wants to know whether employers look
at badges, never who did. So that a page view costs no write transaction of its own, views are
tallied in the process (`ViewTally`) and written together in one UPSERT per batch — when
`batch` views are waiting or the oldest waited `max_wait` seconds. A worker that stops loses
at most one batch of views; a count, not a record, can afford that.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from issuer.store.report_models import CredentialViewDay


class ViewTally:
    """Views counted in this process and not yet written; safe across a worker's threads."""

    def __init__(self, batch: int = 50, max_wait: float = 60.0):
        self.batch = batch
        self.max_wait = max_wait
        self._lock = threading.Lock()
        self._pending: Counter[tuple[int, date]] = Counter()
        self._since: datetime | None = None

    def add(self, credential_id: int, now: datetime) -> bool:
        """Count one view of `credential_id` at `now`; True when the batch is due."""
        with self._lock:
            self._pending[(credential_id, now.date())] += 1
            self._since = self._since or now
            return (sum(self._pending.values()) >= self.batch
                    or (now - self._since).total_seconds() >= self.max_wait)

    def take(self) -> Counter[tuple[int, date]]:
        """The waiting views, which the caller now owns (the tally starts again from zero)."""
        with self._lock:
            pending, self._pending, self._since = self._pending, Counter(), None
            return pending


def write_views(db: Session, pending: Counter[tuple[int, date]]) -> None:
    """Add `pending` to the stored daily counts in one statement (the caller commits)."""
    if not pending:
        return
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    rows = [{"credential_id": credential_id, "day": day, "views": views}
            for (credential_id, day), views in sorted(pending.items())]
    statement = dialect.insert(CredentialViewDay).values(rows)
    db.execute(statement.on_conflict_do_update(
        index_elements=["credential_id", "day"],
        set_={"views": CredentialViewDay.views + statement.excluded.views}))


def flush(db: Session, tally: ViewTally) -> None:
    """Write the tally's waiting views in one short transaction of their own. If that fails the
    batch is dropped, not retried: a batch that cannot be written (a credential erased since)
    would otherwise block every later one."""
    pending = tally.take()
    try:
        write_views(db, pending)
        db.commit()
    except Exception:
        db.rollback()
        raise


def views_of(db: Session, credential_id: int) -> int:
    """Every stored view of one credential's page."""
    counts = db.scalars(select(CredentialViewDay.views)
                        .where(CredentialViewDay.credential_id == credential_id)).all()
    return sum(counts)
