"""Per-organisation API tokens: shown once when created, only their sha256 kept.

A token is `sky_` followed by 43 URL-safe random characters (256 bits), so a lookup by its
sha256 is as good as a constant-time comparison: the hash of a guess tells nothing about the
tokens that exist. A token acts only for its own organisation, only within its scopes (read,
issue, revoke, learners), and stops working when revoked or when it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import ApiToken, Organisation

from .base import Actor, ServiceError, audit, require_organisation

TOKEN_PREFIX = "sky_"
MAX_NAME_LENGTH = 200
# What a token may do: read badges, templates and verify; issue; revoke; manage learners.
SCOPES = ("read", "issue", "revoke", "learners", "sign", "status")
# `sign` (the VC-API issuer signs any credential as the organisation) and `status` (it revokes or
# suspends those) are only ever given on purpose.
DEFAULT_SCOPES = ("read", "issue", "revoke", "learners")
DEFAULT_LIFETIME = timedelta(days=365)
MAX_LIFETIME = timedelta(days=2 * 365)
# `last_used_at` is written at most this often, so reading the API does not write every time.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(token: str) -> str:
    """The sha256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db: Session, org: Organisation, name: str, actor: Actor = None,
                 scopes: tuple[str, ...] = DEFAULT_SCOPES, lifetime: timedelta = DEFAULT_LIFETIME,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `org`, named for what uses it, allowed `scopes`, expiring after
    `lifetime`; the plain token is returned only here."""
    require_organisation(actor, org.id)
    scopes = tuple(scope for scope in SCOPES if scope in set(scopes))
    if not scopes:
        raise ServiceError(N_("an API token needs at least one permission"))
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ServiceError(N_("an API token must expire within %(days)s days",
                              days=MAX_LIFETIME.days))
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(
            N_("an API token needs a name saying what uses it (e.g. 'LMS export')"))
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(N_("the token name is too long (at most %(count)s characters)",
                              count=MAX_NAME_LENGTH))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(organisation_id=org.id, name=name, token_sha256=token_digest(token),
                      scopes=" ".join(scopes), expires_at=utc_seconds(now) + lifetime)
    db.add(record)
    db.flush()
    audit(db, "api_token.create", actor, org, f"api_token:{record.id}", name=name,
          scopes=list(scopes), expires_at=record.expires_at.isoformat())
    return record, token


def authenticate(db: Session, token: str | None, now: datetime | None = None) -> ApiToken | None:
    """The live token record for a presented token (and note its use), or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    record = db.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_digest(token)))
    now = utc_seconds(now)
    if record is None or record.revoked_at is not None or is_expired(record, now):
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
        record.last_used_at = now
        db.flush()
    return record


def is_expired(record: ApiToken, now: datetime | None = None) -> bool:
    """True once the token's expiry has passed (tokens from before expiry existed never do)."""
    return record.expires_at is not None and record.expires_at <= utc_seconds(now)


def allows(record: ApiToken, scope: str) -> bool:
    """True when the token was given `scope`."""
    return scope in record.scopes.split()


def revoke_token(db: Session, record: ApiToken, actor: Actor,
                 now: datetime | None = None) -> ApiToken:
    """Stop a token from working; revoking it again changes nothing."""
    require_organisation(actor, record.organisation_id)
    if record.revoked_at is None:
        record.revoked_at = utc_seconds(now)
        db.flush()
        audit(db, "api_token.revoke", actor, record.organisation_id, f"api_token:{record.id}",
              name=record.name)
    return record


def tokens_of(db: Session, org: Organisation) -> list[ApiToken]:
    """The organisation's tokens, newest first (revoked ones too, for the record)."""
    return list(db.scalars(select(ApiToken).where(ApiToken.organisation_id == org.id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
