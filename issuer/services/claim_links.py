"""The claim link printed on the back of a card: stable until the card is declared lost.

A claim link (`/claim/<token>`) is a bearer secret, so only its sha256 is stored. It is not
random: the token is HMAC-SHA256(the service's secret key, credential uuid + `claim_version`),
so printing the card again, or e-mailing the link, hands out the same link as the card the
learner already holds. Staff declaring the card lost bumps the version: the old link stops
working, and the next print carries a new one.

A link stored before derivation (a random token) stays valid beside the derived one, in
`earlier_claim_token_sha256`, until the card is declared lost. So does a link derived with a
former secret key: rotating SECRET_KEY breaks no card already printed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from issuer.config import Settings
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import Credential

from .accounts import password_hasher
from .base import Actor, ServiceError, audit, settings_of

TOKEN_BYTES = 24  # 192 bits, as the random tokens before them


def derive_token(credential_uuid: str, version: int, secret_key: str) -> str:
    """The claim token of a credential at a card version (urlsafe base64, no padding), keyed
    with the deployment's secret key."""
    key = secret_key.encode()
    message = f"sky-badges claim link|{credential_uuid}|{version}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_digest(token: str) -> str:
    """What is stored of a claim token."""
    return hashlib.sha256(token.encode()).hexdigest()


def printable_token(db: Session, credential: Credential) -> str:
    """The claim token to print or send now: the one the learner already holds.

    A credential whose stored link was not derived (or was derived with a former secret key)
    keeps that link valid beside the derived one, which becomes the current link (flushed).
    """
    token = derive_token(credential.uuid, credential.claim_version, settings_of(db).secret_key)
    digest = token_digest(token)
    if credential.claim_token_sha256 != digest:
        if credential.claim_token_sha256 and credential.earlier_claim_token_sha256 is None:
            credential.earlier_claim_token_sha256 = credential.claim_token_sha256
        credential.claim_token_sha256 = digest
        db.flush()
    return token


def declare_lost(db: Session, credential: Credential, actor: Actor) -> None:
    """The card is lost: every claim link of it stops working, and the code chosen with it is
    forgotten; the next print carries a new link (flushed)."""
    credential.claim_version += 1
    credential.claim_token_sha256 = token_digest(derive_token(
        credential.uuid, credential.claim_version, settings_of(db).secret_key))
    credential.earlier_claim_token_sha256 = None
    credential.claim_code_hash = None
    credential.claim_code_failures = 0
    credential.claim_code_locked_until = None
    audit(db, "credential.card_lost", actor, credential.organisation_id, credential.uuid,
          card_version=credential.claim_version)
    db.flush()


def credential_for_token(db: Session, token: str) -> Credential | None:
    """The credential a claim token opens, or None."""
    digest = token_digest(token)
    return db.scalar(select(Credential).where(or_(
        Credential.claim_token_sha256 == digest,
        Credential.earlier_claim_token_sha256 == digest)))


# --- the learner's code -------------------------------------------------------------------------
#
# The back of the card is handed around with its front: an employer who scans it must not take
# the badge or see the learner's other badges. So the first person to open a claim link chooses
# a short code (the page says, in plain words, that an employer only needs the front); after
# that the link opens nothing without it. Guesses are counted in the database and locked out
# for longer and longer; a forgotten code is replaced by declaring the card lost.

CODE_DIGITS = (4, 8)
TRIES_BEFORE_LOCK = 5
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(hours=24)


class ClaimCodeError(ServiceError):
    """A code that cannot be chosen, or a wrong one."""


class ClaimCodeLocked(ServiceError):
    """Too many wrong codes: the link waits before the next try."""

    def __init__(self, message, until: datetime):
        super().__init__(message)
        self.until = until


def note_opened(db: Session, credential: Credential, now: datetime | None = None) -> bool:
    """Remember that the claim link was opened, the first time only (the learner's path counts
    it); True when this call wrote it. One conditional UPDATE: two first visits at once write
    once, and every later visit writes nothing."""
    if credential.claim_opened_at is not None:
        return False
    written = db.execute(update(Credential)
                         .where(Credential.id == credential.id,
                                Credential.claim_opened_at.is_(None))
                         .values(claim_opened_at=utc_seconds(now))
                         .execution_options(synchronize_session="fetch")).rowcount
    return written == 1


def set_code(db: Session, credential: Credential, code: str, config: Settings | None = None
             ) -> None:
    """The learner's first visit: `code` (4 to 8 digits) guards the link from now on."""
    if credential.claim_code_hash is not None:
        raise ClaimCodeError(N_("a code was already chosen for this card"))
    code = (code or "").strip()
    low, high = CODE_DIGITS
    if not (code.isascii() and code.isdigit() and low <= len(code) <= high):
        raise ClaimCodeError(N_("choose a code of %(low)s to %(high)s digits", low=low,
                                high=high))
    credential.claim_code_hash = password_hasher(config or settings_of(db)).hash(code)
    credential.claim_code_failures = 0
    db.flush()


def check_code(db: Session, credential: Credential, code: str, now: datetime | None = None,
               config: Settings | None = None) -> bool:
    """Whether `code` is the learner's; a wrong one counts toward a lock (ClaimCodeLocked)."""
    now = utc_seconds(now)
    db.refresh(credential, with_for_update=True)  # parallel guesses are counted one by one
    locked = credential.claim_code_locked_until
    if locked is not None and locked > now:
        raise ClaimCodeLocked(N_("too many wrong codes"), locked)
    if credential.claim_code_hash is None:
        return False
    try:
        right = password_hasher(config or settings_of(db)).verify(credential.claim_code_hash,
                                                          (code or "").strip()[:64])
    except (VerificationError, InvalidHashError):
        right = False
    if right:
        credential.claim_code_failures = 0
        credential.claim_code_locked_until = None
    else:
        credential.claim_code_failures += 1
        if credential.claim_code_failures % TRIES_BEFORE_LOCK == 0:
            locks = credential.claim_code_failures // TRIES_BEFORE_LOCK
            credential.claim_code_locked_until = now + min(FIRST_LOCK * 2 ** (locks - 1),
                                                           LONGEST_LOCK)
    db.flush()
    return right
