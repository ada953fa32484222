"""An optional second factor for admins and the coordinator: time-based one-time passwords.

RFC 6238 (TOTP) over RFC 4226 (HOTP), with the standard library's hmac: 30-second steps, six
digits, SHA-1 — what every authenticator app reads from an `otpauth://` address. A code is
accepted one step early or late (clocks drift), and each step once (a code seen over a
shoulder cannot be replayed).

The shared secret is sealed at rest (AES-256-GCM, the key derived from the key passphrase,
which is kept apart from the database and its backups, bound to the account): a copy of the
database alone does not let anyone make codes. Ten single-use recovery codes, shown once when
the factor is turned on, let a person who lost their phone sign in; only their SHA-256 is
stored (80 random bits each: nothing to guess offline).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import RecoveryCode, User

from .base import PermissionDenied, ServiceError, audit, settings_of

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ROLES = ("admin", "coordinator")
ISSUER = "SKY Badges"
RECOVERY_CODES = 10
_SEALED = "v1."


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


# --- the secret at rest -----------------------------------------------------------------------


def _sealing_key(user: User) -> AESGCM:
    passphrase = settings_of(user).key_passphrase.encode("utf-8")
    return AESGCM(HKDF(hashes.SHA256(), 32, salt=None,
                       info=b"sky-badges second factor").derive(passphrase))


def _seal(user: User, secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _sealing_key(user).encrypt(nonce, _key(secret), f"user:{user.id}".encode())
    return _SEALED + base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def _secret_of(user: User) -> str:
    """The account's base32 secret; one stored before secrets were sealed is sealed now."""
    stored = user.totp_secret or ""
    if not stored.startswith(_SEALED):
        if stored:
            user.totp_secret = _seal(user, stored)
        return stored
    blob = base64.urlsafe_b64decode(stored[len(_SEALED):] + "=" * (-len(stored) % 4))
    try:
        raw = _sealing_key(user).decrypt(blob[:12], blob[12:], f"user:{user.id}".encode())
    except InvalidTag:  # another passphrase, or a row copied onto another account
        raise ServiceError(N_("the second factor cannot be read with this key passphrase; "
                              "an operator must turn it off for this account")) from None
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def is_on(user: User) -> bool:
    """Whether signing in asks `user` for a code."""
    return bool(user.totp_secret)


def check_code(user: User, code: str, now: datetime | None = None) -> bool:
    """Whether `code` is good for `user` now and unused; records its step when it is."""
    step = matching_step(_secret_of(user), code, utc_seconds(now)) if is_on(user) else None
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


# --- recovery codes ---------------------------------------------------------------------------


def _digest(code: str) -> str:
    letters = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(letters.encode("ascii", "ignore")).hexdigest()


def _new_recovery_codes(db: Session, user: User) -> list[str]:
    """Ten fresh codes (the old ones stop working), shown once: `abcd-efgh-ijkl-mnop`."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        letters = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
        codes.append("-".join(letters[i:i + 4] for i in range(0, 16, 4)))
    db.add_all(RecoveryCode(user_id=user.id, code_sha256=_digest(code)) for code in codes)
    db.flush()
    return codes


def recovery_codes_left(db: Session, user: User) -> int:
    """How many of the account's recovery codes are unused."""
    return len(db.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def use_recovery_code(db: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """Whether `code` is one of the account's unused recovery codes; it is used up if so."""
    if not is_on(user) or len(code or "") > 40:
        return False
    used = db.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_sha256 == _digest(code),
        RecoveryCode.used_at.is_(None)).values(used_at=utc_seconds(now)))
    if used.rowcount != 1:  # a code two browsers raced with is good for one of them
        return False
    audit(db, "account.second_factor.recovery_code", user, user.organisation_id, user.email)
    return True


def renew_recovery_codes(db: Session, user: User, code: str,
                         now: datetime | None = None) -> list[str]:
    """New recovery codes for a person who proves they still have their app."""
    if not check_code(user, code, now):
        raise ServiceError(N_("this code is not right; check the time on your phone"))
    audit(db, "account.second_factor.recovery_codes", user, user.organisation_id, user.email)
    return _new_recovery_codes(db, user)


def turn_on(db: Session, user: User, secret: str, code: str,
            now: datetime | None = None) -> list[str]:
    """Require a code at each log-in, once the person proved their app reads `secret`; the
    recovery codes to show them once."""
    if user.role not in ROLES:
        raise PermissionDenied(N_("the second factor is for admins and the coordinator"))
    step = matching_step(secret, code, utc_seconds(now))
    if step is None:
        raise ServiceError(N_("this code is not right; check the time on your phone"))
    user.totp_secret, user.totp_last_step = _seal(user, secret), step
    audit(db, "account.second_factor.on", user, user.organisation_id, user.email)
    return _new_recovery_codes(db, user)


def turn_off(db: Session, user: User, code: str, now: datetime | None = None) -> None:
    """Stop asking for a code (a current code is needed, not just a borrowed session)."""
    if not check_code(user, code, now):
        raise ServiceError(N_("this code is not right; check the time on your phone"))
    user.totp_secret, user.totp_last_step = None, None
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit(db, "account.second_factor.off", user, user.organisation_id, user.email)
