"""Open Badges 2.0 verification: hosted and signed assertions (OB 2.0 §Verification).

Many badges still in people's hands are OB 2.0 assertions: JSON published at the assertion's own
`id` ("hosted"), or a JWS whose payload is the assertion ("signed"), often baked into a PNG
(`openbadges` iTXt/tEXt chunk) or an SVG (`openbadges:assertion`). What proves such a badge:

- hosted: the assertion as fetched from its `id` (the copy handed to us is not trusted), whose
  `id` is that very URL, on an origin the issuer allows (by default the host of the issuer's
  `id`; else the issuer's `verification.allowedOrigins` / `startsWith`). `revoked: true`, or the
  host answering 410 Gone, revokes it.
- signed: a JWS (RS256 or ES256) verifying under the key at `verification.creator`, a
  `CryptographicKey` whose `owner` is the issuer and which the issuer's profile lists in
  `publicKey`. The issuer's `revocationList` says whether it was revoked.

In both, the BadgeClass and the issuer Profile are fetched from their ids (an https URL each)
and must say they are what they were fetched as; `expires` past is expired; with an e-mail,
the (hashed) `recipient` is checked. Fetching is injected (`fetch_json(url) -> dict`, raising
`ResolutionError`, `GoneError` for 410), so this module does no I/O; the caller bounds the
number, size and time of fetches. The report says "Open Badges 2.0" in `standard`, and never
"valid" for what was not proven.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import limits
from .errors import BadgeError, GoneError, KeyFormatError
from .keys import P256, RSA, PublicKey
from .messages import N_
from .multibase import unb64url
from .verify_helpers import _describe
from .verify_report import PASSED, SKIPPED, WARNING, Checklist, VerificationReport

FetchJson = Callable[[str], dict]

STANDARD = "Open Badges 2.0"
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
OB2_CONTEXTS = (OB2_CONTEXT, OB2_CONTEXT + "/", "https://openbadgespec.org/v2/context.json")
HOSTED = ("hosted", "HostedBadge")
SIGNED = ("signed", "SignedBadge")
JWS_KEYS = {"RS256": RSA, "ES256": P256}  # the algorithm must fit the key, never the reverse
MAX_LISTED_KEYS = 16  # entries of an issuer's publicKey that are read


@dataclass(frozen=True)
class BakedAssertion:
    """What an OB 2.0 baked image holds: a URL, an assertion JSON or a JWS (baking.extract_ob2)."""

    payload: dict | str


def is_ob2(source: Any) -> bool:
    """Whether `source` is an OB 2.0 assertion (JSON, signed JWS or baked) rather than a VC."""
    if isinstance(source, BakedAssertion):
        return True
    if isinstance(source, str):
        text = source.strip()
        if text.count(".") == 2 and not text.startswith("{"):
            payload = _jws_payload(text)
            return payload is not None and _ob2_document(payload)
        return False
    return isinstance(source, dict) and _ob2_document(source)


def is_assertion_url(text: Any) -> bool:
    """An http(s) URL handed to a verifier: an assertion's (or credential's) address."""
    return isinstance(text, str) and text.strip().startswith(("https://", "http://")) and \
        len(text.strip()) <= 2048 and not any(c.isspace() for c in text.strip())


def verify_assertion(source: dict | str | BakedAssertion, *, fetch_json: FetchJson,
                     now: datetime | None = None, email: str | None = None,
                     trusted_issuers: Iterable[str] | None = None) -> VerificationReport:
    """Verify an OB 2.0 assertion: a hosted URL, its JSON, a signed JWS or a baked payload.

    Never raises for bad input; the report's `standard` is "Open Badges 2.0".
    """
    run = _Run(fetch_json, now or datetime.now(UTC), email,
               None if trusted_issuers is None else frozenset(trusted_issuers))
    try:
        run.execute(source.payload if isinstance(source, BakedAssertion) else source)
    except Exception as error:  # noqa: BLE001 - a public verifier reports, it does not crash
        run.fail("internal", _describe(error))
    run.finish()
    return run.report


class _Run(Checklist):
    """One OB 2.0 verification, recording a Check per step as the OB 3.0 checklist does."""

    def __init__(self, fetch_json: FetchJson, now: datetime, email: str | None,
                 trusted: frozenset[str] | None):
        self.fetch_json = fetch_json
        self.now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.email = email
        self.trusted = trusted
        self.report = VerificationReport(standard=STANDARD)
        self.assertion: dict = {}
        self.issuer: dict = {}

    def fetch(self, url: Any, what: str) -> dict | None:
        """The document at `url`, which must name itself `url`; a failed check otherwise."""
        if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
            self.fail("issuer-binding", N_("the %(what)s is not named by an https URL: %(url)s",
                                           what=what, url=repr(url)))
            return None
        try:
            document = self.fetch_json(url)
        except BadgeError as error:
            self.fail("issuer-binding", _describe(error))
            return None
        if not isinstance(document, dict) or document.get("id") != url:
            self.fail("issuer-binding", N_(
                "the %(what)s fetched from %(url)s names itself %(id)s, not that URL",
                what=what, url=url, id=repr(document.get("id") if isinstance(document, dict)
                                            else None)))
            return None
        return document

    # --- the steps -------------------------------------------------------------------------

    def execute(self, source: Any) -> None:
        if isinstance(source, str) and is_assertion_url(source):
            self.add("parse", PASSED, N_("the address of a hosted assertion"))
            self.hosted(source.strip(), given=None)
        elif isinstance(source, str):
            self.signed(source.strip())
        elif isinstance(source, dict):
            self.add("parse", PASSED, N_("an Open Badges 2.0 assertion (JSON)"))
            kind = _verification_type(source)
            if kind in SIGNED:
                self.fail("proof", N_("a signed assertion is verified from its JWS (the signed "
                                      "text), not from its JSON"))
            elif kind in HOSTED:
                self.hosted(source.get("id"), given=source)
            else:
                self.fail("type", N_("verification.type must be hosted or signed, not %(type)s",
                                     type=repr(kind)))
        else:
            self.fail("parse", N_("not an Open Badges 2.0 assertion"))

    def hosted(self, url: Any, given: dict | None) -> None:
        self.report.proof_format = "ob2-hosted"
        if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
            self.fail("proof", N_("a hosted assertion's id must be its https URL, not %(id)s",
                                  id=repr(url)))
            return
        try:
            document = self.fetch_json(url)
        except GoneError:
            self.report.revoked = True
            self.fail("status", N_("revoked: the host answers 410 Gone at %(url)s", url=url))
            return
        except BadgeError as error:
            self.fail("proof", _describe(error))
            return
        if not isinstance(document, dict) or document.get("id") != url:
            found = document.get("id") if isinstance(document, dict) else None
            self.fail("proof", N_("the assertion published at %(url)s names itself %(id)s: it "
                                  "is not the assertion it claims to be", url=url, id=repr(found)))
            return
        if given is not None and _canonical(given) != _canonical(document):
            self.report.warnings.append(N_("the copy you gave differs from the one its issuer "
                                           "publishes; the published one was checked"))
        if _verification_type(document) not in HOSTED:
            self.fail("proof", N_("the assertion at %(url)s is not a hosted assertion", url=url))
            return
        self.add("proof", PASSED, N_("hosted assertion fetched from its id %(url)s", url=url))
        self.assertion = document
        self.common()
        if self.structural_failure():
            return
        self.check_origin(url)
        if document.get("revoked") is True:
            self.report.revoked = True
            reason = document.get("revocationReason")
            self.fail("status", N_("revoked: %(reason)s", reason=reason)
                      if isinstance(reason, str) and reason else N_("revoked by its issuer"))
        elif not self.structural_failure():
            self.add("status", PASSED, N_("the hosted assertion is not marked revoked"))

    def signed(self, token: str) -> None:
        self.report.proof_format = "ob2-signed"
        parts = token.split(".")
        header = _json_segment(parts[0]) if len(parts) == 3 else None
        payload = _jws_payload(token)
        if header is None or payload is None:
            self.fail("parse", N_("input is neither a JSON object, a compact JWS nor a baked "
                                  "image"))
            return
        self.add("parse", PASSED, N_("a signed Open Badges 2.0 assertion (JWS)"))
        self.assertion = payload
        if _verification_type(payload) not in SIGNED:
            self.fail("type", N_("the JWS holds an assertion whose verification.type is not "
                                 "signed"))
            return
        self.common()
        if self.structural_failure():
            return
        key = self.signing_key(payload)
        if key is None:
            return
        alg = header.get("alg")
        if JWS_KEYS.get(alg) != key.kind:
            self.fail("proof", N_("the JWS algorithm %(alg)s does not fit the issuer's %(kind)s "
                                  "key (RS256 for RSA, ES256 for P-256)", alg=repr(alg),
                                  kind=key.kind))
            return
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        try:
            signature = unb64url(parts[2])
        except (ValueError, BadgeError):
            signature = b""
        if not key.verify(signature, signing_input):
            self.fail("proof", N_("the signature does not match: the assertion was altered or "
                                  "signed with another key"))
            return
        self.add("proof", PASSED, N_("JWS signature verified (%(alg)s)", alg=alg))
        self.check_revocation_list()

    def common(self) -> None:
        """Type, badge class, issuer profile and dates: the same for hosted and signed."""
        assertion = self.assertion
        self.report.credential = assertion
        if not _ob2_document(assertion) or "Assertion" not in _listed(assertion.get("type")):
            self.fail("type", N_("not an Open Badges 2.0 Assertion (the @context %(context)s "
                                 "and type Assertion are expected)", context=OB2_CONTEXT))
            return
        self.add("type", PASSED, N_("Open Badges 2.0 Assertion"))
        badge = assertion.get("badge")
        if isinstance(badge, str):
            badge = self.fetch(badge, "BadgeClass")
        if not isinstance(badge, dict) or "BadgeClass" not in _listed(badge.get("type")):
            if not self.structural_failure():
                self.fail("type", N_("the assertion's badge is not a BadgeClass"))
            return
        issuer_ref = badge.get("issuer")
        issuer_id = issuer_ref.get("id") if isinstance(issuer_ref, dict) else issuer_ref
        issuer = self.fetch(issuer_id, "issuer Profile")
        if issuer is None:
            return
        if not {"Issuer", "Profile"} & set(_listed(issuer.get("type"))):
            self.fail("type", N_("the issuer document is not an Issuer Profile"))
            return
        self.issuer = issuer
        self.report.issuer_id = issuer_id
        name = issuer.get("name")
        self.report.issuer_name = name if isinstance(name, str) else None
        self.report.related = {"badgeClass": badge, "issuer": issuer}
        self.check_dates()

    def check_dates(self) -> None:
        try:
            issued = _parse_date(self.assertion.get("issuedOn"), "issuedOn", required=True)
            expires = _parse_date(self.assertion.get("expires"), "expires", required=False)
        except ValueError as error:
            self.fail("dates", error.args[0])
            return
        if issued > self.now:
            self.report.not_yet_valid = True
            self.fail("validity", N_("not valid before %(date)s",
                                     date=self.assertion["issuedOn"]))
        elif expires is not None and expires < self.now:
            self.report.expired = True
            self.fail("validity", N_("expired at %(date)s", date=self.assertion["expires"]))
        else:
            self.add("validity", PASSED, N_("issued on %(date)s", date=self.assertion["issuedOn"]))

    def check_origin(self, url: str) -> None:
        """A hosted assertion must live where its issuer says its assertions live: under one of
        the issuer's `verification.startsWith` prefixes, else on one of its `allowedOrigins`
        (host names), else on the origin (scheme, host, port) of the issuer's own id."""
        rules = self.issuer.get("verification")
        rules = rules if isinstance(rules, dict) else {}
        starts = [s for s in _listed(rules.get("startsWith")) if isinstance(s, str)]
        hosts = [o.lower() for o in _listed(rules.get("allowedOrigins")) if isinstance(o, str)]
        issuer_id = self.report.issuer_id or ""
        if starts:
            allowed, rule = any(_under(url, prefix) for prefix in starts), starts
        elif hosts:
            allowed, rule = (urlsplit(url).hostname or "") in hosts, hosts
        else:
            allowed, rule = _origin(url) == _origin(issuer_id), [_origin(issuer_id)]
        host = urlsplit(url).netloc.lower()
        if not allowed:
            self.fail("issuer-binding", N_(
                "the assertion is hosted at %(host)s, which its issuer %(issuer)s does not allow "
                "(allowed: %(allowed)s)", host=host, issuer=issuer_id, allowed=", ".join(rule)))
            return
        self.add("issuer-binding", PASSED, N_("hosted on %(host)s, an origin of the issuer "
                                              "%(issuer)s", host=host, issuer=issuer_id))

    def signing_key(self, assertion: dict) -> PublicKey | None:
        """The key at verification.creator, owned by the issuer and listed by it; or None."""
        verification = assertion.get("verification")
        creator = verification.get("creator") if isinstance(verification, dict) else None
        issuer_id = self.report.issuer_id
        listed = [k.get("id") if isinstance(k, dict) else k
                  for k in _listed(self.issuer.get("publicKey"))[:MAX_LISTED_KEYS]]
        if not isinstance(creator, str):
            self.fail("issuer-binding", N_("a signed assertion must name its key in "
                                           "verification.creator"))
            return None
        if creator not in listed:
            self.fail("issuer-binding", N_(
                "the assertion is signed with the key %(key)s, which its issuer %(issuer)s does "
                "not list in publicKey", key=creator, issuer=issuer_id))
            return None
        document = self.fetch(creator, "CryptographicKey")
        if document is None:
            return None
        if document.get("owner") != issuer_id:
            self.fail("issuer-binding", N_("the key %(key)s is owned by %(owner)s, not by the "
                                           "issuer %(issuer)s", key=creator,
                                           owner=repr(document.get("owner")), issuer=issuer_id))
            return None
        try:
            key = PublicKey.from_pem(str(document.get("publicKeyPem") or ""))
        except KeyFormatError as error:
            self.fail("proof", N_("the key %(key)s cannot be read: %(reason)s", key=creator,
                                  reason=str(error)))
            return None
        self.add("issuer-binding", PASSED, N_("the key %(key)s belongs to %(issuer)s",
                                              key=creator, issuer=issuer_id))
        return key

    def check_revocation_list(self) -> None:
        url = self.issuer.get("revocationList")
        if url is None:
            self.add("status", SKIPPED, N_("the issuer publishes no revocation list"))
            return
        try:
            document = self.fetch_json(url) if isinstance(url, str) else None
        except BadgeError as error:
            self.add("status", WARNING, N_("revocation list %(url)s could not be retrieved: "
                                           "%(reason)s", url=url, reason=_describe(error)))
            return
        if not isinstance(document, dict) or document.get("id") != url:
            self.add("status", WARNING, N_("revocation list %(url)s is not a RevocationList "
                                           "naming itself; status unknown", url=url))
            return
        mine = {self.assertion.get("id"), self.assertion.get("uid")} - {None}
        for entry in _listed(document.get("revokedAssertions"))[:limits.MAX_CREDENTIAL_NODES]:
            entry_ids = {entry} if isinstance(entry, str) else (
                {entry.get("id"), entry.get("uid")} - {None} if isinstance(entry, dict) else set())
            if mine & entry_ids:
                self.report.revoked = True
                reason = entry.get("revocationReason") if isinstance(entry, dict) else None
                self.fail("status", N_("revoked (%(url)s): %(reason)s", url=url, reason=reason)
                          if isinstance(reason, str) and reason else N_("revoked (%(url)s)",
                                                                        url=url))
                return
        self.add("status", PASSED, N_("not on the revocation list %(url)s", url=url))

    def check_recipient(self) -> None:
        if self.email is None or not self.assertion:
            return
        matched = recipient_matches(self.assertion.get("recipient"), self.email)
        self.report.recipient_verified = matched
        if matched:
            self.add("recipient", PASSED, N_("the recipient matches the credentialSubject"))
        else:
            self.fail("recipient", N_("recipient not verified: nothing in credentialSubject "
                                      "matches"))

    def finish(self) -> None:
        report = self.report
        if not self.structural_failure():
            self.check_recipient()
            if self.trusted is not None and report.issuer_id:
                report.issuer_trusted = report.issuer_id in self.trusted
        self.settle()


def recipient_matches(recipient: Any, email: str) -> bool:
    """An OB 2.0 IdentityObject of type email against an address (hashed or plain)."""
    if not isinstance(recipient, dict) or recipient.get("type", "email") != "email":
        return False
    identity = recipient.get("identity")
    if not isinstance(identity, str):
        return False
    candidates = dict.fromkeys([email, email.strip(), email.strip().lower()])
    salt = recipient.get("salt") if isinstance(recipient.get("salt"), str) else ""
    hashed = recipient.get("hashed") in (True, "true")
    for candidate in candidates:
        if not hashed:
            if identity.strip().lower() == candidate.lower():
                return True
            continue
        algorithm, _, digest = identity.partition("$")
        if algorithm.lower() not in ("sha256", "md5"):
            continue
        computed = hashlib.new(algorithm.lower(), (candidate + salt).encode("utf-8")).hexdigest()
        if hmac.compare_digest(computed, digest.lower()):
            return True
    return False


# --- helpers ---------------------------------------------------------------------------------


def _ob2_document(document: dict) -> bool:
    contexts = document.get("@context")
    return any(c in OB2_CONTEXTS for c in _listed(contexts)) or (
        contexts is None and "Assertion" in _listed(document.get("type")))


def _verification_type(assertion: dict) -> Any:
    verification = assertion.get("verification")
    return verification.get("type") if isinstance(verification, dict) else None


def _jws_payload(token: str) -> dict | None:
    parts = token.split(".")
    return _json_segment(parts[1]) if len(parts) == 3 else None


def _json_segment(segment: str) -> dict | None:
    try:
        value = limits.parse_json(unb64url(segment).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, BadgeError):
        return None
    return value if isinstance(value, dict) else None


def _canonical(document: dict) -> str:
    return json.dumps(document, sort_keys=True)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        port = None
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _under(url: str, prefix: str) -> bool:
    """`url` starts with `prefix` on the same origin: https://a.example is not a prefix of
    https://a.example.attacker.tld/…"""
    if _origin(url) != _origin(prefix):
        return False
    path, wanted = urlsplit(url).path, urlsplit(prefix).path
    return path.startswith(wanted) if wanted else True


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _parse_date(value: Any, name: str, required: bool) -> datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValueError(N_("%(name)s must be an ISO 8601 date", name=name))
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(N_("%(name)s must be an ISO 8601 date", name=name)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
