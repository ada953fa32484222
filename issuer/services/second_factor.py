"""An optional second factor for admins and the coordinator: time-based one-time passwords.

RFC 6238 (TOTP) over RFC 4226 (HOTP), with the standard library's hmac: 30-second steps, six
digits, SHA-1 — what every authenticator app reads from an `otpauth://` address. A code is
accepted one step early or late (clocks drift), and each step once (a code seen over a
shoulder cannot be replayed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import User

from .base import PermissionDenied, ServiceError, audit

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ROLES = ("admin", "coordinator")
ISSUER = "SKY Badges"


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest=hashlib.sha1) -> str:
    """RFC 4226 §5.3: the HMAC of the counter, dynamically truncated to `digits` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def time_step(moment: datetime) -> int:
    """RFC 6238 §4.2: the number of whole steps since the Unix epoch."""
    return int(moment.timestamp()) // STEP_SECONDS


def new_secret() -> str:
    """160 random bits (RFC 4226 §4 recommends them), base32 without padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def provisioning_uri(secret: str, account: str) -> str:
    """The `otpauth://totp/…` address an authenticator app scans (Key Uri Format)."""
    label = quote(f"{ISSUER}:{account}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS,
                       "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the allowed drift whose code is `code`, or None."""
    code = "".join((code or "").split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    current, key = time_step(now), _key(secret)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def check_code(user: User, code: str, now: datetime | None = None) -> bool:
    """Whether `code` is good for `user` now and unused; records its step when it is."""
    step = matching_step(user.totp_secret or "", code, utc_seconds(now))
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def turn_on(db: Session, user: User, secret: str, code: str, now: datetime | None = None) -> None:
    """Require a code at each log-in, once the person proved their app reads `secret`."""
    if user.role not in ROLES:
        raise PermissionDenied(N_("the second factor is for admins and the coordinator"))
    step = matching_step(secret, code, utc_seconds(now))
    if step is None:
        raise ServiceError(N_("this code is not right; check the time on your phone"))
    user.totp_secret, user.totp_last_step = secret, step
    audit(db, "account.second_factor.on", user, user.organisation_id, user.email)


def turn_off(db: Session, user: User, code: str, now: datetime | None = None) -> None:
    """Stop asking for a code (a current code is needed, not just a borrowed session)."""
    if not check_code(user, code, now):
        raise ServiceError(N_("this code is not right; check the time on your phone"))
    user.totp_secret, user.totp_last_step = None, None
    audit(db, "account.second_factor.off", user, user.organisation_id, user.email)
