"""Announcements between use cases: a badge was issued, a badge was revoked.

Issuing and revocation announce; skill stacking and wallet copies listen. So no service calls
one that calls it back, and each module imports only what it builds on. The listeners are
connected once, in a fixed order, by the package root (`issuer/services/__init__.py`).

A receiver runs synchronously in the announcer's transaction, with the announcer's arguments
`(db, credential, actor, now)`; its exception propagates and undoes the use case. A bulk job
announces a chunk of badges at once (`send_many`): a receiver connected with a `many` variant
gets `(db, credentials, actor, now)` once, so it can read what the chunk needs in one query;
the others are called once per credential. Receivers
run in the order they were connected — unlike blinker's signals, whose order is undefined:
a revoked part's wallet copies must be revoked before stacking counts the person's spare parts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from issuer.store.models import Credential

from .base import Actor

Receiver = Callable[[Session, Credential, Actor, datetime], object]
ManyReceiver = Callable[[Session, list[Credential], Actor, datetime], object]


class Event:
    """One kind of announcement, with its receivers in the order they were connected."""

    def __init__(self, name: str):
        self.name = name
        self.receivers: list[Receiver] = []
        self._many: dict[Receiver, ManyReceiver] = {}

    def connect(self, receiver: Receiver, many: ManyReceiver | None = None) -> Receiver:
        """Call `receiver` on every announcement from now on (once, however often connected);
        `many`, when given, receives a whole `send_many` instead (the same work for a list)."""
        if receiver not in self.receivers:
            self.receivers.append(receiver)
        if many is not None:
            self._many[receiver] = many
        return receiver

    def send(self, db: Session, credential: Credential, actor: Actor, now: datetime) -> None:
        """Announce: call every receiver in turn, inside the caller's transaction."""
        for receiver in list(self.receivers):
            receiver(db, credential, actor, now)

    def send_many(self, db: Session, credentials: list[Credential], actor: Actor,
                  now: datetime) -> None:
        """Announce several credentials: each receiver in turn takes all of them."""
        for receiver in list(self.receivers):
            if receiver in self._many:
                self._many[receiver](db, credentials, actor, now)
            else:
                for credential in credentials:
                    receiver(db, credential, actor, now)

    def __repr__(self) -> str:
        return f"<Event {self.name}: {len(self.receivers)} receivers>"


# A micro-training badge was issued for an evaluation (not a skill badge, not a wallet copy).
issued = Event("issued")
# A credential was revoked (its status bit set, the reason recorded).
revoked = Event("revoked")
