"""Minting: the one door through which a signed credential becomes a stored `Credential`.

Every badge the service creates — a micro-training badge, a skill badge, a wallet copy — is
minted by `mint`: it draws a fresh id and status-list slot, lets the caller build the unsigned
document around them, validates it (strict 1EdTech schema, JSON-LD safe mode) BEFORE signing,
signs it with the organisation's active key and stores the signed JSON text exactly, with a
short id for the card and, unless asked otherwise, a claim token. Documents that are signed
but not stored as a credential (a learner's CLR record, a status list, an endorsement) go
through `keys.sign`, the signing half of this door.

What the credential says (achievement, results, evidence, language) and what the use case
records around it (audit event, skill award) stay with the caller.
"""

from __future__ import annotations

import json
import secrets
import uuid as uuidlib
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core import builders, jsonld, schema
from issuer.domain.catalogue import MicroTraining, Skill
from issuer.store.models import Credential, Learner, Organisation

from .base import settings_of
from .claim_links import derive_token, token_digest
from .keys import sign
from .status_lists import allocate_slot, status_entry
from .urls import public_url

# No 0/O, 1/I/L: a short id is read aloud and typed from a printed card.
SHORT_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_ID_LENGTH = 9
FALLBACK_LANGUAGE = "en"

# Builds the unsigned document from the new credential's id and its `credentialStatus` entry.
DocumentBuilder = Callable[[str, dict], dict]


def mint(db: Session, org: Organisation, build: DocumentBuilder, now: datetime, *,
         learner_id: int | None, template_pk: int, kind: str, language: str,
         valid_from: datetime, valid_until: datetime | None, assessment_id: int | None = None,
         supersedes_id: int | None = None, claimable: bool = True) -> Credential:
    """Sign and store a new credential of `org`; return it, flushed.

    `build(credential_id, credential_status)` returns the unsigned document; `now` is the
    proof's creation time and the record's `issued_at`. The other arguments are the record's
    columns: what it was issued for (`assessment_id`, or `supersedes_id` for a wallet copy).
    A `claimable` credential gets a claim token (`claim_links`: the same on every print),
    handed back in the transient attribute `claim_token` (only its sha256 is stored);
    otherwise `claim_token` is None.
    """
    credential_uuid = str(uuidlib.uuid4())
    status_list, index = allocate_slot(db, org)
    document = build(credential_url(db, credential_uuid), status_entry(status_list, index))
    check_before_signing(document)
    signed = sign(db, org, document, builders.timestamp(now))
    token = derive_token(credential_uuid, 1, settings_of(db).secret_key) if claimable else None
    credential = Credential(
        uuid=credential_uuid, short_id=new_short_id(db), organisation_id=org.id,
        learner_id=learner_id, assessment_id=assessment_id, template_pk=template_pk, kind=kind,
        language=language, signed_json=json.dumps(signed, ensure_ascii=False),
        valid_from=valid_from, valid_until=valid_until, status_list_id=status_list.id,
        status_index=index, supersedes_id=supersedes_id, issued_at=now,
        claim_token_sha256=token_digest(token) if token else None)
    db.add(credential)
    db.flush()
    credential.claim_token = token
    return credential


def credential_url(where: Session | object, credential_uuid: str) -> str:
    """The dereferenceable id of a credential on the site of `where` (a session or record)."""
    return public_url(where, f"/credentials/{credential_uuid}")


def check_before_signing(document: dict) -> None:
    """Strict 1EdTech schema and JSON-LD safe mode: an invalid credential is never signed."""
    schema.validate(document, strict=True)
    jsonld.check_safe_mode(document)


def learner_language(learner: Learner, org: Organisation,
                     achievement: MicroTraining | Skill) -> str:
    """The learner's language if the achievement has it, else the organisation's, else English."""
    for language in (learner.language, org.default_language, FALLBACK_LANGUAGE):
        if language and language in achievement.languages:
            return language
    return achievement.languages[0]


def new_short_id(db: Session) -> str:
    """A fresh short id for a card (unused so far): 9 characters people can read aloud."""
    while True:
        short_id = "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(SHORT_ID_LENGTH))
        if db.scalar(select(Credential.id).where(Credential.short_id == short_id)) is None:
            return short_id
