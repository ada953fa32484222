"""Wallet protocol state, all in the database: VC-API exchanges for the Learner Credential Wallet
and the OpenID4VCI 1.0 pre-authorized code flow (offers, transaction codes, access tokens,
nonces). Any web worker can serve any step; every step is single-use and expires.

Lifetimes: an exchange 15 minutes, an offer (its pre-authorized code) 10 minutes, an access
token and a c_nonce 5 minutes (OID4VCI "Protecting the Access Token": longer is long-lived).
A pre-authorized code is never printed: it is shown on screen, just in time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.core import presentations
from issuer.core.clock import utc_seconds
from issuer.core.jwt import sign_jwt
from issuer.core.multibase import b64url
from issuer.store.models import Credential
from issuer.store.wallet_models import (
    COMPLETE,
    PENDING,
    CredentialOffer,
    WalletExchange,
    WalletNonce,
)

from . import sd_jwt_vc
from .base import ServiceError, settings_of
from .claims import ClaimClosed, bind_to_holder, can_bind, unsigned_document
from .keys import active_key, jwt_kid

EXCHANGE_LIFETIME = timedelta(minutes=15)
OFFER_LIFETIME = timedelta(minutes=10)
TOKEN_LIFETIME = timedelta(minutes=5)
NONCE_LIFETIME = timedelta(minutes=5)
PURGE_AFTER = timedelta(days=1)  # expired rows are kept a day, then deleted
MAX_TX_CODE_FAILURES = 5
TX_CODE_LENGTH = 6
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
LDP_CONFIGURATION = "OpenBadgeCredential_ldp"
JWT_CONFIGURATION = "OpenBadgeCredential_jwt"
SD_JWT_CONFIGURATION = "OpenBadgeCredential_sd_jwt"  # dc+sd-jwt, for EU wallets
CONFIGURATIONS = (LDP_CONFIGURATION, JWT_CONFIGURATION, SD_JWT_CONFIGURATION)


class ExchangeError(ServiceError):
    """A VC-API exchange step is refused; `code` names why."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class OAuthError(ServiceError):
    """An OID4VCI / OAuth error response: `error` is the spec's code, the message is ASCII.

    `offer_id` is set when a wrong transaction code must be counted (in its own transaction).
    """

    def __init__(self, error: str, description: str, offer_id: int | None = None):
        super().__init__(description)
        self.error = error
        self.offer_id = offer_id


def digest(secret: str) -> str:
    """The sha256 hex digest under which a wallet-presented secret is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()



def _expired(moment: datetime, now: datetime) -> bool:
    return moment <= now


# --- VC-API exchange (Learner Credential Wallet) ---------------------------------------------


def open_exchange(db: Session, credential: Credential, now: datetime | None = None
                  ) -> tuple[WalletExchange, str]:
    """A new exchange for taking `credential` into a wallet; returns it and its secret id."""
    _refuse_closed(credential)
    now = utc_seconds(now)
    purge_expired(db, now)
    exchange_id = secrets.token_urlsafe(24)
    exchange = WalletExchange(exchange_sha256=digest(exchange_id), credential_id=credential.id,
                              challenge=secrets.token_urlsafe(24), state=PENDING,
                              created_at=now, expires_at=now + EXCHANGE_LIFETIME)
    db.add(exchange)
    db.flush()
    return exchange, exchange_id


def exchange_for_request(db: Session, exchange_id: str, now: datetime | None = None
                         ) -> WalletExchange:
    """The exchange to answer `POST {}` with its DIDAuthentication request (pending, unexpired)."""
    return _open_exchange(db, exchange_id, utc_seconds(now))


def complete_exchange(db: Session, exchange_id: str, presentation: object, domain: str,
                      now: datetime | None = None) -> Credential:
    """Verify the wallet's DIDAuth presentation and return the credential bound to its DID.

    The exchange completes exactly once: a replay, even of the same presentation, is refused.
    """
    now = utc_seconds(now)
    exchange = _open_exchange(db, exchange_id, now)
    try:
        holder = presentations.verify_presentation(presentation, exchange.challenge, domain)
    except presentations.PresentationError as error:
        raise ExchangeError(str(error), f"invalid_presentation_{error.reason}") from None
    claimed = db.execute(update(WalletExchange)
                         .where(WalletExchange.id == exchange.id, WalletExchange.state == PENDING)
                         .values(state=COMPLETE, completed_at=now, holder_did=holder))
    if claimed.rowcount != 1:
        raise ExchangeError("this exchange was already completed", "exchange_complete")
    copy = bind_to_holder(db, exchange.credential, holder, now)
    exchange.issued_credential_id = copy.id
    db.flush()
    return copy


def _open_exchange(db: Session, exchange_id: str, now: datetime) -> WalletExchange:
    exchange = db.scalar(select(WalletExchange).where(
        WalletExchange.exchange_sha256 == digest(exchange_id or "")))
    if exchange is None:
        raise ExchangeError("there is no such exchange", "unknown_exchange")
    if exchange.state != PENDING:
        raise ExchangeError("this exchange was already completed", "exchange_complete")
    if _expired(exchange.expires_at, now):
        raise ExchangeError("this exchange has expired: open the claim page again",
                            "exchange_expired")
    _refuse_closed(exchange.credential)
    return exchange


def _refuse_closed(credential: Credential) -> None:
    reason = can_bind(credential)
    if reason is not None:
        raise ClaimClosed(reason)


# --- OID4VCI: offers and the token endpoint ---------------------------------------------------


@dataclass(frozen=True)
class NewOffer:
    """A credential offer just created: the URL secret, and the transaction code if any.

    Both are returned once; only their digests are stored.
    """

    offer: CredentialOffer
    offer_id: str
    tx_code: str | None


def create_offer(db: Session, credential: Credential, now: datetime | None = None,
                 with_tx_code: bool = False) -> NewOffer:
    """A pre-authorized credential offer for `credential`, optionally with a 6-digit tx code.

    Its code is derived with the secret key of the settings of `db`.
    """
    _refuse_closed(credential)
    now = utc_seconds(now)
    purge_expired(db, now)
    offer_id = secrets.token_urlsafe(24)
    tx_code = ("".join(secrets.choice("0123456789") for _ in range(TX_CODE_LENGTH))
               if with_tx_code else None)
    offer = CredentialOffer(offer_sha256=digest(offer_id),
                            code_sha256=digest(pre_authorized_code(
                                offer_id, settings_of(db).secret_key)),
                            credential_id=credential.id,
                            tx_code_sha256=digest(tx_code) if tx_code else None,
                            created_at=now, expires_at=now + OFFER_LIFETIME)
    db.add(offer)
    db.flush()
    return NewOffer(offer, offer_id, tx_code)


def pre_authorized_code(offer_id: str, secret_key: str) -> str:
    """The offer's pre-authorized code, derived from its id with the app's secret key.

    Deriving it lets the offer document be served again without storing the code itself.
    """
    mac = hmac.new(secret_key.encode(), b"pre-authorized_code:" + offer_id.encode(),
                   hashlib.sha256)
    return b64url(mac.digest())


def offer_document(db: Session, offer_id: str, issuer: str, secret_key: str,
                   now: datetime | None = None) -> dict:
    """The Credential Offer object served at the credential_offer_uri (gone: ExchangeError).

    `secret_key` derives the pre-authorized code, as it did when the offer was made.
    """
    offer = db.scalar(select(CredentialOffer).where(
        CredentialOffer.offer_sha256 == digest(offer_id or "")))
    if (offer is None or offer.redeemed_at is not None
            or _expired(offer.expires_at, utc_seconds(now))):
        raise ExchangeError("this credential offer is unknown, used or expired",
                            "unknown_offer")
    grant: dict = {"pre-authorized_code": pre_authorized_code(offer_id, secret_key)}
    if offer.tx_code_sha256:
        grant["tx_code"] = {"input_mode": "numeric", "length": TX_CODE_LENGTH,
                            "description": "The 6-digit code shown next to the QR code"}
    return {"credential_issuer": issuer, "credential_configuration_ids": list(CONFIGURATIONS),
            "grants": {PRE_AUTHORIZED_GRANT: grant}}


def redeem_code(db: Session, form: dict, now: datetime | None = None) -> tuple[str, int]:
    """Token endpoint, pre-authorized code grant: (access token, expires_in seconds).

    Raises OAuthError: invalid_request (malformed, tx_code missing or unexpected),
    invalid_grant (unknown, used or expired code, wrong tx_code), unsupported_grant_type.
    """
    now = utc_seconds(now)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type",
                         "only the pre-authorized_code grant type is supported")
    code = form.get("pre-authorized_code")
    if not code:
        raise OAuthError("invalid_request", "pre-authorized_code is required")
    offer = db.scalar(select(CredentialOffer).where(CredentialOffer.code_sha256 == digest(code)))
    if offer is None or offer.redeemed_at is not None or _expired(offer.expires_at, now):
        raise OAuthError("invalid_grant", "the pre-authorized code is unknown, used or expired")
    _check_tx_code(offer, form.get("tx_code"))
    token = secrets.token_urlsafe(32)
    redeemed = db.execute(update(CredentialOffer)
                          .where(CredentialOffer.id == offer.id,
                                 CredentialOffer.redeemed_at.is_(None))
                          .values(redeemed_at=now, token_sha256=digest(token),
                                  token_expires_at=now + TOKEN_LIFETIME))
    if redeemed.rowcount != 1:
        raise OAuthError("invalid_grant", "the pre-authorized code was already used")
    return token, int(TOKEN_LIFETIME.total_seconds())


def _check_tx_code(offer: CredentialOffer, tx_code: str | None) -> None:
    if offer.tx_code_sha256 is None:
        if tx_code is not None:
            raise OAuthError("invalid_request", "this offer expects no tx_code")
        return
    if not tx_code:
        raise OAuthError("invalid_request", "this offer requires the tx_code")
    if not hmac.compare_digest(digest(tx_code), offer.tx_code_sha256):
        raise OAuthError("invalid_grant", "the tx_code is wrong", offer_id=offer.id)


def count_tx_code_failure(db: Session, offer_id: int, now: datetime | None = None) -> None:
    """Count a wrong transaction code; after MAX_TX_CODE_FAILURES the code stops working."""
    offer = db.get(CredentialOffer, offer_id)
    if offer is None:
        return
    offer.tx_code_failures += 1
    if offer.tx_code_failures >= MAX_TX_CODE_FAILURES:
        offer.expires_at = utc_seconds(now)
    db.flush()


# --- OID4VCI: nonces and the credential endpoint ----------------------------------------------


def new_nonce(db: Session, now: datetime | None = None) -> str:
    """A fresh, unpredictable c_nonce (single use, NONCE_LIFETIME)."""
    now = utc_seconds(now)
    nonce = secrets.token_urlsafe(24)
    db.add(WalletNonce(nonce=nonce, expires_at=now + NONCE_LIFETIME))
    db.flush()
    return nonce


def offer_for_token(db: Session, authorization: str | None, now: datetime | None = None
                    ) -> CredentialOffer:
    """The offer an `Authorization: Bearer` access token was issued for (RFC 6750 errors)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OAuthError("", "a Bearer access token is required")
    offer = db.scalar(select(CredentialOffer).where(
        CredentialOffer.token_sha256 == digest(token.strip())))
    if offer is None or offer.token_expires_at is None or _expired(offer.token_expires_at,
                                                                   utc_seconds(now)):
        raise OAuthError("invalid_token", "the access token is unknown or expired")
    return offer


def issue_to_wallet(db: Session, offer: CredentialOffer, request: object, issuer: str,
                    now: datetime | None = None) -> dict:
    """Credential endpoint: check the request and its key proof, return the response body.

    `ldp_vc` gives the wallet copy bound to the proof's holder DID as a JSON object;
    `jwt_vc_json` gives the same copy as an OB 3.0 VC-JWT (EdDSA, kid = the did:web key);
    `dc+sd-jwt` gives it as an SD-JWT VC bound to the proof's key (`cnf.jwk`).
    """
    now = utc_seconds(now)
    configuration, token = _read_request(request)
    try:
        proof = presentations.verify_key_proof(token, issuer, now, _nonce_check(db, now))
    except presentations.KeyProofError as error:
        raise OAuthError(error.error, _ascii(str(error))) from None
    _use_nonce(db, proof.nonce, now)
    try:
        copy = bind_to_holder(db, offer.credential, proof.holder, now)
    except ClaimClosed as error:
        raise OAuthError("credential_request_denied", _ascii(str(error))) from None
    if configuration == LDP_CONFIGURATION:
        return {"credentials": [{"credential": json.loads(copy.signed_json)}]}
    if configuration == SD_JWT_CONFIGURATION:
        return {"credentials": [{"credential": sd_jwt_vc.issue(db, copy, proof.key, now)}]}
    key_record, key = active_key(db, copy.organisation)
    jwt = sign_jwt(unsigned_document(copy), key, kid=jwt_kid(copy.organisation, key_record))
    return {"credentials": [{"credential": jwt}]}


def _read_request(request: object) -> tuple[str, str]:
    if not isinstance(request, dict):
        raise OAuthError("invalid_credential_request", "the body must be a JSON object")
    if "credential_identifier" in request:
        raise OAuthError("invalid_credential_request",
                         "credential_identifier is not used: no credential_identifiers were "
                         "issued; send credential_configuration_id")
    configuration = request.get("credential_configuration_id")
    if not isinstance(configuration, str):
        raise OAuthError("invalid_credential_request", "credential_configuration_id is required")
    if configuration not in CONFIGURATIONS:
        raise OAuthError("unknown_credential_configuration",
                         "unknown credential configuration; use one of "
                         + ", ".join(CONFIGURATIONS))
    proofs = request.get("proofs")
    if not isinstance(proofs, dict):
        raise OAuthError("invalid_proof", "proofs is required (a jwt key proof)")
    if set(proofs) != {"jwt"} or not isinstance(proofs["jwt"], list) or not proofs["jwt"]:
        raise OAuthError("invalid_proof", "proofs must hold exactly one proof type, jwt, with a "
                         "non-empty array")
    if len(proofs["jwt"]) != 1:
        raise OAuthError("invalid_proof", "batch issuance is not supported: send one key proof")
    return configuration, proofs["jwt"][0]


def _nonce_check(db: Session, now: datetime) -> Callable[[str], bool]:
    def usable(nonce: str) -> bool:
        row = db.get(WalletNonce, nonce) if len(nonce) <= 64 else None
        return row is not None and row.used_at is None and not _expired(row.expires_at, now)

    return usable


def _use_nonce(db: Session, nonce: str, now: datetime) -> None:
    used = db.execute(update(WalletNonce)
                      .where(WalletNonce.nonce == nonce, WalletNonce.used_at.is_(None))
                      .values(used_at=now))
    if used.rowcount != 1:
        raise OAuthError("invalid_nonce", "the c_nonce was already used: fetch a new one")


def purge_expired(db: Session, now: datetime | None = None) -> None:
    """Delete wallet state that expired more than a day ago."""
    cutoff = utc_seconds(now) - PURGE_AFTER
    db.execute(delete(WalletExchange).where(WalletExchange.expires_at < cutoff))
    db.execute(delete(CredentialOffer).where(CredentialOffer.expires_at < cutoff,
                                             (CredentialOffer.token_expires_at.is_(None))
                                             | (CredentialOffer.token_expires_at < cutoff)))
    db.execute(delete(WalletNonce).where(WalletNonce.expires_at < cutoff))


def _ascii(text: str) -> str:
    """error_description allows only %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash)."""
    return "".join(c for c in text if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
