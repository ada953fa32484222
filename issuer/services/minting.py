"""Minting: the one door through which a signed credential becomes a stored `Credential`.

Every badge the service creates — a micro-training badge, a skill badge, a wallet copy — is
minted by `mint`: it draws a fresh id and status-list slot, lets the caller build the unsigned
document around them, validates it (strict 1EdTech schema, JSON-LD safe mode) BEFORE signing,
signs it with the organisation's active key and stores the signed JSON text exactly, with a
short id for the card and, unless asked otherwise, a claim token. `mint_many` does the same
for a chunk of credentials (a bulk job) with one statement per step instead of one per badge.
Documents that are signed but not stored as a credential (a learner's CLR record, a status
list, an endorsement) go through `keys.sign`, the signing half of this door.

What the credential says (achievement, results, evidence, language) and what the use case
records around it (audit event, skill award) stay with the caller.
"""

from __future__ import annotations

import json
import secrets
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core import builders, jsonld, schema
from issuer.domain.catalogue import MicroTraining, Skill
from issuer.store.models import Credential, Learner, Organisation

from .base import settings_of
from .claim_links import derive_token, token_digest
from .keys import signer
from .status_lists import allocate_slots, status_entry
from .urls import public_url

# No 0/O, 1/I/L: a short id is read aloud and typed from a printed card.
SHORT_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_ID_LENGTH = 9
FALLBACK_LANGUAGE = "en"

# Builds the unsigned document from the new credential's id and its `credentialStatus` entry.
DocumentBuilder = Callable[[str, dict], dict]


@dataclass(frozen=True)
class Order:
    """One credential to mint: `build(credential_id, credential_status)` returns the unsigned
    document; `columns` are the record's (see `mint`)."""

    build: DocumentBuilder
    columns: dict
    claimable: bool = True


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
    columns = {"learner_id": learner_id, "template_pk": template_pk, "kind": kind,
               "language": language, "valid_from": valid_from, "valid_until": valid_until,
               "assessment_id": assessment_id, "supersedes_id": supersedes_id}
    return mint_many(db, org, [Order(build, columns, claimable)], now)[0]


def mint_many(db: Session, org: Organisation, orders: list[Order],
              now: datetime) -> list[Credential]:
    """`mint` for several credentials of `org` at once (a chunk of a bulk job): their status
    slots and short ids are drawn in one statement each, the key is read once, and the
    records are inserted together. Each document is still checked before it is signed."""
    uuids = [str(uuidlib.uuid4()) for _ in orders]
    slots = allocate_slots(db, org, len(orders))
    short_ids = new_short_ids(db, len(orders))
    sign = signer(db, org)
    created = builders.timestamp(now)
    secret = settings_of(db).secret_key
    credentials, tokens = [], []
    for order, credential_uuid, (status_list, index), short_id in zip(
            orders, uuids, slots, short_ids, strict=True):
        document = order.build(credential_url(db, credential_uuid),
                               status_entry(status_list, index))
        check_before_signing(document)
        signed = sign(document, created)
        token = derive_token(credential_uuid, 1, secret) if order.claimable else None
        credentials.append(Credential(
            uuid=credential_uuid, short_id=short_id, organisation_id=org.id,
            signed_json=json.dumps(signed, ensure_ascii=False), status_list_id=status_list.id,
            status_index=index, issued_at=now,
            claim_token_sha256=token_digest(token) if token else None, **order.columns))
        tokens.append(token)
    db.add_all(credentials)
    db.flush()
    for credential, token in zip(credentials, tokens, strict=True):
        credential.claim_token = token
    return credentials


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
    return new_short_ids(db, 1)[0]


def new_short_ids(db: Session, count: int) -> list[str]:
    """`count` fresh, distinct short ids, checked against the stored ones in one query."""
    fresh: list[str] = []
    while len(fresh) < count:
        drawn = set()
        while len(drawn) < count - len(fresh):
            drawn.add("".join(secrets.choice(SHORT_ID_ALPHABET)
                              for _ in range(SHORT_ID_LENGTH)))
        drawn -= set(fresh)
        used = set(db.scalars(select(Credential.short_id).where(
            Credential.short_id.in_(drawn))))
        fresh += [short_id for short_id in drawn if short_id not in used]
    return fresh
