"""The 1EdTech Open Badges 3.0 API's resources, for a host a learner connected (`oauth`).

- The service description document: the OpenAPI file 1EdTech publishes with the spec, bundled
  in the package, profiled with this service's addresses (one contract, written once).
- getCredentials: the learner's badges (every learner record they proved is theirs; a wallet
  copy is the same badge and is left out, as on the claim page), then the credentials hosts
  sent them, oldest first, paged by `limit`/`offset`, filtered by `since` on the issue time.
  A badge withdrawn or expired is still listed: it says so itself, through its status list.
- upsertCredential: the service is an issuer, not a backpack. It keeps a credential a host
  sends only when it verifies (proof, status, dates) and names THIS learner as its subject
  (their e-mail in a hashed `identifier`, or the DID of their wallet); it never signs nor
  republishes it, and shows it only to hosts the learner connected. 64 kB at most, 100 per
  learner. A credential with the same `id` is replaced (200), a new one is created (201).
- getProfile / putProfile: the learner's profile holds only what they let hosts see: a
  per-host pseudonymous id, and their name only if they agreed that their name is written on
  their badges. putProfile changes the learner's name, nothing else; it is audited.
Every document is checked against the bundled 1EdTech JSON schemas, on the way in and out.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from uuid import UUID

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from issuer.core import schema
from issuer.core.clock import utc_seconds
from issuer.core.errors import SchemaError
from issuer.store.models import Credential, Learner
from issuer.store.ob_api_models import OAuthGrant, ReceivedCredential

from . import consent
from .base import ServiceError, audit, settings_of
from .people import same_person
from .urls import public_url
from .verification import verify_any

BASE_PATH = "/ims/ob/v3p0"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000
MAX_CREDENTIAL_BYTES = 64 * 1024
MAX_RECEIVED = 100
MAX_PROFILE_BYTES = 16 * 1024
MAX_NAME = 200


class ApiRefused(ServiceError):
    """A request the API cannot carry out; `status` and `minor` pick the imsx_StatusInfo."""

    def __init__(self, message: str, status: int, minor: str):
        super().__init__(message)
        self.status = status
        self.minor = minor


# --- discovery --------------------------------------------------------------------------------


@cache
def _openapi() -> dict:
    text = resources.files("issuer.core").joinpath("schemas/openapi/ob_v3p0_openapi.json")
    return json.loads(text.read_text("utf-8"))


def service_description(where: Session) -> dict:
    """The SDD: 1EdTech's OpenAPI document with this service's server, policies and OAuth."""
    document = copy.deepcopy(_openapi())
    base = public_url(where)
    document["servers"] = [{"url": base + BASE_PATH, "description": "SKY Badges"}]
    info = document["info"]
    info.update({"title": "SKY Badges", "version": "3.0",
                 "termsOfService": public_url(where, BASE_PATH + "/policies#terms"),
                 "x-imssf-privacyPolicyUrl": public_url(where, BASE_PATH + "/policies#privacy")})
    for name in ("contact", "license", "x-status"):
        info.pop(name, None)
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    scheme["x-imssf-registrationUrl"] = public_url(where, BASE_PATH + "/register")
    flow = scheme["flows"]["authorizationCode"]
    flow.update(authorizationUrl=public_url(where, BASE_PATH + "/authorize"),
                tokenUrl=public_url(where, BASE_PATH + "/token"),
                refreshUrl=public_url(where, BASE_PATH + "/token"))
    return document


# --- getCredentials ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialsPage:
    body: dict
    total: int
    limit: int
    offset: int


def get_credentials(db: Session, grant: OAuthGrant, limit: str | None, offset: str | None,
                    since: str | None) -> CredentialsPage:
    """One page of the learner's credentials (query parameters as the client sent them)."""
    limit_, offset_ = _integer(limit, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT), _integer(
        offset, "offset", 0, MAX_OFFSET, 0)
    after = _since(since)
    learner = grant.learner
    ours = select(Credential.issued_at.label("at"), Credential.id.label("pk"),
                  literal("ours").label("origin")).where(
        Credential.learner_id.in_(same_person(learner)), Credential.supersedes_id.is_(None))
    theirs = select(ReceivedCredential.issued_at.label("at"), ReceivedCredential.id.label("pk"),
                    literal("theirs").label("origin")).where(
        ReceivedCredential.learner_id == learner.id)
    if after is not None:
        ours = ours.where(Credential.issued_at > after)
        theirs = theirs.where(ReceivedCredential.issued_at > after)
    both = union_all(ours, theirs).subquery()
    total = db.scalar(select(func.count()).select_from(both))
    rows = db.execute(select(both.c.origin, both.c.pk).order_by(both.c.at, both.c.origin,
                                                               both.c.pk)
                      .limit(limit_).offset(offset_)).all()
    body: dict = {"credential": []}
    for origin, pk in rows:
        row = db.get(Credential if origin == "ours" else ReceivedCredential, pk)
        if getattr(row, "compact_jws", False):  # a VC-JWT goes in its own list (OB 3.0 §API)
            body.setdefault("compactJwsString", []).append(row.signed_json)
        else:
            body["credential"].append(json.loads(row.signed_json))
    check(body, "getopenbadgecredentialsresponse")
    return CredentialsPage(body, total, limit_, offset_)


def _integer(value: str | None, name: str, low: int, high: int, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or len(value) > 9 or not low <= int(value) <= high:
        raise ApiRefused(f"{name} must be a whole number from {low} to {high}", 400,
                         "invalid_query_parameter")
    return int(value)


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiRefused("since must be a date-time with a timezone, e.g. 2026-01-31T00:00:00Z",
                         400, "invalid_query_parameter")
    return moment


def check(document: object, name: str) -> None:
    """Our own answer must conform to the 1EdTech schema: a mismatch is our bug (500)."""
    problems = schema.errors(document, name)
    if problems:
        raise ApiRefused(f"the answer does not conform to {name}: {problems[0]}", 500,
                         "internal_server_error")


# --- upsertCredential -------------------------------------------------------------------------


def upsert_credential(db: Session, grant: OAuthGrant, body: bytes,
                      now: datetime | None = None, compact: bool = False
                      ) -> tuple[dict | str, bool]:
    """Keep a credential a host sent to the learner: (what is kept, True when created).

    `compact`: the body is a VC-JWT (compact JWS, `text/plain`), kept and answered as such.
    """
    if compact:
        source: dict | str = _compact_jws(body)
        report = verify_any(source, now=now, db=db)
        document = report.credential if isinstance(report.credential, dict) else None
        if document is None:
            raise ApiRefused("the body is not a VC-JWT of a credential", 400, "invalid_data")
        _conforms(document, "achievementcredential")
    else:
        document = source = _document(body, MAX_CREDENTIAL_BYTES, "achievementcredential")
    document_id = document.get("id")
    if not isinstance(document_id, str) or len(document_id) > 500:
        raise ApiRefused("the credential needs an id (a URI of at most 500 characters)", 400,
                         "invalid_data")
    learner = grant.learner
    ours = _our_credential(db, learner, document_id)
    if ours is not None:  # one of the learner's own badges from here: already held
        return source, False
    if not learner.email and not learner.wallet_did:
        raise ApiRefused("we cannot tell whether a credential is this learner's: they have no "
                         "e-mail address nor wallet with us", 403, "forbidden")
    report = verify_any(source, now=now, db=db, email=learner.email,
                        subject_id=learner.wallet_did)
    if report.recipient_verified is False:
        raise ApiRefused("the credential's subject is not this learner", 403, "forbidden")
    if not report.valid or not report.recipient_verified:
        raise ApiRefused(f"the credential does not verify: {report.verdict}", 422,
                         "invalid_data")
    existing = db.scalar(select(ReceivedCredential).where(
        ReceivedCredential.learner_id == learner.id,
        ReceivedCredential.document_id == document_id))
    text = source if compact else json.dumps(document, ensure_ascii=False)
    issued = _issued_at(document, now)
    if existing is not None:
        existing.signed_json, existing.issued_at = text, issued
        existing.compact_jws = compact
        existing.grant_id, existing.received_at = grant.id, utc_seconds(now)
    else:
        held = db.scalar(select(func.count()).select_from(ReceivedCredential).where(
            ReceivedCredential.learner_id == learner.id))
        if held >= MAX_RECEIVED:
            raise ApiRefused(f"a learner keeps at most {MAX_RECEIVED} credentials from hosts",
                             422, "invalid_data")
        db.add(ReceivedCredential(learner_id=learner.id, grant_id=grant.id,
                                  document_id=document_id, signed_json=text, issued_at=issued,
                                  compact_jws=compact, received_at=utc_seconds(now)))
    db.flush()
    audit(db, "oauth.upsert", None, learner.organisation_id, grant.client.client_id,
          learner=learner.id, created=existing is None)
    return source, existing is None


_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$")


def _compact_jws(body: bytes) -> str:
    if len(body) > MAX_CREDENTIAL_BYTES:
        raise ApiRefused(f"a credential is at most {MAX_CREDENTIAL_BYTES // 1024} kB", 413,
                         "invalid_data")
    text = body.decode("ascii", errors="replace").strip()
    if not _COMPACT_JWS.match(text):
        raise ApiRefused("a text/plain body must be a compact JWS (a VC-JWT)", 400,
                         "invalid_data")
    return text


def _our_credential(db: Session, learner: Learner, document_id: str) -> Credential | None:
    prefix = public_url(db, "/credentials/")
    if not document_id.startswith(prefix):
        return None
    return db.scalar(select(Credential).where(
        Credential.uuid == document_id[len(prefix):][:36],
        Credential.learner_id.in_(same_person(learner))))


def _document(body: bytes, limit: int, name: str) -> dict:
    """The JSON document a host sent, within `limit` bytes and conforming to schema `name`."""
    if len(body) > limit:
        raise ApiRefused(f"a {name} document is at most {limit // 1024} kB", 413, "invalid_data")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiRefused(f"the body must be a {name} document in JSON", 400,
                         "invalid_data") from None
    _conforms(document, name)
    return document


def _conforms(document: object, name: str) -> None:
    try:
        problems = schema.errors(document, name)
    except SchemaError as error:
        raise ApiRefused(str(error), 400, "invalid_data") from None
    if problems:
        raise ApiRefused(f"does not conform to the {name} schema: {problems[0]}", 400,
                         "invalid_data")


def _issued_at(document: dict, now: datetime | None) -> datetime:
    for name in ("validFrom", "issuanceDate"):
        value = document.get(name)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is not None:
                return utc_seconds(moment)
    return utc_seconds(now)


# --- getProfile / putProfile ------------------------------------------------------------------


def profile_id(db: Session, grant: OAuthGrant) -> str:
    """The learner's id for this host: stable, unlinkable between hosts, not guessable."""
    secret = settings_of(db).secret_key.encode()
    seed = hashlib.sha256(secret + f":ob-profile:{grant.client_pk}:{grant.learner_id}".encode())
    return f"urn:uuid:{UUID(bytes=seed.digest()[:16], version=4)}"


def get_profile(db: Session, grant: OAuthGrant) -> dict:
    """The learner's Profile as this host may see it."""
    learner = grant.learner
    profile: dict = {"id": profile_id(db, grant), "type": ["Profile"]}
    if _may_show_name(learner):
        profile["name"] = learner.name
    check(profile, "profile")
    return profile


def _may_show_name(learner: Learner) -> bool:
    return consent.given(learner, "name")


def put_profile(db: Session, grant: OAuthGrant, body: bytes) -> dict:
    """Take the learner's new name from a whole Profile; the answer is the profile as kept."""
    document = _document(body, MAX_PROFILE_BYTES, "profile")
    if document.get("id") != profile_id(db, grant):
        raise ApiRefused("the profile's id is not this learner's (GET it first)", 400,
                         "invalid_data")
    name = document.get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise ApiRefused(f"name must be a text of at most {MAX_NAME} characters", 400,
                             "invalid_data")
        learner = grant.learner
        if name.strip() != learner.name:
            learner.name = name.strip()
            audit(db, "oauth.profile", None, learner.organisation_id, grant.client.client_id,
                  learner=learner.id)
        db.flush()
    return get_profile(db, grant)

