"""Suspension: a badge put on hold (an evaluation under review) and reinstated, both audited.

Unlike revocation, a suspension ends. It cannot be written into the signed badge: OB 3.0 and
both 1EdTech schemas allow one `credentialStatus` object, and that one is the revocation entry
every conformant verifier reads (a second, `suspension` entry would make the badge fail the
schemas). So the hold is kept here, and this service's verification pages and JSON (which read
it through `verification.verify_stored`) say "suspended"; another verifier, reading only the
signed badge and its revocation list, does not see it. Credentials signed through the VC-API
carry a real `suspension` entry (`vc_api.update_status`), as any W3C credential may.
A badge's wallet copies are held and reinstated with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import Credential

from .base import Actor, ServiceError, audit, require_organisation
from .revocation import MAX_REASON_LENGTH


def suspend(db: Session, credential: Credential, reason: str, actor: Actor,
            now: datetime | None = None) -> Credential:
    """Put `credential` (and its wallet copies) on hold for a stated reason."""
    require_organisation(actor, credential.organisation_id)
    reason = _reason(reason)
    if credential.revoked_at is not None:
        raise ServiceError(N_("a revoked badge cannot be suspended"))
    if credential.suspended_at is not None:
        raise ServiceError(N_("this badge is already suspended"))
    _hold(db, credential, utc_seconds(now), reason)
    audit(db, "credential.suspend", actor, credential.organisation_id, credential.uuid,
          short_id=credential.short_id, reason=reason)
    return credential


def reinstate(db: Session, credential: Credential, reason: str, actor: Actor) -> Credential:
    """End the hold on `credential` (and its wallet copies); the reason goes to the audit log."""
    require_organisation(actor, credential.organisation_id)
    reason = _reason(reason)
    if credential.suspended_at is None:
        raise ServiceError(N_("this badge is not suspended"))
    _hold(db, credential, None, None)
    audit(db, "credential.reinstate", actor, credential.organisation_id, credential.uuid,
          short_id=credential.short_id, reason=reason)
    return credential


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError(N_("a reason is required"))
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(N_("the reason is too long (at most %(count)s characters)",
                              count=MAX_REASON_LENGTH))
    return reason


def _hold(db: Session, credential: Credential, since: datetime | None,
          reason: str | None) -> None:
    """Set (or clear) the hold on the badge and on each of its wallet copies."""
    copies = db.scalars(select(Credential).where(Credential.supersedes_id == credential.id))
    for held in [credential, *copies]:
        held.suspended_at, held.suspension_reason = since, reason
    db.flush()
