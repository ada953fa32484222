"""Organisation identity: did:web, the published Profile and DID document, signing keys.

`sign` is the one place a document gets a Data Integrity proof by an organisation's active key
(a VC-JWT of a stored wallet copy is signed in `exchanges`).

Each organisation signs with one active Ed25519 key, generated on first need and stored as an
encrypted PEM (passphrase `SKY_KEY_PASSPHRASE`). Rotation retires the active key but keeps it
in the DID document, so every badge it signed keeps verifying.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.core import builders, proofs
from issuer.core.clock import utc_seconds
from issuer.core.did import did_web_document, did_web_for, json_web_key_method
from issuer.core.keys import ED25519, PrivateKey, PublicKey
from issuer.store.models import Organisation, SigningKey

from .base import Actor, audit, require_organisation, settings_of
from .urls import public_url, site_bases


def issuer_did(org: Organisation, base: str | None = None) -> str:
    """The organisation's did:web, e.g. `did:web:badges.example.org:issuers:cec` (on `base`,
    a former address of the site, for the badges issued there)."""
    return did_web_for(public_url(org, base=base), "issuers", org.slug)


def issuer_dids(org: Organisation) -> dict[str, str]:
    """Every did:web the organisation has had, the current one first: did → site address."""
    return {issuer_did(org, base): base for base in site_bases(org)}


def profile_url(org: Organisation) -> str:
    """The https page of the organisation's Profile."""
    return public_url(org, f"/issuers/{org.slug}")


def issuer_profile_builder(org: Organisation) -> builders.Profile:
    """The organisation as a `builders.Profile` (see issuer_profile)."""
    return builders.Profile(
        id=issuer_did(org),
        name=org.name,
        url=org.url or None,
        email=org.email or None,
        description=org.description or None,
        image=builders.Image(f"{profile_url(org)}/logo.png") if org.logo_png else None,
        address=builders.Address(
            address_country_code=org.country_code,
            address_region=org.region or None,
            address_locality=org.locality or None,
            postal_code=org.postal_code or None,
            street_address=org.street_address or None,
        ),
    )


def issuer_profile(org: Organisation) -> dict:
    """The OB 3.0 `Profile` embedded as a credential's issuer; its id is the did:web."""
    return issuer_profile_builder(org).to_json()


def verification_method_id(org: Organisation, key: SigningKey, base: str | None = None) -> str:
    """`<did>#<publicKeyMultibase>`, the id listed in the DID document."""
    return f"{issuer_did(org, base)}#{key.public_multibase}"


def jwt_kid(org: Organisation, key: SigningKey, base: str | None = None) -> str:
    """`<did>#<JWK thumbprint>`: the JsonWebKey method a VC-JWT `kid` names (OB 3.0 §8.2); on
    `base`, a former address of the site, under the did:web there."""
    public = PublicKey.from_multibase(key.public_multibase)
    return json_web_key_method(issuer_did(org, base), public)["id"]


def did_document(db: Session, org: Organisation, base: str | None = None) -> dict:
    """The did:web document listing every key version (retired ones too, withdrawn ones
    never), newest last."""
    versions = db.scalars(
        select(SigningKey).where(SigningKey.organisation_id == org.id,
                                 SigningKey.withdrawn_at.is_(None))
        .order_by(SigningKey.version)
    ).all()
    keys = [_public_key(key.public_multibase) for key in versions]
    return did_web_document(issuer_did(org, base), keys)


def published_did_document(db: Session, slug: str, base: str | None = None) -> dict | None:
    """`did_document` of the organisation at /issuers/<slug> (None: no such organisation), read
    in one statement: the organisation and its listed keys together."""
    rows = db.execute(
        select(Organisation, SigningKey.public_multibase)
        .outerjoin(SigningKey, (SigningKey.organisation_id == Organisation.id)
                   & SigningKey.withdrawn_at.is_(None))
        .where(Organisation.slug == slug)
        .order_by(SigningKey.version)
    ).all()
    if not rows:
        return None
    keys = [_public_key(row.public_multibase) for row in rows if row.public_multibase]
    return did_web_document(issuer_did(rows[0].Organisation, base), keys)


@lru_cache(maxsize=256)
def _public_key(multibase: str) -> PublicKey:
    return PublicKey.from_multibase(multibase)


def active_key(db: Session, org: Organisation) -> tuple[SigningKey, PrivateKey]:
    """The active key record and its decrypted private key; generates version 1 on first need."""
    record = _active_record(db, org)
    if record is None:
        record = _create_first_key(db, org)
    return record, _decrypted(record.encrypted_pem, settings_of(db).key_passphrase)


@lru_cache(maxsize=64)
def _decrypted(encrypted_pem: bytes, passphrase: str) -> PrivateKey:
    # The key file's KDF is slow on purpose (a stolen file resists a passphrase search), so a
    # worker decrypts each key version once, not once per badge.
    return PrivateKey.from_pem(encrypted_pem, passphrase)


def sign(db: Session, org: Organisation, document: dict, created: str,
         base: str | None = None) -> dict:
    """`document` with a Data Integrity proof by the organisation's active key (`created` is the
    proof's `YYYY-MM-DDThh:mm:ssZ`): the one place the service makes such a proof.

    Stored badges are minted through `minting.mint`, which signs here; CLR records, status
    lists and endorsements are signed here directly. With `base` (a former address of the
    site), the proof names the key under the organisation's did:web on that address.
    """
    return signer(db, org, base)(document, created)


def signer(db: Session, org: Organisation,
           base: str | None = None) -> Callable[[dict, str], dict]:
    """`sign` for many documents: the active key is read once, then each call
    `signer(document, created)` signs with it (a bulk job signs a chunk of badges so)."""
    record, key = active_key(db, org)
    method = verification_method_id(org, record, base)
    return lambda document, created: proofs.sign(document, key, method, created=created)


def rotate_key(db: Session, org: Organisation, actor: Actor) -> SigningKey:
    """Retire the active key and make a new version active; earlier badges stay verifiable."""
    require_organisation(actor, org.id)
    current = _active_record(db, org)
    version = 1
    if current is not None:
        current.active = False
        current.retired_at = utc_seconds()
        version = current.version + 1
        db.flush()
    record = _new_key(db, org, version)
    db.add(record)
    db.flush()
    audit(db, "key.rotate", actor, org, verification_method_id(org, record),
          version=record.version)
    return record


def _active_record(db: Session, org: Organisation) -> SigningKey | None:
    return db.scalars(
        select(SigningKey)
        .where(SigningKey.organisation_id == org.id, SigningKey.active.is_(True))
        .order_by(SigningKey.version.desc())
    ).first()


def _new_key(db: Session, org: Organisation, version: int) -> SigningKey:
    private = PrivateKey.generate(ED25519)
    config = settings_of(db)
    return SigningKey(
        organisation_id=org.id,
        version=version,
        kind=ED25519,
        public_multibase=private.public_key.multibase,
        encrypted_pem=private.to_encrypted_pem(config.key_passphrase,
                                               config.key_kdf_iterations),
        active=True,
    )


def _create_first_key(db: Session, org: Organisation) -> SigningKey:
    # Two workers may both see "no key": the unique (organisation, version) lets one win and
    # the other read the winner's key instead.
    record = _new_key(db, org, 1)
    try:
        with db.begin_nested():
            db.add(record)
            db.flush()
    except IntegrityError:
        winner = _active_record(db, org)
        if winner is None:
            raise
        return winner
    audit(db, "key.generate", None, org, verification_method_id(org, record), version=1)
    return record
