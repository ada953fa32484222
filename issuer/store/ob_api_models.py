"""The 1EdTech Open Badges 3.0 API's OAuth 2.0 state: registered hosts, the learner's grants,
authorization codes, access and refresh tokens, and credentials a host sent to a learner.

A host (another badge platform, a backpack) registers itself (RFC 7591), then a learner grants
it access from their claim link. Every secret a host presents (client secret, code, access
token, refresh token) is stored only as its sha256 digest; codes and tokens expire.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, Credential, Learner, utcnow

# OAuthToken.kind
ACCESS = "access"
REFRESH = "refresh"


class OAuthClient(Base):
    """A host registered by dynamic client registration: what the learner is shown."""

    __tablename__ = "oauth_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_sha256: Mapped[str] = mapped_column(String(64))
    client_name: Mapped[str] = mapped_column(String(200))
    client_uri: Mapped[str] = mapped_column(String(500))
    logo_uri: Mapped[str] = mapped_column(String(500))
    tos_uri: Mapped[str] = mapped_column(String(500))
    policy_uri: Mapped[str] = mapped_column(String(500))
    software_id: Mapped[str] = mapped_column(String(200))
    software_version: Mapped[str] = mapped_column(String(100))
    redirect_uris: Mapped[list] = mapped_column()
    scope: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAuthGrant(Base):
    """A learner's permission for one host, with the scopes they agreed to; withdrawn once."""

    __tablename__ = "oauth_grant"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_client.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    scope: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    client: Mapped[OAuthClient] = relationship()
    learner: Mapped[Learner] = relationship()


class OAuthCode(Base):
    """An authorization code (single use, ten minutes) with its PKCE challenge."""

    __tablename__ = "oauth_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("oauth_grant.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]

    grant: Mapped[OAuthGrant] = relationship()


class OAuthToken(Base):
    """An access or refresh token of a grant; a refresh token is used once (rotated)."""

    __tablename__ = "oauth_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("oauth_grant.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]

    grant: Mapped[OAuthGrant] = relationship()


class ReceivedCredential(Base):
    """A credential a host sent by upsertCredential: verified, and about this learner."""

    __tablename__ = "received_credential"
    __table_args__ = (Index("ix_received_credential_learner_document", "learner_id",
                            "document_id", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("oauth_grant.id"))
    document_id: Mapped[str] = mapped_column(String(500))
    signed_json: Mapped[str] = mapped_column(Text)
    # A VC-JWT (compact JWS) is kept as sent, and listed in compactJwsString.
    compact_jws: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    issued_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class PushRequest(Base):
    """The service as an OB 3.0 API client: a learner sends their badges to another platform.

    Kept from the redirect to the platform's authorization page until its answer (ten
    minutes). The state comes back from the platform, so only its digest is kept; the PKCE
    verifier and the client secret are presented to the platform's token endpoint, so they
    are kept as they are, and the row is deleted once used or a day after it expired.
    """

    __tablename__ = "ob_push_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    state_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"), index=True)
    platform: Mapped[str] = mapped_column(String(500))
    token_url: Mapped[str] = mapped_column(String(500))
    credentials_url: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(500))
    client_secret: Mapped[str] = mapped_column(String(500))
    code_verifier: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(index=True)

    credential: Mapped[Credential] = relationship()
