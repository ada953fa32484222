"""Trainer and admin accounts: argon2id password hashes and a database-backed log-in limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from issuer.config import Settings, settings
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import LoginFailure, Organisation, User

from . import Actor, ServiceError, audit

ROLES = ("admin", "trainer")
MIN_PASSWORD_LENGTH = 10
# An address may try several accounts (a shared office connection), so it gets more attempts.
ADDRESS_FACTOR = 4


class TooManyAttempts(ServiceError):
    """Log-in refused for a while after repeated failures."""


def _hasher(config: Settings) -> PasswordHasher:
    return PasswordHasher(time_cost=config.password_time_cost,
                          memory_cost=config.password_memory_cost)


def hash_password(password: str, config: Settings) -> str:
    """An argon2id hash of `password` with the costs of `config`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(N_("a password needs at least %(count)s characters",
                              count=MIN_PASSWORD_LENGTH))
    return _hasher(config).hash(password)


def create_user(db: Session, org: Organisation, email: str, name: str, role: str,
                password: str, actor: Actor = None, language: str | None = None,
                config: Settings | None = None) -> User:
    """A new trainer or admin of `org` (password costs from `config`, default: active settings)."""
    if role not in ROLES:
        raise ServiceError(N_("role must be one of %(roles)s, not %(role)s",
                              roles=", ".join(ROLES), role=repr(role)))
    email = email.strip().lower()
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise ServiceError(N_("an account with the e-mail %(email)s already exists", email=email))
    user = User(organisation_id=org.id, email=email, name=name.strip(), role=role,
                password_hash=hash_password(password, config or settings()),
                language=language, active=True)
    db.add(user)
    db.flush()
    audit(db, "account.create", actor, org, email, role=role)
    return user


def authenticate(db: Session, email: str, password: str, remote_addr: str | None,
                 now: datetime | None = None, config: Settings | None = None) -> User | None:
    """The active user with these credentials, or None; raises TooManyAttempts when locked.

    Failures are recorded (commit them even when the log-in fails). Lock-out and password costs
    come from `config` (default: the active settings).
    """
    config = config or settings()
    now = now or utc_seconds()
    email = (email or "").strip().lower()
    _refuse_when_locked(db, email, remote_addr, now, config)
    user = db.scalar(select(User).where(User.email == email, User.active.is_(True)))
    if user is None or not _password_matches(user, password, config):
        db.add(LoginFailure(email=email[:320], remote_addr=remote_addr, created_at=now))
        db.flush()
        return None
    db.execute(delete(LoginFailure).where(LoginFailure.email == email))
    if _hasher(config).check_needs_rehash(user.password_hash):
        user.password_hash = _hasher(config).hash(password)
    return user


def _password_matches(user: User, password: str, config: Settings) -> bool:
    try:
        return _hasher(config).verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _refuse_when_locked(db: Session, email: str, remote_addr: str | None, now: datetime,
                        current: Settings):
    since = now - timedelta(minutes=current.login_lockout_minutes)
    db.execute(delete(LoginFailure).where(LoginFailure.created_at < since))
    by_email = db.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.email == email, LoginFailure.created_at >= since))
    by_address = 0
    if remote_addr:
        by_address = db.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.remote_addr == remote_addr, LoginFailure.created_at >= since))
    if (by_email >= current.login_max_failures
            or by_address >= current.login_max_failures * ADDRESS_FACTOR):
        raise TooManyAttempts(N_("too many failed log-ins; try again in %(minutes)s minutes",
                                 minutes=current.login_lockout_minutes))



