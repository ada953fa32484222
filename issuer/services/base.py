"""What every use case shares: the named errors, the actor, the settings, one transaction, the
audit log.

Service modules import these from here, never from the package root: the root wires the
services' events together and so imports them (see `issuer/services/__init__.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, object_session

from issuer.config import Settings
from issuer.core.errors import BadgeError
from issuer.core.messages import N_
from issuer.store.models import ApiToken, AuditEvent, Organisation, User


class ServiceError(BadgeError):
    """A use case cannot be carried out as asked."""


class NotIssuable(ServiceError):
    """An assessment cannot become a credential (rule not met, learner erased, …)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidAssessment(ServiceError):
    """An evaluation names a gesture or level the micro-training does not have."""


class NotFound(ServiceError):
    """The record asked for does not exist (or is not visible to this actor)."""


class PermissionDenied(ServiceError):
    """The actor may not act for this organisation or in this role."""


# Who performs a use case: a logged-in user, an API token, or None for the system (CLI, demo).
Actor = User | ApiToken | None


def settings_of(where: Session | object) -> Settings:
    """The settings of the deployment that `where` (a session, or a record in one) belongs to.

    They travel with the session (`issuer.store.db.make_sessionmaker`), never through a global:
    a use case sees the configuration of the app or command that opened its session.
    """
    session = where if isinstance(where, Session) else object_session(where)
    found = session.info.get("settings") if session is not None else None
    if found is None:
        raise RuntimeError(f"{type(where).__name__} is in no session made by make_sessionmaker"
                           " with settings")
    return found


@contextmanager
def unit_of_work(db: Session) -> Iterator[Session]:
    """Run one use case in one transaction: commit on success, roll back on any error."""
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise


def require_organisation(actor: Actor, organisation_id: int) -> None:
    """Refuse a user or token of another organisation (the system actor may act for any)."""
    if actor is not None and actor.organisation_id != organisation_id:
        raise PermissionDenied(N_("this record belongs to another organisation"))


def audit(db: Session, action: str, actor: Actor, organisation: Organisation | int | None,
          subject: str | None = None, **detail) -> AuditEvent:
    """Record who did what. `detail` must never hold key material or passwords."""
    org_id = organisation.id if isinstance(organisation, Organisation) else organisation
    if isinstance(actor, ApiToken):
        detail.setdefault("api_token", actor.name)
    event = AuditEvent(
        organisation_id=org_id,
        user_id=actor.id if isinstance(actor, User) else None,
        action=action,
        subject=subject,
        detail=detail,
    )
    db.add(event)
    return event
