"""Trainer and admin accounts: argon2id password hashes, a database-backed log-in limit and
server-side sessions.

Log-in limits (counted in the database, so they hold across every worker):
- a browser that has signed in to the account before (a *device*, OWASP "device cookies") has
  its own budget, so nobody can lock a person out by guessing at their address;
- any other browser is limited per account and address, per address, and per account overall;
- guesses at one account are serialised (its row is locked while one is checked), so the limit
  holds under parallel guesses;
- an unknown address costs the same password check as a known one: the answer's timing does
  not tell whether an account exists.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from issuer.config import Settings
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import LoginFailure, Organisation, StaffSession, User

from .base import Actor, PermissionDenied, ServiceError, audit, require_organisation, settings_of

ROLES = ("admin", "trainer", "coordinator")
# ASVS 2.1.1 asks for 12 characters at least; 2.1.7 for refusing the commonest passwords.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128  # ASVS 2.1.2; bounds the argon2 input a stranger can send
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# An address may try several accounts (a shared office connection), so it gets more attempts;
# an account may be tried from several addresses before browsers new to it are refused.
ADDRESS_FACTOR = 4
ACCOUNT_FACTOR = 4
# A session's last use is written at most this often (reading pages should not write each time).
SESSION_TOUCH = timedelta(minutes=5)


class TooManyAttempts(ServiceError):
    """Log-in refused for a while after repeated failures."""


def password_hasher(config: Settings) -> PasswordHasher:
    """argon2id with the costs of `config`: staff passwords and learners' claim codes."""
    return PasswordHasher(time_cost=config.password_time_cost,
                          memory_cost=config.password_memory_cost)


class WeakPassword(ServiceError):
    """A new password too short, too long or among the commonest ones."""


def check_password_rules(password: str) -> None:
    """Refuse a new password that is too short, too long or among the commonest ones."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(N_("a password needs at least %(count)s characters",
                              count=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(N_("a password has at most %(count)s characters",
                              count=MAX_PASSWORD_LENGTH))
    if password.casefold() in _common_passwords():
        raise WeakPassword(N_("this password is one of the most common ones; choose another"))


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text("utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


def hash_password(password: str, config: Settings) -> str:
    """An argon2id hash of `password` with the costs of `config` (a new password: checked)."""
    check_password_rules(password)
    return password_hasher(config).hash(password)


def create_user(db: Session, org: Organisation, email: str, name: str, role: str,
                password: str | None, actor: Actor = None, language: str | None = None,
                config: Settings | None = None) -> User:
    """A new trainer or admin of `org` (password costs from `config`, default: those of `db`).

    Without a password the account waits for its person to choose one from an invitation
    (`account_tokens.invite`); nobody can log in to it meanwhile.
    """
    if role not in ROLES:
        raise ServiceError(N_("role must be one of %(roles)s, not %(role)s",
                              roles=", ".join(ROLES), role=repr(role)))
    email = normalise_email(email)
    refuse_taken_address(db, email)
    stored = hash_password(password, config or settings_of(db)) if password else ""
    user = User(organisation_id=org.id, email=email, name=name.strip(), role=role,
                password_hash=stored, language=language, active=True)
    db.add(user)
    db.flush()
    audit(db, "account.create", actor, org, email, role=role)
    return user


def normalise_email(email: str) -> str:
    """An address as accounts store it: trimmed, lower case; refused when it cannot be one."""
    email = (email or "").strip().lower()
    local, _at, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise ServiceError(N_("%(email)s is not an e-mail address", email=repr(email[:80])))
    return email


def refuse_taken_address(db: Session, email: str, except_id: int | None = None) -> None:
    """Refuse an address an active account already uses (a deactivated one frees it)."""
    holder = db.scalar(select(User.id).where(User.email == email, User.active.is_(True)))
    if holder is not None and holder != except_id:
        raise ServiceError(N_("an account with the e-mail %(email)s already exists", email=email))


def find_active(db: Session, email: str, lock: bool = False) -> User | None:
    """The active account using `email` (trimmed, case-folded), or None."""
    query = select(User).where(User.email == (email or "").strip().lower()[:320],
                               User.active.is_(True))
    return db.scalar(query.with_for_update() if lock else query)


def authenticate(db: Session, email: str, password: str, remote_addr: str | None,
                 now: datetime | None = None, device: str | None = None,
                 config: Settings | None = None) -> User | None:
    """The active user with these credentials, or None; raises TooManyAttempts when locked.

    `device` is the id of a browser that signed in to this account before (see
    `trusted_device`). Failures are recorded (commit them even when the log-in fails).
    Lock-out and password costs come from `config` (default: the settings of `db`).
    """
    config = config or settings_of(db)
    now = now or utc_seconds()
    email = (email or "").strip().lower()[:320]
    password = (password or "")[:MAX_PASSWORD_LENGTH + 1]
    # Lock the account's row: parallel guesses at one account are counted one after another.
    user = find_active(db, email, lock=True)
    _refuse_when_locked(db, email, remote_addr, device, now, config)
    # No account, or one still waiting for its password: the same argon2 work, then "no".
    usable = user is not None and bool(user.password_hash)
    stored = user.password_hash if usable else _decoy_hash(config)
    if not (_password_matches(stored, password, config) and usable):
        db.add(LoginFailure(email=email, remote_addr=remote_addr, device=device,
                            created_at=now))
        db.flush()
        return None
    db.execute(delete(LoginFailure).where(LoginFailure.email == email))
    if password_hasher(config).check_needs_rehash(user.password_hash):
        user.password_hash = password_hasher(config).hash(password)
    return user


def _password_matches(password_hash: str, password: str, config: Settings) -> bool:
    try:
        return password_hasher(config).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _decoy_hash(current: Settings) -> str:
    """A hash with the current parameters, checked when no account matches (same timing)."""
    return _decoy_for(current.password_time_cost, current.password_memory_cost)


@cache
def _decoy_for(time_cost: int, memory_cost: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost).hash(
        secrets.token_urlsafe(16))


def _refuse_when_locked(db: Session, email: str, remote_addr: str | None, device: str | None,
                        now: datetime, current: Settings):
    limit = current.login_max_failures
    since = now - timedelta(minutes=current.login_lockout_minutes)
    db.execute(delete(LoginFailure).where(LoginFailure.created_at < since))

    def failures(*conditions) -> int:
        return db.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.created_at >= since, *conditions))

    if device is not None:
        locked = failures(LoginFailure.email == email, LoginFailure.device == device) >= limit
    else:
        locked = (
            failures(LoginFailure.email == email, LoginFailure.device.is_(None),
                     LoginFailure.remote_addr == remote_addr) >= limit
            or failures(LoginFailure.email == email,
                        LoginFailure.device.is_(None)) >= limit * ACCOUNT_FACTOR
            or (remote_addr is not None and failures(
                LoginFailure.remote_addr == remote_addr,
                LoginFailure.device.is_(None)) >= limit * ADDRESS_FACTOR))
    if locked:
        raise TooManyAttempts(N_("too many failed log-ins; try again in %(minutes)s minutes",
                                 minutes=current.login_lockout_minutes))


# --- sessions --------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(db: Session, user: User, now: datetime | None = None,
                  config: Settings | None = None) -> str:
    """A new server-side session for `user`; returns its random id (kept only by the browser)."""
    now = now or utc_seconds()
    lifetime = timedelta(minutes=(config or settings_of(db)).session_lifetime_minutes)
    db.execute(delete(StaffSession).where(StaffSession.last_seen_at < now - lifetime))
    token = secrets.token_urlsafe(32)
    db.add(StaffSession(user_id=user.id, token_sha256=_digest(token), created_at=now,
                        last_seen_at=now))
    db.flush()
    return token


def session_user(db: Session, token: str | None, now: datetime | None = None,
                 config: Settings | None = None) -> User | None:
    """The active user of a live session id, or None (ended, expired, or never started)."""
    if not token or len(token) > 100:
        return None
    now = now or utc_seconds()
    record = db.scalar(select(StaffSession).where(StaffSession.token_sha256 == _digest(token)))
    config = config or settings_of(db)
    lifetime = timedelta(minutes=config.session_lifetime_minutes)
    if record is None or record.last_seen_at < now - lifetime:
        return None
    if record.created_at < now - timedelta(hours=config.session_max_hours):
        return None  # an absolute limit: a stolen cookie kept busy still dies
    if now - record.last_seen_at >= SESSION_TOUCH:  # inactivity, not age, ends a session
        record.last_seen_at = now
    user = db.get(User, record.user_id)
    return user if user is not None and user.active else None


def end_session(db: Session, token: str | None) -> None:
    """Forget a session: its cookie, even copied elsewhere, no longer signs anyone in."""
    if token:
        db.execute(delete(StaffSession).where(StaffSession.token_sha256 == _digest(token)))


def end_sessions(db: Session, user: User, keep: str | None = None) -> None:
    """End every session of `user` but the one whose id is `keep` (a password changed)."""
    query = delete(StaffSession).where(StaffSession.user_id == user.id)
    if keep:
        query = query.where(StaffSession.token_sha256 != _digest(keep))
    db.execute(query)


# --- a person's own password, and the admin's switch -------------------------------------------


def set_password(db: Session, user: User, password: str, config: Settings,
                 keep_session: str | None = None) -> None:
    """Give `user` a new password; every other session of theirs ends."""
    user.password_hash = hash_password(password, config)
    end_sessions(db, user, keep=keep_session)
    db.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
    audit(db, "account.password", user, user.organisation_id, user.email)


def change_password(db: Session, user: User, current: str, new: str, config: Settings,
                    session_token: str | None = None) -> None:
    """A signed-in person's new password; the current one must be given (ASVS 2.1.5)."""
    if not _password_matches(user.password_hash, (current or "")[:MAX_PASSWORD_LENGTH + 1],
                             config):
        raise PermissionDenied(N_("the current password is not right"))
    if new == current:
        raise WeakPassword(N_("choose a password different from the current one"))
    set_password(db, user, new, config, keep_session=session_token)


def deactivate(db: Session, account: User, actor: User) -> None:
    """The account can no longer log in and its sessions end; what it issued stays valid."""
    require_organisation(actor, account.organisation_id)
    if account.id == actor.id:
        raise PermissionDenied(N_("you cannot deactivate your own account"))
    account.active = False
    end_sessions(db, account)
    audit(db, "account.deactivate", actor, account.organisation_id, account.email)


def reactivate(db: Session, account: User, actor: User) -> None:
    """Let a deactivated account log in again, unless a newer account took its address."""
    require_organisation(actor, account.organisation_id)
    refuse_taken_address(db, account.email, except_id=account.id)
    account.active = True
    db.flush()
    audit(db, "account.reactivate", actor, account.organisation_id, account.email)
