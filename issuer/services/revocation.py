"""Revocation: the credential's status bit is set in the same transaction as the record.

The published list is re-signed on the next request for it (its revision changed), so every
verifier sees the revocation as soon as the transaction commits, subject only to the list's
HTTP cache time.

`revoke` then announces `events.revoked`: the credential's wallet copies are revoked with it and
the skill badges that counted it are withdrawn, in the same transaction (see `claims` and
`stacking`, which listen).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import Credential

from . import events
from .base import Actor, ServiceError, audit, require_organisation
from .status_lists import set_revoked

MAX_REASON_LENGTH = 2000
# Why a badge is withdrawn, from a fixed list: the verification page says it in the reader's
# language. Free text may add details, shown only when the revoker publishes it.
REASONS = {
    "issued-in-error": N_("Issued by mistake"),
    "wrong-person": N_("Issued to the wrong person"),
    "assessment-withdrawn": N_("The evaluation no longer stands"),
    "replaced": N_("Replaced by a corrected badge"),
    "learner-request": N_("Withdrawn at the learner's request"),
    "other": N_("Other reason"),
}


class AlreadyRevoked(ServiceError):
    """The credential was revoked before."""


def revoke(
    db: Session, credential: Credential, reason: str, actor: Actor, now: datetime | None = None,
    public: bool = False, code: str | None = None,
) -> Credential:
    """Revoke `credential` for a stated reason (kept in the audit log).

    `code` names the reason from `REASONS` (shown to every reader, translated); the free-text
    `reason` is required without a code or with "other", and is shown on the verification page
    only when `public` is true: it may hold personal details. Wallet copies are revoked with the
    same reason and visibility, and skill badges that counted this one are withdrawn (listeners
    of `events.revoked`).
    """
    require_organisation(actor, credential.organisation_id)
    reason = " ".join((reason or "").split())
    if code is not None and code not in REASONS:
        raise ServiceError(N_("unknown revocation reason %(code)s", code=code))
    if not reason and code in (None, "other"):
        raise ServiceError(N_("a reason is required to revoke a badge"))
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(N_("the reason is too long (at most %(count)s characters)",
                              count=MAX_REASON_LENGTH))
    if credential.revoked_at is not None:
        raise AlreadyRevoked(N_("this badge was already revoked on %(date)s",
                                 date=credential.revoked_at.date().isoformat()))
    set_revoked(db, credential.status_list, credential.status_index)
    credential.revoked_at = utc_seconds(now)
    credential.revocation_reason = reason or None
    credential.revocation_reason_code = code
    credential.revocation_reason_public = bool(public)
    db.flush()
    audit(
        db,
        "credential.revoke",
        actor,
        credential.organisation_id,
        credential.uuid,
        short_id=credential.short_id,
        reason=reason,
        code=code,
        public=bool(public),
    )
    events.revoked.send(db, credential, actor, credential.revoked_at)
    return credential


MAX_AT_ONCE = 100


def revoke_many(db: Session, credentials: list[Credential], reason: str, actor: Actor,
                now: datetime | None = None, public: bool = False,
                code: str | None = None) -> list[Credential]:
    """Revoke several badges for one reason (a session evaluated by mistake): all of them or,
    when one cannot be revoked, none (the caller's transaction rolls back)."""
    if not credentials:
        raise ServiceError(N_("choose the badges to revoke"))
    if len(credentials) > MAX_AT_ONCE:
        raise ServiceError(N_("at most %(count)s badges can be revoked at once",
                              count=MAX_AT_ONCE))
    now = utc_seconds(now)
    return [revoke(db, credential, reason, actor, now, public, code) for credential in credentials]
