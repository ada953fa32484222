"""Withdrawing a compromised signing key, and re-signing what it signed under a new one.

A rotated key stays in the DID document (its badges keep verifying); a withdrawn key leaves it
for good, so nothing it signed verifies any more — including anything a thief signed with it.
Every badge it signed that is not revoked is then signed again by the organisation's active
key: the same document (id, status slot, dates), a new proof. The short id, the claim link and
the printed card stay as they were; a learner fetches the new copy from their claim link.
Revoked badges are not signed again (they would only say "revoked"), nor are erased ones.

`withdraw_key` is one short transaction (the key leaves the document at once: that is what
stops a thief); `resign_batch` then re-signs in batches, each its own transaction, so that a
large organisation's thousands of badges neither hold one long transaction nor get lost if the
command is interrupted: running it again carries on with what is left. `resign_remaining` is
that loop, for the command and for the queue's worker (a withdrawal from the admin pages);
`left_to_resign` is how far it still has to go, cheap enough for a page that reloads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.core import builders
from issuer.core.clock import utc_seconds
from issuer.core.messages import N_
from issuer.store.models import Credential, Organisation, SigningKey, StatusList
from issuer.store.stacking_models import Endorsement

from .base import Actor, NotFound, ServiceError, audit, require_organisation
from .keys import issuer_dids, rotate_key, sign, verification_method_id

BATCH = 200


def key_version(db: Session, org: Organisation, version: int) -> SigningKey:
    """The key `version` of `org`; NotFound otherwise."""
    record = db.scalar(select(SigningKey).where(SigningKey.organisation_id == org.id,
                                                SigningKey.version == version))
    if record is None:
        raise NotFound(N_("%(organisation)s has no key version %(version)s",
                          organisation=org.slug, version=version))
    return record


def withdraw_key(db: Session, org: Organisation, version: int, actor: Actor,
                 now: datetime | None = None) -> SigningKey:
    """Take key `version` out of the DID document; when it was the active key, a new version
    becomes active. Return the withdrawn key. Withdrawing a withdrawn key changes nothing."""
    require_organisation(actor, org.id)
    record = key_version(db, org, version)
    if record.withdrawn_at is not None:
        return record
    if record.active:
        rotate_key(db, org, actor)
    record.active = False
    record.withdrawn_at = utc_seconds(now)
    record.retired_at = record.retired_at or record.withdrawn_at
    # Status lists are signed lazily by the active key: drop the copies this key signed.
    for status_list in db.scalars(select(StatusList).where(StatusList.organisation_id == org.id)):
        if status_list.signed_json and _signed_by(status_list.signed_json, record):
            status_list.signed_json = None
            status_list.signed_revision = None
    db.flush()
    audit(db, "key.withdraw", actor, org, verification_method_id(org, record),
          version=record.version)
    return record


def left_to_resign(db: Session, key: SigningKey) -> int:
    """How many of the key's badges (and endorsements) still carry its signature, counted by
    the database (the key's fragment in the signed JSON; the documents are not read)."""
    credentials = select(func.count()).select_from(Credential).where(
        _still_signed(Credential, key),
        Credential.organisation_id == key.organisation_id, Credential.revoked_at.is_(None))
    endorsements = select(func.count()).select_from(Endorsement).where(
        _still_signed(Endorsement, key),
        Endorsement.endorser_id == key.organisation_id, Endorsement.withdrawn_at.is_(None))
    return db.scalar(credentials) + db.scalar(endorsements)


def resign_remaining(db: Session, key: SigningKey, now: datetime | None = None,
                     stopping: Callable[[], bool] = lambda: False,
                     on_batch: Callable[[int], None] | None = None) -> int:
    """Re-sign everything `key` (withdrawn) still signs, one committed transaction per batch,
    until nothing is left or `stopping()`; return how many were re-signed. `on_batch(count)`
    is told after each batch. Run again, it carries on with what still carries the withdrawn
    key's signature (two runs at once would only sign some badges twice, harmlessly)."""
    done = 0
    while not stopping():
        count = resign_batch(db, key, now)
        db.commit()
        if not count:
            break
        done += count
        if on_batch is not None:
            on_batch(count)
    return done


def resign_batch(db: Session, key: SigningKey, now: datetime | None = None,
                 limit: int = BATCH) -> int:
    """Sign again, with the organisation's active key, up to `limit` badges and endorsements
    that `key` (withdrawn) signed; return how many. Commit after each call."""
    if key.withdrawn_at is None:
        raise ServiceError(N_("key version %(version)s is not withdrawn: its badges keep "
                              "their signature", version=key.version))
    org = db.get(Organisation, key.organisation_id)
    created = builders.timestamp(utc_seconds(now))
    done = 0
    records = _credentials_signed_by(db, key, limit)
    records += _endorsements_signed_by(db, key, limit - len(records)) if len(records) < limit \
        else []
    dids = issuer_dids(org)
    for record in records:
        document = json.loads(record.signed_json)
        document.pop("proof")
        # Issued under a former address of the site, it is signed under the did:web it names.
        issuer = document.get("issuer")
        base = dids.get(issuer.get("id") if isinstance(issuer, dict) else issuer)
        record.signed_json = json.dumps(sign(db, org, document, created, base),
                                        ensure_ascii=False)
        done += 1
    db.flush()
    if done:
        audit(db, "key.resign", None, org, verification_method_id(org, key), count=done)
    return done


def _credentials_signed_by(db: Session, key: SigningKey,
                           limit: int | None = None) -> list[Credential]:
    query = (select(Credential)
             .where(Credential.organisation_id == key.organisation_id,
                    Credential.revoked_at.is_(None), _still_signed(Credential, key))
             .order_by(Credential.id).limit(limit))
    return [c for c in db.scalars(query) if _signed_by(c.signed_json, key)]


def _endorsements_signed_by(db: Session, key: SigningKey,
                            limit: int | None = None) -> list[Endorsement]:
    query = (select(Endorsement)
             .where(Endorsement.endorser_id == key.organisation_id,
                    Endorsement.withdrawn_at.is_(None), _still_signed(Endorsement, key))
             .order_by(Endorsement.id).limit(limit))
    return [e for e in db.scalars(query) if _signed_by(e.signed_json, key)]


def _still_signed(model, key: SigningKey):
    # The verification method's fragment is the key's multibase, whatever the host was then.
    return model.signed_json.contains(f"#{key.public_multibase}")


def _signed_by(signed_json: str, key: SigningKey) -> bool:
    proofs = json.loads(signed_json).get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    return any(isinstance(p, dict) and str(p.get("verificationMethod", "")).endswith(
        f"#{key.public_multibase}") for p in proofs)
