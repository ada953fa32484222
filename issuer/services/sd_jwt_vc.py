"""Badges as IETF SD-JWT VC (`dc+sd-jwt`), the format EU digital identity wallets read.

- Issuing (`issue`, from the OID4VCI credential endpoint): the holder's wallet copy of a badge
  as an SD-JWT VC bound to the key of the wallet's proof (`cnf.jwk`). The achievement, the
  issuer profile and the validity are always disclosed; the learner's identity
  (`credentialSubject` `id`, `name`, `identifier`) is selectively disclosable.
- `iss` is the organisation's https profile URL; its keys are published as JWT VC Issuer
  Metadata at `/.well-known/jwt-vc-issuer/issuers/<slug>` (`jwt_vc_issuer_metadata`), the
  header `kid` naming one of them (it is also the did:web JsonWebKey method id).
- `vct` is `<PUBLIC_BASE_URL>/types/open-badge`, which serves the type metadata document.
- Status: an IETF Token Status List reference, `status.status_list {idx, uri}`, whose token
  (`/status/<uuid>/token`) is drawn from the same bits as the badge's Bitstring Status List.
- Verifying (`verify_presentation`): see `SdJwtReport`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core import limits, sd_jwt, token_status_list
from issuer.core.clock import utc_seconds
from issuer.core.errors import BadgeError, ResolutionError, StatusListError
from issuer.core.keys import PublicKey
from issuer.core.multibase import unb64url
from issuer.core.resolver import KeyResolver
from issuer.fetch import SafeFetcher
from issuer.store.models import Credential, Organisation, SigningKey, StatusList

from .base import settings_of
from .keys import active_key, jwt_kid
from .status_lists import REVOCATION, list_url
from .urls import public_url, site_bases
from .verification import local_fetch_json

TYPE_PATH = "/types/open-badge"
ISSUER_METADATA = "/.well-known/jwt-vc-issuer"
STATUS_TOKEN_TTL = 60  # seconds: as long as a Bitstring list may be cached
STATUS_TOKEN_LIFETIME = timedelta(days=1)
IDENTITY = ("id", "name", "identifier", "email")  # the learner's, selectively disclosable
DISCLOSABLE = tuple(("credentialSubject", member) for member in IDENTITY)
_ISSUER_PATH = re.compile(r"^/issuers/([a-z0-9-]+)$")
_STATUS_TOKEN_PATH = re.compile(r"^/status/([0-9a-f-]{36})/token$")


def vct(db: Session, base: str | None = None) -> str:
    """The `vct` of our badges: a URL that serves their type metadata (on `base`, a former
    address of the site, for the SD-JWT VCs issued there)."""
    return public_url(db, TYPE_PATH, base)


def status_token_uri(status_list: StatusList, base: str | None = None) -> str:
    return list_url(status_list, base) + "/token"


# --- type metadata ---------------------------------------------------------------------------

_TYPE_TEXT = {
    "en": ("Open Badge", "A skill or achievement, stated and signed by the organisation that "
           "assessed it (Open Badges 3.0 achievement)."),
    "fr": ("Open Badge", "Une compétence ou une réussite, attestée et signée par l'organisme "
           "qui l'a évaluée (réussite Open Badges 3.0)."),
    "nl": ("Open Badge", "Een vaardigheid of prestatie, verklaard en ondertekend door de "
           "organisatie die ze beoordeelde (Open Badges 3.0-prestatie)."),
    "es": ("Insignia Open Badge", "Una competencia o un logro, declarado y firmado por la "
           "organización que lo evaluó (logro Open Badges 3.0)."),
    "it": ("Open Badge", "Una competenza o un risultato, dichiarato e firmato "
           "dall'organizzazione che lo ha valutato (risultato Open Badges 3.0)."),
    "pl": ("Odznaka Open Badge", "Umiejętność lub osiągnięcie, poświadczone i podpisane przez "
           "organizację, która je oceniła (osiągnięcie Open Badges 3.0)."),
}
_CLAIM_LABELS = {
    ("name",): ("Badge", "Badge", "Badge", "Insignia", "Badge", "Odznaka"),
    ("achievement",): ("Achievement", "Réussite", "Prestatie", "Logro", "Risultato",
                       "Osiągnięcie"),
    ("achievement", "name"): ("Achievement name", "Nom de la réussite", "Naam van de prestatie",
                              "Nombre del logro", "Nome del risultato", "Nazwa osiągnięcia"),
    ("issuer", "name"): ("Issued by", "Délivré par", "Uitgereikt door", "Emitido por",
                         "Rilasciato da", "Wydane przez"),
    ("validFrom",): ("Valid from", "Valable à partir du", "Geldig vanaf", "Válido desde",
                     "Valido dal", "Ważne od"),
    ("validUntil",): ("Valid until", "Valable jusqu'au", "Geldig tot", "Válido hasta",
                      "Valido fino al", "Ważne do"),
    ("credentialSubject", "name"): ("Learner", "Apprenant", "Cursist", "Participante",
                                    "Partecipante", "Uczestnik"),
    ("credentialSubject", "identifier"): ("Learner's e-mail (hashed)",
                                          "E-mail de l'apprenant (haché)",
                                          "E-mail van de cursist (gehasht)",
                                          "Correo del participante (con hash)",
                                          "E-mail del partecipante (hash)",
                                          "E-mail uczestnika (skrót)"),
}
_LANGUAGES = ("en", "fr", "nl", "es", "it", "pl")


def type_metadata(db: Session, base: str | None = None) -> dict:
    """The SD-JWT VC Type Metadata document of our badges (draft-ietf-oauth-sd-jwt-vc §6)."""
    claims = []
    for path, labels in _CLAIM_LABELS.items():
        claim: dict = {"path": list(path),
                       "display": [{"locale": language, "label": label}
                                   for language, label in zip(_LANGUAGES, labels, strict=True)]}
        if path[0] == "credentialSubject":
            claim["sd"] = "always"
        elif path in (("achievement",), ("name",), ("validFrom",)):
            claim.update(sd="never", mandatory=True)
        else:
            claim["sd"] = "never"
        claims.append(claim)
    english = _TYPE_TEXT["en"]
    return {
        "vct": vct(db, base), "name": english[0], "description": english[1],
        "display": [{"locale": language, "name": name, "description": description}
                    for language, (name, description) in _TYPE_TEXT.items()],
        "claims": claims,
    }


# --- issuer key discovery --------------------------------------------------------------------


def organisation_keys(db: Session, org: Organisation) -> list[SigningKey]:
    return list(db.scalars(select(SigningKey).where(SigningKey.organisation_id == org.id,
                                                    SigningKey.withdrawn_at.is_(None))
                           .order_by(SigningKey.version)))


def issuer_url(org: Organisation, base: str | None = None) -> str:
    """The SD-JWT VC `iss` of the organisation: its https profile URL (on `base`, a former
    address of the site, for the SD-JWT VCs issued there)."""
    return public_url(org, f"/issuers/{org.slug}", base)


def jwt_vc_issuer_metadata(db: Session, org: Organisation, base: str | None = None) -> dict:
    """JWT VC Issuer Metadata: `issuer` (= the SD-JWT VC `iss`) and its keys as a JWK set;
    on `base`, a former address, as the SD-JWT VCs issued there name them."""
    active_key(db, org)  # a first key exists before anyone asks for it
    keys = []
    for record in organisation_keys(db, org):
        jwk = PublicKey.from_multibase(record.public_multibase).to_jwk()
        keys.append({**jwk, "kid": jwt_kid(org, record, base), "use": "sig"})
    return {"issuer": issuer_url(org, base), "jwks": {"keys": keys}}


def metadata_url(issuer: str) -> str:
    """Where the JWT VC Issuer Metadata of `iss` lives: the well-known segment between the
    host and the path."""
    parts = urlsplit(issuer)
    return f"{parts.scheme}://{parts.netloc}{ISSUER_METADATA}{parts.path.rstrip('/')}"


# --- issuing ---------------------------------------------------------------------------------


def sd_jwt_claims(db: Session, copy: Credential, holder: PublicKey, now: datetime) -> dict:
    """The SD-JWT VC claims of a wallet copy, before any claim is hidden."""
    document = json.loads(copy.signed_json)
    subject = dict(document.get("credentialSubject") or {})
    claims: dict = {
        "iss": issuer_url(copy.organisation), "iat": int(now.timestamp()),
        "vct": vct(db), "cnf": {"jwk": holder.to_jwk()},
        "nbf": int(copy.valid_from.replace(tzinfo=UTC).timestamp()),
        "status": {"status_list": {"idx": copy.status_index,
                                   "uri": status_token_uri(copy.status_list)}},
    }
    if copy.valid_until is not None:
        claims["exp"] = int(copy.valid_until.replace(tzinfo=UTC).timestamp())
    for member in ("name", "description", "issuer", "validFrom", "validUntil"):
        if member in document:
            claims[member] = document[member]
    claims["achievement"] = subject.pop("achievement", None)
    subject.pop("type", None)
    claims["credentialSubject"] = subject
    return claims


def issue(db: Session, copy: Credential, holder: PublicKey, now: datetime | None = None) -> str:
    """The wallet copy `copy` as an SD-JWT VC bound to `holder`, signed by the active key."""
    now = utc_seconds(now)
    record, key = active_key(db, copy.organisation)
    claims = sd_jwt_claims(db, copy, holder, now)
    return sd_jwt.issue(claims, DISCLOSABLE, key, {"kid": jwt_kid(copy.organisation, record)})


def status_list_token(db: Session, status_list: StatusList, now: datetime | None = None,
                      base: str | None = None) -> str:
    """The signed Token Status List of a revocation list (same bits as the Bitstring list); on
    `base`, a former address, under the uri and key id the SD-JWT VCs issued there name."""
    if status_list.purpose != REVOCATION:
        raise StatusListError("only revocation lists are published as status list tokens")
    now = utc_seconds(now)
    org = db.get(Organisation, status_list.organisation_id)
    record, key = active_key(db, org)
    payload = token_status_list.token_payload(status_token_uri(status_list, base),
                                              status_list.bits, now,
                                              now + STATUS_TOKEN_LIFETIME, STATUS_TOKEN_TTL)
    return token_status_list.sign_token(payload, key, jwt_kid(org, record, base))


# --- verifying -------------------------------------------------------------------------------


@dataclass
class SdJwtReport:
    """What a verifier may say about an SD-JWT VC presentation.

    `verified` is True only when the signature, the disclosures, the key binding (present and
    checked against the nonce and audience the verifier asked for) and the status are all
    proven. Anything that could not be proven is in `unproven`; a failed check in `error`.
    """

    error: str | None = None
    issuer: str | None = None
    issuer_name: str | None = None
    vct: str | None = None
    claims: dict = field(default_factory=dict)
    disclosed: list[tuple[str, object]] = field(default_factory=list)
    key_bound: bool = False
    holder_bound_required: bool = False
    status: str | None = None  # "valid", "revoked", "suspended" or None (not checked)
    expired: bool = False
    not_yet_valid: bool = False
    unproven: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    own_issuer: bool = False

    @property
    def verified(self) -> bool:
        return (self.error is None and self.key_bound and self.status == "valid"
                and not self.expired and not self.not_yet_valid and not self.unproven)

    @property
    def verdict(self) -> str:
        """One word for the page, as the /verify verdict banner names them."""
        if self.error is not None:
            return "invalid"
        for verdict, applies in (("revoked", self.status == "revoked"),
                                 ("suspended", self.status == "suspended"),
                                 ("expired", self.expired),
                                 ("not-yet-valid", self.not_yet_valid),
                                 ("unproven", bool(self.unproven)),
                                 ("unknown-issuer", not self.own_issuer)):
            if applies:
                return verdict
        return "valid"

    def disclosed_text(self) -> list[tuple[str, str]]:
        """The disclosed claims for people: (path, value as readable text)."""
        return [(path, value if isinstance(value, str)
                 else json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))
                for path, value in self.disclosed]

    def as_json(self) -> dict:
        return {"format": "dc+sd-jwt", "verified": self.verified, "verdict": self.verdict,
                "own_issuer": self.own_issuer, "error": self.error,
                "issuer": self.issuer, "vct": self.vct, "key_bound": self.key_bound,
                "status": self.status, "expired": self.expired,
                "not_yet_valid": self.not_yet_valid, "unproven": self.unproven,
                "warnings": self.warnings,
                "disclosed": [{"path": path, "value": value} for path, value in self.disclosed],
                "claims": self.claims}


def looks_like_sd_jwt(text: object) -> bool:
    """A compact SD-JWT: a JWS followed by `~` (cheap routing test, nothing verified)."""
    return (isinstance(text, str) and "~" in text
            and re.match(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+~", text.strip())
            is not None)


FetchText = Callable[[str], str]


def verify_presentation(db: Session | None, presentation: str, nonce: str | None = None,
                        audience: str | None = None, now: datetime | None = None,
                        fetch_json: Callable[[str], dict] | None = None,
                        fetch_text: FetchText | None = None,
                        allow_http_loopback: bool | None = None) -> SdJwtReport:
    """Verify an SD-JWT VC presentation: the issuer's signature (our issuers through their
    JWT VC Issuer Metadata; others by https metadata, did:web, did:key or did:jwk), the
    disclosures, the Key Binding JWT and the IETF Token Status List status.

    Third-party documents are fetched with the SSRF-safe fetcher (or `fetch_json` /
    `fetch_text`, for tests and offline use); this service's own are read from `db`.
    """
    now = now or datetime.now(UTC)
    loopback = (db is not None and settings_of(db).allow_http_loopback
                if allow_http_loopback is None else allow_http_loopback)
    fetcher = SafeFetcher(allow_http_loopback=loopback)
    fetch_json = _local_json(db, fetch_json or fetcher.fetch_json)
    fetch_text = _local_text(db, fetch_text or (
        lambda url: fetcher.fetch_bytes(url).decode("ascii", "replace")))
    resolver = KeyResolver(fetch_json, allow_http_loopback=loopback)
    report = SdJwtReport()
    keys = _IssuerKeys(fetch_json, resolver)
    try:
        result = sd_jwt.verify(presentation, keys, now, nonce=nonce or None,
                               audience=audience or None)
    except BadgeError as error:
        report.error = str(error)
        return report
    claims = result.claims
    report.issuer = claims.get("iss")
    issuer = claims.get("issuer")
    report.issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    report.vct = claims.get("vct")
    report.claims = claims
    report.disclosed = [(".".join(map(str, item.path)), item.value) for item in result.disclosed]
    report.expired, report.not_yet_valid = result.expired, result.not_yet_valid
    report.warnings = list(result.warnings)
    report.own_issuer = db is not None and keys.own
    if not report.own_issuer:
        report.warnings.append("this service does not know this issuer: its name is only its "
                               "own claim")
    report.key_bound = result.key_bound
    if not result.key_bound:
        report.unproven.append(
            "no key binding: the presentation has no Key Binding JWT, so nothing shows that "
            "the person presenting it holds the wallet key it was issued to")
    else:
        if not result.nonce_checked:
            report.unproven.append("the Key Binding JWT's nonce was not compared with one this "
                                   "verifier asked for: a replayed presentation cannot be "
                                   "told apart")
        if not result.audience_checked:
            report.unproven.append("the Key Binding JWT's audience was not compared with this "
                                   "verifier's")
    if db is not None and report.vct not in {vct(db, base) for base in site_bases(db)}:
        report.warnings.append(f"vct {report.vct!r} is not this service's Open Badge type")
    _check_status(report, claims, keys, fetch_text, now)
    return report


class _IssuerKeys:
    """`issuer_key(header, payload)` for sd_jwt.verify: https issuers by their JWT VC Issuer
    Metadata, DID issuers by the DID URL in `kid`; x5c chains are not trusted (no trust list)."""

    def __init__(self, fetch_json, resolver: KeyResolver):
        self.fetch_json = fetch_json
        self.resolver = resolver
        self.own = False
        self._keys: dict[tuple[str, str], PublicKey] = {}

    def __call__(self, header: dict, payload: dict) -> PublicKey:
        issuer, kid = payload.get("iss"), header.get("kid")
        if "x5c" in header and not kid:
            raise ResolutionError("x5c certificate chains are not checked here: this verifier "
                                  "has no EU trusted list to anchor them")
        if not isinstance(issuer, str) or not issuer:
            raise ResolutionError("the SD-JWT has no iss")
        if (issuer, kid) in self._keys:
            return self._keys[(issuer, kid)]
        key = self._resolve(issuer, kid)
        self._keys[(issuer, kid)] = key
        return key

    def _resolve(self, issuer: str, kid: object) -> PublicKey:
        if issuer.startswith("did:"):
            if not isinstance(kid, str) or kid.split("#")[0] != issuer:
                raise ResolutionError("a DID issuer's kid must be a DID URL of that DID")
            if issuer.startswith("did:jwk:"):
                return _did_jwk_key(issuer)
            return self.resolver.resolve_jwk(kid)
        parts = urlsplit(issuer)
        loopback = (self.resolver.allow_http_loopback and parts.scheme == "http"
                    and parts.hostname in ("localhost", "127.0.0.1", "::1"))
        if not (parts.scheme == "https" and parts.hostname) and not loopback:
            raise ResolutionError("iss must be an https URL or a DID")
        metadata = self.fetch_json(metadata_url(issuer))
        if not isinstance(metadata, dict):
            raise ResolutionError("the JWT VC Issuer Metadata is not a JSON object")
        self.own = self.own or getattr(metadata, "own", False)
        if metadata.get("issuer") != issuer:
            raise ResolutionError("the JWT VC Issuer Metadata names another issuer")
        jwks = metadata.get("jwks")
        if jwks is None and isinstance(metadata.get("jwks_uri"), str):
            if not metadata["jwks_uri"].startswith("https://"):
                raise ResolutionError("the issuer's jwks_uri must be an https URL")
            jwks = self.fetch_json(metadata["jwks_uri"])
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list):
            raise ResolutionError("the JWT VC Issuer Metadata has no jwks")
        matching = [k for k in keys if isinstance(k, dict) and (kid is None or k.get("kid") == kid)]
        if len(matching) != 1:
            raise ResolutionError("the issuer publishes no single key with this kid")
        return PublicKey.from_jwk({k: v for k, v in matching[0].items()
                                   if k not in ("kid", "use", "alg", "key_ops")})


def _did_jwk_key(did: str) -> PublicKey:
    try:
        jwk = limits.parse_json(unb64url(did.removeprefix("did:jwk:").split("#")[0]))
        if not isinstance(jwk, dict) or sd_jwt.PRIVATE_JWK_MEMBERS & set(jwk):
            raise ResolutionError("a did:jwk must hold a public JWK")
        return PublicKey.from_jwk(jwk)
    except (ValueError, TypeError):
        raise ResolutionError(f"{did!r} does not hold a base64url JSON JWK") from None


class _Own(dict):
    """A document this service published itself (read from the database)."""

    own = True


def _site_path(db: Session | None, url: str) -> tuple[str, str] | None:
    """(path of `url` on this site without the site's own path, the site address it is on:
    the current one or a former one); None for another site."""
    if db is None:
        return None
    parts = urlsplit(url)
    for base in site_bases(db):
        site = urlsplit(base)
        if parts.netloc != site.netloc:
            continue
        path, prefix = parts.path, site.path.rstrip("/")
        if path.startswith(ISSUER_METADATA + "/"):
            path = path[len(ISSUER_METADATA):]
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix):]
        return path, base
    return None


def _local_json(db: Session | None, fallback):
    def fetch(url: str) -> dict:
        found = _site_path(db, url)
        if found is not None and urlsplit(url).path.startswith(ISSUER_METADATA):
            path, base = found
            match = _ISSUER_PATH.match(path)
            org = db.scalar(select(Organisation).where(Organisation.slug == match.group(1))) \
                if match else None
            if org is None:
                raise ResolutionError(f"{url} is not a document this service publishes")
            return _Own(jwt_vc_issuer_metadata(db, org, base))
        if db is not None:
            return local_fetch_json(db, fallback)(url)
        return fallback(url)

    return fetch


def _local_text(db: Session | None, fallback: FetchText) -> FetchText:
    def fetch(url: str) -> str:
        found = _site_path(db, url)
        if found is None:
            return fallback(url)
        path, base = found
        match = _STATUS_TOKEN_PATH.match(path)
        status_list = db.scalar(select(StatusList).where(StatusList.uuid == match.group(1))) \
            if match else None
        if status_list is None:
            raise ResolutionError(f"{url} is not a status list this service publishes")
        return status_list_token(db, status_list, base=base)

    return fetch


def _check_status(report: SdJwtReport, claims: dict, keys: _IssuerKeys, fetch_text: FetchText,
                  now: datetime) -> None:
    status = claims.get("status")
    reference = status.get("status_list") if isinstance(status, dict) else None
    if status is not None and not isinstance(reference, dict):
        report.unproven.append("the credential's status is not an IETF Token Status List "
                               "reference, which this verifier cannot read")
        return
    if reference is None:
        report.unproven.append("the credential names no status list: whether its issuer has "
                               "revoked it cannot be checked")
        return
    uri, index = reference.get("uri"), reference.get("idx")
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
        report.error = "the status list reference has no usable uri"
        return
    issuer = claims.get("iss")

    def key_for(header: dict, payload: dict) -> PublicKey:
        # The list must be signed by the credential's issuer (one of its published keys).
        return keys({**header}, {"iss": issuer})

    try:
        value = token_status_list.read_status(fetch_text(uri), uri, index, key_for, now)
    except BadgeError as error:
        report.unproven.append(f"the status could not be checked: {error}")
        return
    report.status = {0: "valid", 1: "revoked", 2: "suspended"}.get(value, "invalid")
