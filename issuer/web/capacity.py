"""How many verifications of strangers' credentials one worker process runs at once.

Verifying a credential from anywhere may wait up to ten seconds on slow hosts
(issuer.fetch.VERIFICATION_SECONDS) and cost half a second of signature work. Under gunicorn's
threaded workers (issuer/web/gunicorn_conf.py) such a request holds one thread; these slots keep
verifications from holding every thread, so the home page and the badge pages answer whatever is
sent to /verify. A verification that finds no free slot is refused at once (503, Retry-After):
queueing it would only move the wait onto the pages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

RETRY_AFTER_SECONDS = 5

_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


@contextmanager
def verification_slot(count: int) -> Iterator[bool]:
    """Hold one of this process's `count` slots while the block runs; yields False when none
    is free (the caller answers 503 without doing the work)."""
    with _lock:
        slots = _slots.setdefault(count, threading.BoundedSemaphore(max(count, 1)))
    taken = slots.acquire(blocking=False)
    try:
        yield taken
    finally:
        if taken:
            slots.release()
