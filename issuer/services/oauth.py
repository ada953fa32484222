"""OAuth 2.0 for the 1EdTech Open Badges 3.0 API: the service is the authorization server and
the resource server, and the resource owner is a learner without an account.

- Dynamic client registration (RFC 7591 as profiled by OB 3.0 §API Security): every URL is
  https (http only on a loopback host, when the settings allow it for tests) and they all share
  one hostname; sizes and counts are bounded. The client secret is returned once.
- Authorization code grant with PKCE S256 only (RFC 7636), `state` required, the redirect URI
  matched exactly against a registered one. A code lives ten minutes and is used once.
- Access tokens live an hour; refresh tokens thirty days and are rotated: each is used once,
  and presenting a used one again withdraws the whole grant (RFC 9700 §4.14.2, a stolen token).
- Revocation (RFC 7009) and the learner's own "disconnect" withdraw the grant: every code and
  token of it stops working at once.
Codes, tokens and client secrets are stored only as sha256 digests (`exchanges.digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.store.models import Learner
from issuer.store.ob_api_models import (
    ACCESS,
    REFRESH,
    OAuthClient,
    OAuthCode,
    OAuthGrant,
    OAuthToken,
)

from .base import ServiceError, audit, settings_of
from .exchanges import digest

SCOPE_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READ = SCOPE_PREFIX + "credential.readonly"
CREDENTIAL_UPSERT = SCOPE_PREFIX + "credential.upsert"
PROFILE_READ = SCOPE_PREFIX + "profile.readonly"
PROFILE_UPDATE = SCOPE_PREFIX + "profile.update"
SCOPES = (CREDENTIAL_READ, CREDENTIAL_UPSERT, PROFILE_READ, PROFILE_UPDATE)

CODE_LIFETIME = timedelta(minutes=10)
ACCESS_LIFETIME = timedelta(hours=1)
REFRESH_LIFETIME = timedelta(days=30)
PURGE_AFTER = timedelta(days=1)

MAX_URL = 500
MAX_NAME = 200
MAX_REDIRECT_URIS = 5
MAX_CONTACTS = 5
MAX_STATE = 500
MAX_REGISTRATION_BYTES = 16 * 1024
REGISTRATIONS_PER_HOUR = 20  # per client address: registration needs no credentials
_PKCE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a sha256, no padding


class OAuthProblem(ServiceError):
    """An OAuth error response: `error` is RFC 6749's code; the message is plain ASCII.

    `redirect` is True when the authorization request may send the error back to the client
    (its client_id and redirect_uri are known good); never for those two themselves.
    """

    def __init__(self, error: str, description: str, redirect: bool = False,
                 replayed_grant: int | None = None):
        super().__init__(description)
        self.error = error
        self.redirect = redirect
        self.replayed_grant = replayed_grant


# --- registration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A client just registered, and its secret (returned once, stored as a digest)."""

    client: OAuthClient
    client_secret: str


_REQUIRED_URLS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
_REQUIRED_TEXT = ("client_name", "software_id", "software_version")


def register_client(db: Session, metadata: object, now: datetime | None = None
                    ) -> Registration:
    """Register a host from its RFC 7591 client metadata (invalid_client_metadata,
    invalid_redirect_uri otherwise)."""
    if not isinstance(metadata, dict):
        raise OAuthProblem("invalid_client_metadata", "the body must be a JSON object")
    loopback = settings_of(db).allow_http_loopback
    for name in _REQUIRED_TEXT:
        _text(metadata, name)
    urls = {name: _url(metadata, name, loopback, "invalid_client_metadata")
            for name in _REQUIRED_URLS}
    redirect_uris = metadata.get("redirect_uris")
    if (not isinstance(redirect_uris, list) or not redirect_uris
            or len(redirect_uris) > MAX_REDIRECT_URIS):
        raise OAuthProblem("invalid_redirect_uri",
                           f"redirect_uris must list 1 to {MAX_REDIRECT_URIS} URLs")
    for uri in redirect_uris:
        _check_url(uri, "redirect_uris", loopback, "invalid_redirect_uri")
        if urlsplit(uri).fragment:
            raise OAuthProblem("invalid_redirect_uri", "a redirect URI has no fragment")
    hosts = {urlsplit(u).hostname for u in [*urls.values(), *redirect_uris]}
    if len(hosts) != 1:
        raise OAuthProblem("invalid_client_metadata",
                           "every URL must share one hostname (OB 3.0 registration)")
    scope = _scopes(metadata.get("scope"), "invalid_client_metadata")
    _optional_lists(metadata)
    client_secret = secrets.token_urlsafe(32)
    client = OAuthClient(client_id=secrets.token_urlsafe(18),
                         client_secret_sha256=digest(client_secret),
                         client_name=metadata["client_name"].strip(),
                         software_id=metadata["software_id"],
                         software_version=metadata["software_version"],
                         redirect_uris=list(redirect_uris), scope=" ".join(scope),
                         created_at=utc_seconds(now), **urls)
    db.add(client)
    db.flush()
    audit(db, "oauth.register", None, None, client.client_id, client_uri=client.client_uri)
    return Registration(client, client_secret)


def registration_response(registration: Registration) -> dict:
    """The RFC 7591 §3.2.1 answer: the metadata as registered, with the client's credentials."""
    client = registration.client
    return {"client_id": client.client_id, "client_secret": registration.client_secret,
            "client_id_issued_at": int(client.created_at.timestamp()),
            "client_secret_expires_at": 0,
            "client_name": client.client_name, "client_uri": client.client_uri,
            "logo_uri": client.logo_uri, "tos_uri": client.tos_uri,
            "policy_uri": client.policy_uri, "software_id": client.software_id,
            "software_version": client.software_version,
            "redirect_uris": client.redirect_uris, "scope": client.scope,
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"]}


def _text(metadata: dict, name: str) -> str:
    value = metadata.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise OAuthProblem("invalid_client_metadata",
                           f"{name} is required: a text of at most {MAX_NAME} characters")
    if any(ord(c) < 0x20 for c in value):
        raise OAuthProblem("invalid_client_metadata", f"{name} has control characters")
    return value


def _url(metadata: dict, name: str, loopback: bool, error: str) -> str:
    value = metadata.get(name)
    _check_url(value, name, loopback, error)
    return value


def _check_url(value: object, name: str, loopback: bool, error: str) -> None:
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        raise OAuthProblem(error, f"{name}: a URL of at most {MAX_URL} characters is required")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise OAuthProblem(error, f"{name} is not a URL") from None
    if not host or any(c.isspace() for c in value):
        raise OAuthProblem(error, f"{name} is not an absolute URL")
    # A plain host name (it goes into the consent page's Content-Security-Policy), no user info.
    if not _HOSTNAME.match(host) or parts.username is not None:
        raise OAuthProblem(error, f"{name} must name a plain host, without user or password")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and loopback and _is_loopback(host):
        return
    raise OAuthProblem(error, f"{name} must be an https URL")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _scopes(value: object, error: str) -> list[str]:
    if not isinstance(value, str) or not value.strip() or len(value) > 1000:
        raise OAuthProblem(error, "scope is required: space-separated OB 3.0 scopes")
    asked = value.split()
    unknown = [s for s in asked if s not in SCOPES]
    if unknown:
        raise OAuthProblem("invalid_scope" if error != "invalid_client_metadata" else error,
                           "unknown scope; use the OB 3.0 scopes")
    return [s for s in SCOPES if s in asked]


def _optional_lists(metadata: dict) -> None:
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if method != "client_secret_basic":
        raise OAuthProblem("invalid_client_metadata",
                           "token_endpoint_auth_method must be client_secret_basic")
    allowed = {"grant_types": {"authorization_code", "refresh_token"},
               "response_types": {"code"}}
    for name, values in allowed.items():
        given = metadata.get(name, sorted(values))
        if not isinstance(given, list) or not set(given) <= values or len(given) > 2:
            raise OAuthProblem("invalid_client_metadata",
                               f"{name} may only hold {', '.join(sorted(values))}")
    contacts = metadata.get("contacts", [])
    if (not isinstance(contacts, list) or len(contacts) > MAX_CONTACTS
            or not all(isinstance(c, str) and len(c) <= 320 for c in contacts)):
        raise OAuthProblem("invalid_client_metadata",
                           f"contacts lists at most {MAX_CONTACTS} addresses")


# --- the authorization request -----------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request, waiting for the learner's answer."""

    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str
    code_challenge: str

    def as_dict(self) -> dict:
        return {"client_id": self.client_id, "redirect_uri": self.redirect_uri,
                "scope": " ".join(self.scope), "state": self.state,
                "code_challenge": self.code_challenge}


def check_authorization_request(db: Session, params: dict) -> tuple[OAuthClient,
                                                                      AuthorizationRequest]:
    """The client and the checked request; OAuthProblem otherwise (RFC 6749 §4.1.2.1: an
    unknown client or a redirect URI not registered is never redirected to)."""
    client = _client(db, params.get("client_id"))
    redirect_uri = params.get("redirect_uri")
    if not isinstance(redirect_uri, str) or redirect_uri not in client.redirect_uris:
        raise OAuthProblem("invalid_request", "redirect_uri is not one this client registered")
    if params.get("response_type") != "code":
        raise OAuthProblem("unsupported_response_type", "response_type must be code", True)
    state = params.get("state")
    if not isinstance(state, str) or not state or len(state) > MAX_STATE:
        raise OAuthProblem("invalid_request", "state is required", True)
    if params.get("code_challenge_method") != "S256":
        raise OAuthProblem("invalid_request", "PKCE with code_challenge_method=S256 is required",
                           True)
    challenge = params.get("code_challenge")
    if not isinstance(challenge, str) or not _CHALLENGE.match(challenge):
        raise OAuthProblem("invalid_request", "code_challenge must be a base64url SHA-256", True)
    scope = params.get("scope") or client.scope
    try:
        asked = _scopes(scope, "invalid_scope")
    except OAuthProblem as problem:
        raise OAuthProblem("invalid_scope", str(problem), True) from None
    if not set(asked) <= set(client.scope.split()):
        raise OAuthProblem("invalid_scope", "a scope this client did not register", True)
    return client, AuthorizationRequest(client.client_id, redirect_uri, tuple(asked), state,
                                        challenge)


def client_by_id(db: Session, client_id: str) -> OAuthClient | None:
    """The registered client `client_id`, if any."""
    if not isinstance(client_id, str) or len(client_id) > 64:
        return None
    return db.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def _client(db: Session, client_id: object) -> OAuthClient:
    client = client_by_id(db, client_id) if isinstance(client_id, str) else None
    if client is None:
        raise OAuthProblem("invalid_request", "client_id is not a registered client")
    return client


def approve(db: Session, learner: Learner, request: AuthorizationRequest,
            now: datetime | None = None) -> str:
    """The learner agreed: a grant for the asked scopes and a code for the client (returned)."""
    if learner.erased_at is not None:
        raise OAuthProblem("access_denied", "this learner's data was erased", True)
    now = utc_seconds(now)
    purge_expired(db, now)
    client = _client(db, request.client_id)
    grant = OAuthGrant(client_pk=client.id, learner_id=learner.id, scope=" ".join(request.scope),
                       created_at=now)
    db.add(grant)
    db.flush()
    code = secrets.token_urlsafe(32)
    db.add(OAuthCode(code_sha256=digest(code), grant_id=grant.id,
                     redirect_uri=request.redirect_uri, code_challenge=request.code_challenge,
                     expires_at=now + CODE_LIFETIME))
    db.flush()
    audit(db, "oauth.grant", None, learner.organisation_id, client.client_id,
          learner=learner.id, scope=grant.scope)
    return code


# --- the token endpoint ---------------------------------------------------------------------


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    refresh_token: str
    scope: str

    def as_dict(self) -> dict:
        return {"access_token": self.access_token, "token_type": "Bearer",
                "expires_in": int(ACCESS_LIFETIME.total_seconds()),
                "refresh_token": self.refresh_token, "scope": self.scope}


def authenticate_client(db: Session, authorization: str | None) -> OAuthClient:
    """The client of an `Authorization: Basic` header (client_secret_basic); invalid_client."""
    scheme, _, value = (authorization or "").partition(" ")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    client_id, sep, secret = decoded.partition(":")
    client = client_by_id(db, unquote(client_id)) if scheme.lower() == "basic" and sep else None
    if client is None or not hmac.compare_digest(digest(unquote(secret)),
                                                 client.client_secret_sha256):
        raise OAuthProblem("invalid_client", "client authentication failed (HTTP Basic)")
    return client


def exchange_token(db: Session, client: OAuthClient, form: dict,
                   now: datetime | None = None) -> TokenResponse:
    """Token endpoint: authorization_code (with the PKCE verifier) or refresh_token."""
    now = utc_seconds(now)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        grant = _redeem_code(db, client, form, now)
    elif grant_type == "refresh_token":
        grant = _redeem_refresh(db, client, form, now)
    elif not grant_type:
        raise OAuthProblem("invalid_request", "grant_type is required")
    else:
        raise OAuthProblem("unsupported_grant_type",
                           "use authorization_code or refresh_token")
    return _tokens(db, grant, now)


def _redeem_code(db: Session, client: OAuthClient, form: dict, now: datetime) -> OAuthGrant:
    code, verifier = form.get("code"), form.get("code_verifier")
    if not code or not verifier:
        raise OAuthProblem("invalid_request", "code and code_verifier are required")
    row = db.scalar(select(OAuthCode).where(OAuthCode.code_sha256 == digest(code)))
    if (row is None or row.grant.client_pk != client.id or row.grant.revoked_at is not None
            or row.expires_at <= now):
        raise OAuthProblem("invalid_grant", "the code is unknown, expired or not this client's")
    if row.used_at is not None:
        # A code presented twice was intercepted or replayed: its grant is to be withdrawn.
        raise OAuthProblem("invalid_grant", "the code was already used",
                           replayed_grant=row.grant_id)
    if form.get("redirect_uri") != row.redirect_uri:
        raise OAuthProblem("invalid_grant", "redirect_uri differs from the authorization request")
    if not _PKCE.match(verifier) or not hmac.compare_digest(_s256(verifier), row.code_challenge):
        raise OAuthProblem("invalid_grant", "the code_verifier does not match the code_challenge")
    used = db.execute(update(OAuthCode).where(OAuthCode.id == row.id, OAuthCode.used_at.is_(None))
                      .values(used_at=now))
    if used.rowcount != 1:
        raise OAuthProblem("invalid_grant", "the code was already used")
    return row.grant


def _redeem_refresh(db: Session, client: OAuthClient, form: dict, now: datetime) -> OAuthGrant:
    token = form.get("refresh_token")
    if not token:
        raise OAuthProblem("invalid_request", "refresh_token is required")
    row = db.scalar(select(OAuthToken).where(OAuthToken.token_sha256 == digest(token),
                                             OAuthToken.kind == REFRESH))
    if (row is None or row.grant.client_pk != client.id or row.grant.revoked_at is not None
            or row.expires_at <= now):
        raise OAuthProblem("invalid_grant", "the refresh token is unknown, expired or withdrawn")
    if row.used_at is not None:
        raise OAuthProblem("invalid_grant", "the refresh token was already used: the grant is "
                                            "withdrawn", replayed_grant=row.grant_id)
    asked = form.get("scope")
    if asked and not set(asked.split()) <= set(row.grant.scope.split()):
        raise OAuthProblem("invalid_scope", "a refresh cannot widen the scope")
    used = db.execute(update(OAuthToken).where(OAuthToken.id == row.id,
                                               OAuthToken.used_at.is_(None)).values(used_at=now))
    if used.rowcount != 1:
        raise OAuthProblem("invalid_grant", "the refresh token was already used")
    return row.grant


def _tokens(db: Session, grant: OAuthGrant, now: datetime) -> TokenResponse:
    if grant.learner.erased_at is not None:
        raise OAuthProblem("invalid_grant", "this learner's data was erased")
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.add_all([OAuthToken(token_sha256=digest(access), grant_id=grant.id, kind=ACCESS,
                           expires_at=now + ACCESS_LIFETIME),
                OAuthToken(token_sha256=digest(refresh), grant_id=grant.id, kind=REFRESH,
                           expires_at=now + REFRESH_LIFETIME)])
    db.flush()
    return TokenResponse(access, refresh, grant.scope)


def _s256(verifier: str) -> str:
    hashed = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")


# --- the resource server's side ---------------------------------------------------------------


class TokenRefused(ServiceError):
    """A bearer token is missing, unknown, expired or withdrawn (401), or lacks a scope (403)."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error


def grant_for_token(db: Session, authorization: str | None, scope: str,
                    now: datetime | None = None) -> OAuthGrant:
    """The live grant behind an `Authorization: Bearer` access token that holds `scope`."""
    kind, _, token = (authorization or "").partition(" ")
    if kind.lower() != "bearer" or not token.strip() or len(token) > 200:
        raise TokenRefused("", "a Bearer access token is required")
    row = db.scalar(select(OAuthToken).where(OAuthToken.token_sha256 == digest(token.strip()),
                                             OAuthToken.kind == ACCESS))
    if (row is None or row.expires_at <= utc_seconds(now) or row.grant.revoked_at is not None
            or row.grant.learner.erased_at is not None):
        raise TokenRefused("invalid_token", "the access token is unknown, expired or withdrawn")
    if scope not in row.grant.scope.split():
        raise TokenRefused("insufficient_scope", f"this needs the scope {scope}")
    return row.grant


# --- withdrawing -------------------------------------------------------------------------------


def revoke_token(db: Session, client: OAuthClient, token: str | None,
                 now: datetime | None = None) -> None:
    """RFC 7009: withdraw the grant of `token` (access or refresh) if it is this client's.

    An unknown token is not an error (§2.2): the answer is the same either way.
    """
    if not token or len(token) > 200:
        return
    row = db.scalar(select(OAuthToken).where(OAuthToken.token_sha256 == digest(token)))
    if row is not None and row.grant.client_pk == client.id:
        _withdraw(db, row.grant, utc_seconds(now))


def connected_hosts(db: Session, learner: Learner) -> list[OAuthGrant]:
    """The learner's live grants, newest first (for the claim page)."""
    return list(db.scalars(select(OAuthGrant).where(OAuthGrant.learner_id == learner.id,
                                                    OAuthGrant.revoked_at.is_(None))
                           .order_by(OAuthGrant.created_at.desc(), OAuthGrant.id.desc())))


def disconnect(db: Session, learner: Learner, grant_id: int, now: datetime | None = None
               ) -> bool:
    """The learner withdraws one of their grants; False when it is not theirs or already gone."""
    grant = db.get(OAuthGrant, grant_id)
    if grant is None or grant.learner_id != learner.id or grant.revoked_at is not None:
        return False
    _withdraw(db, grant, utc_seconds(now))
    return True


def withdraw(db: Session, grant_id: int, now: datetime | None = None) -> None:
    """Withdraw a grant whose code or refresh token was replayed (RFC 9700 §4.14.2)."""
    grant = db.get(OAuthGrant, grant_id)
    if grant is not None:
        _withdraw(db, grant, utc_seconds(now))


def _withdraw(db: Session, grant: OAuthGrant, now: datetime) -> None:
    if grant.revoked_at is None:
        grant.revoked_at = now
        audit(db, "oauth.withdraw", None, grant.learner.organisation_id, grant.client.client_id,
              learner=grant.learner_id)
    db.execute(update(OAuthToken).where(OAuthToken.grant_id == grant.id,
                                        OAuthToken.expires_at > now).values(expires_at=now))
    db.flush()


def purge_expired(db: Session, now: datetime | None = None) -> None:
    """Delete codes and tokens that expired more than a day ago."""
    cutoff = utc_seconds(now) - PURGE_AFTER
    db.execute(delete(OAuthCode).where(OAuthCode.expires_at < cutoff))
    db.execute(delete(OAuthToken).where(OAuthToken.expires_at < cutoff))
