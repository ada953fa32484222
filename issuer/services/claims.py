"""Claim links, and the wallet copy of a badge bound to the learner's own DID.

A claim link (`/claim/<token>`) is the learner's private door to their badge: no account, just an
unguessable token printed as the second QR on the back of the card or e-mailed. Only the token's
sha256 is stored (`Credential.claim_token_sha256`); `claim_links` derives it, the same on
every print, until staff declare the card lost.

Binding to a wallet (the LCW exchange or OpenID4VCI) re-issues the badge as a NEW credential:
same achievement, results, evidence, issuer and validity period, but `credentialSubject.id` =
the holder's DID, its own id (`/credentials/<uuid>`), its own status-list slot and a new
signature by the organisation's active key (minted by `minting.mint`, without a claim token).
The row points back with `supersedes_id`.

The original stays valid. It is the badge printed on the card: its QR and short id are on paper
and must keep saying "valid". Both credentials describe the same achievement, so neither is
wrong; revoking the original revokes its wallet copies too: `revoke_wallet_copies` listens to
`events.revoked` (connected by the package root).
Binding twice to the same DID returns the same copy; a new DID (a new phone) gets a new copy.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import Credential

from . import people
from .base import Actor, NotFound, ServiceError, audit
from .issuing import (
    credential_for_claim_token,
)
from .minting import mint
from .revocation import revoke
from .urls import public_url

MAX_DID_LENGTH = 500


class ClaimClosed(ServiceError):
    """The badge behind a claim link can no longer be taken into a wallet (revoked, erased)."""


def claim_url(where: Session | object, token: str) -> str:
    """The learner's private claim page for a claim token, on the site of `where`."""
    return public_url(where, f"/claim/{token}")


def credential_for_claim(db: Session, token: str) -> Credential:
    """The credential a claim token opens; NotFound for an unknown token."""
    credential = credential_for_claim_token(db, token) if token else None
    if credential is None:
        raise NotFound(N_("this claim link is not known: check the link on your card"))
    return credential


def link_cards(db: Session, token: str, other: str) -> bool:
    """Show the badges of two cards together (one person): the learner presented the claim
    link of each. `other` is the other card's claim link or the code in it. False when they
    already were together."""
    first = credential_for_claim(db, token).learner
    second = credential_for_claim(db, claim_code(other)).learner
    if first is None or second is None:
        raise NotFound(N_("this claim link is not known: check the link on your card"))
    if first.id == second.id or (first.person_uuid and first.person_uuid == second.person_uuid):
        return False
    people.link(db, first, second)
    return True


def claim_code(text: str) -> str:
    """The token of a claim link, typed or pasted as the whole link or only its code."""
    text = "".join((text or "").split())
    return text.rstrip("/").rsplit("/claim/", 1)[-1].split("/")[0].split("?")[0][:200]


def can_bind(credential: Credential) -> str | None:
    """Why this credential cannot go into a wallet, or None when it can."""
    if credential.learner is not None and credential.learner.erased_at is not None:
        return N_("the learner asked for their personal data to be erased")
    if credential.revoked_at is not None:
        return N_("this badge was revoked")
    return None


def bind_to_holder(db: Session, credential: Credential, holder_did: str,
                   now: datetime | None = None) -> Credential:
    """The wallet copy of `credential` bound to `holder_did` (created on first need, flushed)."""
    reason = can_bind(credential)
    if reason is not None:
        raise ClaimClosed(reason)
    if not holder_did.startswith("did:") or len(holder_did) > MAX_DID_LENGTH:
        raise ServiceError(N_("the holder identifier must be a DID"))
    existing = _copy_for(db, credential, holder_did)
    if existing is not None:
        return existing
    now = utc_seconds(now)
    copy = _reissue(db, credential, holder_did, now)
    if credential.learner is not None:
        credential.learner.wallet_did = holder_did
    audit(db, "credential.bind", None, credential.organisation_id, copy.uuid,
          original=credential.uuid, holder=holder_did)
    return copy


def wallet_copies(db: Session, credential: Credential) -> list[Credential]:
    """The wallet copies made of `credential` (to revoke with it)."""
    return list(db.scalars(select(Credential).where(Credential.supersedes_id == credential.id)
                           .order_by(Credential.id)))


def revoke_wallet_copies(db: Session, credential: Credential, actor: Actor,
                         now: datetime) -> None:
    """Listener of `events.revoked`: a holder-bound wallet copy says what the original says,
    it cannot outlive it. Each copy is revoked with the original's reason and visibility."""
    for copy in wallet_copies(db, credential):
        if copy.revoked_at is None:
            revoke(db, copy, credential.revocation_reason, actor, now,
                   public=credential.revocation_reason_public,
                   code=credential.revocation_reason_code)


def unsigned_document(credential: Credential) -> dict:
    """The stored credential without its proof (what a VC-JWT of it secures)."""
    document = json.loads(credential.signed_json)
    document.pop("proof", None)
    return document


def _copy_for(db: Session, credential: Credential, holder_did: str) -> Credential | None:
    for copy in wallet_copies(db, credential):
        subject = json.loads(copy.signed_json).get("credentialSubject", {})
        if copy.revoked_at is None and subject.get("id") == holder_did:
            return copy
    return None


def _reissue(db: Session, original: Credential, holder_did: str, now: datetime) -> Credential:
    def build(credential_id: str, credential_status: dict) -> dict:
        document = unsigned_document(original)
        document["id"] = credential_id
        subject = {k: v for k, v in document["credentialSubject"].items() if k != "id"}
        document["credentialSubject"] = {"id": holder_did, **subject}
        document["credentialStatus"] = credential_status
        return document

    return mint(db, original.organisation, build, now, claimable=False,
                learner_id=original.learner_id, assessment_id=None,
                template_pk=original.template_pk, kind=original.kind,
                language=original.language, valid_from=original.valid_from,
                valid_until=original.valid_until, supersedes_id=original.id)
