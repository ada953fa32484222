"""Single-use links that let a person into their account: invitations and password resets.

A link carries a random token; only its sha256 is stored (as for sessions and API tokens). An
invitation lives 7 days, a reset one hour; using a link, or sending a newer one of the same
purpose, ends it. Choosing a password through either ends the account's other sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from issuer.config import Settings
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import AccountToken, Organisation, User

from .accounts import check_password_rules, create_user, find_active, set_password
from .base import Actor, ServiceError, audit, require_organisation
from .urls import public_url

INVITATION, RESET = "invitation", "reset"
LIFETIMES = {INVITATION: timedelta(days=7), RESET: timedelta(hours=1)}
PATHS = {INVITATION: "/account/invitation/", RESET: "/account/reset/"}
MAX_TOKEN_LENGTH = 100


class InvalidLink(ServiceError):
    """A link that was never sent, was used already, or expired."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link(where: Session | object, token: str, purpose: str) -> str:
    """The address a person opens to use `token`, on the public site of `where` (a session or
    a record in one)."""
    return public_url(where, PATHS[purpose] + token)


def issue_token(db: Session, user: User, purpose: str, now: datetime | None = None) -> str:
    """A new link of `purpose` for `user` (the token in clear, shown or sent once); it ends
    any earlier unused one of the same purpose."""
    now = utc_seconds(now)
    db.execute(delete(AccountToken).where(AccountToken.user_id == user.id,
                                          AccountToken.purpose == purpose))
    token = secrets.token_urlsafe(32)
    db.add(AccountToken(user_id=user.id, purpose=purpose, token_sha256=_digest(token),
                        created_at=now, expires_at=now + LIFETIMES[purpose]))
    db.flush()
    return token


def invite(db: Session, org: Organisation, email: str, role: str, actor: Actor,
           name: str = "", language: str | None = None,
           now: datetime | None = None) -> tuple[User, str]:
    """A new account of `org` waiting for its person to choose a password, and its invitation."""
    if actor is not None and getattr(actor, "role", None) != "coordinator":
        require_organisation(actor, org.id)
    user = create_user(db, org, email, name, role, None, actor,
                       language=language or org.default_language)
    audit(db, "account.invite", actor, org, user.email, role=role)
    return user, issue_token(db, user, INVITATION, now)


def reinvite(db: Session, user: User, actor: Actor, now: datetime | None = None) -> str:
    """A fresh invitation for an account whose person has not chosen a password yet."""
    require_organisation(actor, user.organisation_id)
    if user.password_hash or not user.active:
        raise ServiceError(N_("this account already has a password"))
    audit(db, "account.invite", actor, user.organisation_id, user.email, role=user.role)
    return issue_token(db, user, INVITATION, now)


def holder(db: Session, token: str, purpose: str, now: datetime | None = None,
           lock: bool = False) -> User:
    """The active account a live link of `purpose` opens; InvalidLink otherwise."""
    record = _live(db, token, purpose, utc_seconds(now), lock)
    return record.user


def _live(db: Session, token: str, purpose: str, now: datetime, lock: bool) -> AccountToken:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidLink(N_("this link is not valid"))
    query = select(AccountToken).where(AccountToken.token_sha256 == _digest(token),
                                       AccountToken.purpose == purpose)
    record = db.scalar(query.with_for_update() if lock else query)
    if record is None or record.used_at is not None or not record.user.active:
        raise InvalidLink(N_("this link is not valid, or was used already"))
    if record.expires_at <= now:
        raise InvalidLink(N_("this link has expired; ask for a new one"))
    return record


def redeem(db: Session, token: str, purpose: str, password: str, config: Settings,
           name: str | None = None, now: datetime | None = None) -> User:
    """Use a link: the account gets `password` (and, from an invitation, its person's `name`);
    the link and the account's other sessions end."""
    now = utc_seconds(now)
    check_password_rules(password)  # before the link is spent
    record = _live(db, token, purpose, now, lock=True)
    user = record.user
    if purpose == INVITATION and name and name.strip():
        user.name = name.strip()[:200]
    if purpose == INVITATION and not user.name:
        raise ServiceError(N_("please give your name"))
    set_password(db, user, password, config)
    record.used_at = now
    audit(db, f"account.{purpose}.used", user, user.organisation_id, user.email)
    return user


def request_reset(db: Session, email: str, now: datetime | None = None) -> tuple[User, str] | None:
    """A reset link for the active account using `email`, or None when there is none.

    The shell answers the same either way, so the answer does not tell who has an account.
    """
    user = find_active(db, email)
    if user is None or not user.password_hash:
        return None
    audit(db, "account.reset.requested", None, user.organisation_id, user.email)
    return user, issue_token(db, user, RESET, now)
