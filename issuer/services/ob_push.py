"""The service as an OB 3.0 API client: a learner sends their badges to another platform.

From their claim page the learner names a platform. The service reads its service description
document (`{platform}/ims/ob/v3p0/discovery`), registers itself as a client (RFC 7591, only
the `credential.upsert` scope), and sends the learner to the platform's authorization page
with PKCE S256 and a `state`. When the platform sends the learner back with a code, the
service redeems it (HTTP Basic) and calls `upsertCredential` with each of the learner's badges
that still counts. Every request goes through `SafeFetcher` (https only, public addresses,
bounded size and time); nothing the platform answers is shown to the learner but counts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from issuer.core.clock import utc_seconds
from issuer.core.errors import ResolutionError
from issuer.fetch import SafeFetcher
from issuer.store.models import Credential
from issuer.store.ob_api_models import PushRequest

from .base import ServiceError, audit, settings_of
from .claims import can_bind
from .exchanges import digest
from .oauth import CREDENTIAL_UPSERT, MAX_URL
from .people import same_person
from .urls import public_url

PUSH_LIFETIME = timedelta(minutes=10)
MAX_PUSHED = 50  # badges sent in one push
CALLBACK_PATH = "/ims/ob/v3p0/push/callback"
DISCOVERY_PATH = "/ims/ob/v3p0/discovery"


class PushFailed(ServiceError):
    """The other platform could not be reached, or did not answer as OB 3.0 says."""


@dataclass(frozen=True)
class PushResult:
    """How many badges the platform kept, of how many were sent, and to whom."""

    platform: str
    sent: int
    kept: int


def fetcher_for(db: Session) -> SafeFetcher:
    """A fetcher with room for the discovery, registration, token and every upsert."""
    return SafeFetcher(timeout=10.0, max_bytes=256 * 1024,
                       allow_http_loopback=settings_of(db).allow_http_loopback,
                       max_fetches=3 + MAX_PUSHED, total_seconds=120.0)


def discovery_url(platform: str) -> str:
    """The SDD address of a platform named by its address or by its discovery URL itself."""
    text = (platform or "").strip()
    if len(text) > MAX_URL or not text:
        raise PushFailed("type the address of the other platform")
    if "://" not in text:
        text = "https://" + text
    if text.rstrip("/").endswith(DISCOVERY_PATH):
        return text.rstrip("/")
    return text.rstrip("/") + DISCOVERY_PATH


def start(db: Session, credential: Credential, platform: str, fetcher: SafeFetcher,
          now: datetime | None = None) -> str:
    """Register with the platform and keep the push; the authorization URL to send the
    learner to."""
    now = utc_seconds(now)
    _purge(db, now)
    sdd_url = discovery_url(platform)
    sdd = _fetch_json(fetcher, sdd_url)
    try:
        scheme = sdd["components"]["securitySchemes"]["OAuth2ACG"]
        flow = scheme["flows"]["authorizationCode"]
        registration_url, authorization_url = scheme["x-imssf-registrationUrl"], flow[
            "authorizationUrl"]
        token_url, server = flow["tokenUrl"], sdd["servers"][0]["url"]
    except (KeyError, IndexError, TypeError):
        raise PushFailed("this platform does not describe an Open Badges 3.0 API") from None
    for url in (registration_url, authorization_url, token_url, server):
        if not isinstance(url, str) or len(url) > MAX_URL or not url.startswith(("https://",
                                                                                 "http://")):
            raise PushFailed("this platform does not describe an Open Badges 3.0 API")
    if CREDENTIAL_UPSERT not in (flow.get("scopes") or {}):
        raise PushFailed("this platform does not accept badges through its API")
    client = _register(db, fetcher, registration_url)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    db.add(PushRequest(state_sha256=digest(state), credential_id=credential.id,
                       platform=urlsplit(sdd_url).netloc, token_url=token_url,
                       credentials_url=server.rstrip("/") + "/credentials",
                       client_id=client["client_id"], client_secret=client["client_secret"],
                       code_verifier=verifier, expires_at=now + PUSH_LIFETIME))
    db.flush()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({"response_type": "code", "client_id": client["client_id"],
                       "redirect_uri": public_url(db, CALLBACK_PATH),
                       "scope": CREDENTIAL_UPSERT, "state": state,
                       "code_challenge": challenge.rstrip(b"=").decode(),
                       "code_challenge_method": "S256"})
    return f"{authorization_url}{'&' if '?' in authorization_url else '?'}{query}"


def _register(db: Session, fetcher: SafeFetcher, registration_url: str) -> dict:
    base = public_url(db)
    metadata = {"client_name": "SKY Badges", "client_uri": base,
                "logo_uri": public_url(db, "/static/trainer/icon-512.png"),
                "tos_uri": public_url(db, "/ims/ob/v3p0/policies#terms"),
                "policy_uri": public_url(db, "/ims/ob/v3p0/policies#privacy"),
                "software_id": "sky-badges", "software_version": "1",
                "redirect_uris": [public_url(db, CALLBACK_PATH)], "scope": CREDENTIAL_UPSERT,
                "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"]}
    status, answer = _send(fetcher, "POST", registration_url, json.dumps(metadata).encode(),
                           {"Content-Type": "application/json"})
    client = _json(answer)
    if status not in (200, 201) or not isinstance(client.get("client_id"), str) \
            or not isinstance(client.get("client_secret"), str):
        raise PushFailed(f"the platform refused to register this service (HTTP {status})")
    return client


def finish(db: Session, state: str, code: str, fetcher: SafeFetcher,
           now: datetime | None = None) -> tuple[Credential, PushResult]:
    """Redeem the platform's code and send it the learner's badges (the push is used up)."""
    now = utc_seconds(now)
    push = pending(db, state, now)
    credential = push.credential
    db.delete(push)
    db.flush()
    basic = base64.b64encode(f"{push.client_id}:{push.client_secret}".encode()).decode()
    form = urlencode({"grant_type": "authorization_code", "code": code,
                      "redirect_uri": public_url(db, CALLBACK_PATH),
                      "code_verifier": push.code_verifier}).encode()
    status, answer = _send(fetcher, "POST", push.token_url, form, {
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"})
    token = _json(answer).get("access_token")
    if status != 200 or not isinstance(token, str):
        raise PushFailed(f"the platform did not give access (HTTP {status})")
    badges = _badges(db, credential)
    kept = 0
    for badge in badges:
        status, _answer = _send(fetcher, "POST", push.credentials_url, badge.signed_json.encode(),
                                {"Content-Type": "application/json",
                                 "Authorization": f"Bearer {token}"})
        kept += status in (200, 201)
    audit(db, "oauth.push", None, credential.organisation_id, push.platform,
          learner=credential.learner_id, sent=len(badges), kept=kept)
    return credential, PushResult(push.platform, len(badges), kept)


def pending(db: Session, state: str, now: datetime | None = None) -> PushRequest:
    """The push a `state` came back for (unknown, used or expired: PushFailed)."""
    push = db.scalar(select(PushRequest).where(PushRequest.state_sha256 == digest(state or "")))
    if push is None or push.expires_at <= utc_seconds(now):
        raise PushFailed("this request is unknown or expired: start again from your badge")
    return push


def cancel(db: Session, state: str) -> Credential:
    """The learner said no at the platform: forget the push; the badge to go back to."""
    push = pending(db, state)
    credential = push.credential
    db.delete(push)
    db.flush()
    return credential


def _badges(db: Session, credential: Credential) -> list[Credential]:
    """The learner's badges that still count (originals; not withdrawn), oldest first."""
    learner = credential.learner
    if learner is None:
        return [credential] if can_bind(credential) is None else []
    rows = db.scalars(select(Credential).where(
        Credential.learner_id.in_(same_person(learner)), Credential.supersedes_id.is_(None),
        Credential.revoked_at.is_(None)).order_by(Credential.issued_at, Credential.id)
        .limit(MAX_PUSHED))
    now = utc_seconds()
    return [c for c in rows if c.valid_until is None or c.valid_until > now]


def _fetch_json(fetcher: SafeFetcher, url: str) -> dict:
    try:
        return fetcher.fetch_json(url)
    except ResolutionError as error:
        raise PushFailed(f"the platform could not be reached: {error}") from None


def _send(fetcher: SafeFetcher, method: str, url: str, body: bytes, headers: dict
          ) -> tuple[int, bytes]:
    try:
        return fetcher.send(method, url, body, headers)
    except ResolutionError as error:
        raise PushFailed(f"the platform could not be reached: {error}") from None


def _json(body: bytes) -> dict:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return document if isinstance(document, dict) else {}


def _purge(db: Session, now: datetime) -> None:
    db.execute(delete(PushRequest).where(PushRequest.expires_at < now - timedelta(days=1)))
