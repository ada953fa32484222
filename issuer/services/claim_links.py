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

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from issuer.config import settings
from issuer.store.models import Credential

from .base import Actor, audit

TOKEN_BYTES = 24  # 192 bits, as the random tokens before them


def derive_token(credential_uuid: str, version: int, secret_key: str | None = None) -> str:
    """The claim token of a credential at a card version (urlsafe base64, no padding)."""
    key = (secret_key or settings().secret_key).encode()
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
    token = derive_token(credential.uuid, credential.claim_version)
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
    credential.claim_token_sha256 = token_digest(
        derive_token(credential.uuid, credential.claim_version))
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
