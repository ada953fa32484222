"""Wallet protocol state: VC-API exchanges (Learner Credential Wallet) and OID4VCI offers, access
tokens and nonces.

Everything a wallet's next request depends on lives here, so any web worker can serve any step.
Secrets a wallet presents (exchange ids, pre-authorized codes, transaction codes, access tokens)
are stored only as sha256 digests; every row expires and each step can be taken once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, Credential, utcnow

# WalletExchange.state
PENDING = "pending"
COMPLETE = "complete"


class WalletExchange(Base):
    """One VC-API exchange: a DIDAuthentication request answered once by a wallet."""

    __tablename__ = "wallet_exchange"
    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), index=True)
    challenge: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    holder_did: Mapped[str | None] = mapped_column(String(500))
    issued_credential_id: Mapped[int | None] = mapped_column(ForeignKey("credential.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]

    credential: Mapped[Credential] = relationship(foreign_keys=[credential_id])


class CredentialOffer(Base):
    """An OID4VCI pre-authorized credential offer, and the access token it was redeemed for."""

    __tablename__ = "wallet_credential_offer"
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), index=True)
    tx_code_sha256: Mapped[str | None] = mapped_column(String(64))
    tx_code_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    redeemed_at: Mapped[datetime | None]
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None]

    credential: Mapped[Credential] = relationship()


class WalletNonce(Base):
    """A `c_nonce` from the OID4VCI nonce endpoint: unpredictable, short-lived, used once."""

    __tablename__ = "wallet_nonce"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
