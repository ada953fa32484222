"""The Open Badges 3.0 verifier checklist (DIGEST §E.1, §E.2) → a VerificationReport.

One entry point, `verify_credential`, takes whatever a person hands a verifier (a JSON object
or text, a compact JWS, a baked PNG/SVG) and runs every check, recording each as a `Check`:

    parse, context, type, data-model, schema, subject, safe-mode, proof, issuer-binding,
    dates, validity, status, recipient, trusted-issuer, endorsements, embedded

Any VC 1.1 / 2.0 credential is verified against the W3C data model (`vc_model`); the Open Badges
checks (its contexts, types, 1EdTech schema, recipient) apply when it is an Open Badge, an
endorsement or a CLR. Every proof of a proof set must verify; a proof naming `previousProof`
is checked over the proofs it chains to.

A failed structural check (parse … dates, see STRUCTURAL_CHECKS) makes the verdict "invalid".
Otherwise revoked > suspended > expired > not_yet_valid > valid. Recipient, endorsement and
embedded results never change the verdict; they are reported beside it. Keys, status lists and the
clock are injected: the verifier does no I/O of its own and never raises for bad input.

Over 500 lines on purpose: the checklist is one class, `_Run`, best read top to bottom in the
order of §E.1. The report (`verify_report`), the status step (`verify_status`) and the helpers the
steps share (`verify_helpers`) are modules of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import baking, jsonld, limits, proofs, rdfc, schema, vc_model
from . import jwt as vc_jwt
from .builders import hash_identity as hash_identity  # re-exported: verifiers check hashes
from .errors import BadgeError
from .jsonld import CREDENTIALS_V2
from .messages import N_, Message, message_of
from .resolver import KeyResolver
from .verify_helpers import (
    _aware,
    _describe,
    _email_matches,
    _endorsements_of,
    _issuer_of,
    _joined,
    _jwt_messages,
    _loaders_for,
    _parse_time,
    _too_many_proofs,
    _work_limit_reached,
    _worth_retrying,
)
from .verify_report import FAILED as FAILED  # re-exported: verify's callers read reports
from .verify_report import (
    PASSED,
    SKIPPED,
    WARNING,
    Checklist,
    VerificationReport,
)
from .verify_report import Check as Check
from .verify_status import StatusCheck

FetchJson = Callable[[str], dict]

VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT_PATTERN = re.compile(r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$")
CLR_CONTEXT_PATTERN = re.compile(r"^https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d\.\d)*\.json$")
ENVELOPED = "EnvelopedVerifiableCredential"
# The data: URL prefixes of an envelope this verifier opens: VC-JOSE-COSE, and the plain JWT
# media type some implementations (and the W3C suite's fixtures) write.
ENVELOPE_MEDIA_TYPES = ("data:application/vc+jwt", "data:application/jwt")
COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$")

ACHIEVEMENT_TYPES = ("OpenBadgeCredential", "AchievementCredential")
ENDORSEMENT_TYPE = "EndorsementCredential"
CLR_TYPE = "ClrCredential"

_MAX_DEPTH = 2  # endorsements of endorsements, CLR → credential → endorsement


@dataclass
class _Budget:
    """The work one verification may still do (issuer.core.limits), shared by nested runs."""

    nested: int = limits.MAX_NESTED_CREDENTIALS
    proof_checks: int = limits.MAX_PROOF_CHECKS
    canonical_nodes: int = limits.MAX_CANONICAL_NODES

    def take_nested(self, wanted: list) -> tuple[list, int]:
        """The nested credentials still within budget, and how many were left out."""
        granted = wanted[: max(self.nested, 0)]
        self.nested -= len(granted)
        return granted, len(wanted) - len(granted)

    def take_proof_checks(self, count: int, document: dict, size: int | None = None) -> bool:
        """Spend `count` proof checks of `document` (`size`: its count_nodes, when known);
        False (nothing spent) when they would exceed the budget of checks or of canonicalised
        JSON values."""
        nodes = count * (limits.count_nodes(document) if size is None else size)
        if count > self.proof_checks or nodes > self.canonical_nodes:
            return False
        self.proof_checks -= count
        self.canonical_nodes -= nodes
        return True


def verify_credential(
    source: dict | str | bytes,
    *,
    resolver: KeyResolver,
    fetch_json: FetchJson | None = None,
    now: datetime | None = None,
    email: str | None = None,
    subject_id: str | None = None,
    trusted_issuers: Iterable[str] | None = None,
) -> VerificationReport:
    """Run the OB 3.0 verifier checklist on `source` and report; never raises for bad input.

    `resolver` dereferences verification methods (and JWT kids); `fetch_json` fetches status
    lists (None: status is not checked, with a warning); `now` is the clock (default: now, UTC);
    `email` / `subject_id` ask for the recipient check; `trusted_issuers` lists issuer ids
    whose identity the caller vouches for.
    """
    options = _Options(
        resolver=resolver,
        fetch_json=fetch_json,
        now=_aware(now or datetime.now(UTC)),
        email=email,
        subject_id=subject_id,
        trusted_issuers=None if trusted_issuers is None else frozenset(trusted_issuers),
        budget=_Budget(),
    )
    return _verify(source, options, expect=None, depth=0)


@dataclass(frozen=True)
class _Options:
    resolver: KeyResolver
    fetch_json: FetchJson | None
    now: datetime
    email: str | None
    subject_id: str | None
    trusted_issuers: frozenset[str] | None
    budget: _Budget


def _verify(source: Any, options: _Options, expect: str | None, depth: int) -> VerificationReport:
    run = _Run(options, expect, depth)
    try:
        run.execute(source)
    except Exception as error:  # noqa: BLE001 - a public verifier reports, it does not crash
        run.fail("parse" if run.report.credential is None else "internal", _describe(error))
    run.finish()
    return run.report


class _Run(Checklist):
    """One verification: the steps of §E.1 in order, each appending a Check to the report."""

    def __init__(self, options: _Options, expect: str | None, depth: int):
        self.options = options
        self.expect = expect
        self.depth = depth
        self.report = VerificationReport()
        self.credential: dict = {}
        self.jwt_result: Any = None
        self.walked: rdfc.Walk | None = None  # the safe-mode check's, reused for the proof
        self.size: int | None = None  # the credential's JSON values (limits.count_nodes)
        self.notes_seen = len(options.resolver.notes)

    # --- the checklist -----------------------------------------------------------------------

    def execute(self, source: Any) -> None:
        if not self.parse(source):
            return
        self.check_context()
        self.check_type()
        self.check_data_model()
        self.check_schema()
        self.check_subject()
        loaders = self.check_safe_mode()
        if self.jwt_result is not None:
            self.check_jwt_proof()
        else:
            self.check_embedded_proofs(loaders)
        self.check_validity()
        if self.structural_failure():
            # Say which embedded badge was altered even when the outer proof fails.
            self.check_embedded_credentials()
            return
        self.check_status()
        self.collect_resolver_notes()
        self.check_recipient()
        self.check_trusted_issuer()
        self.check_endorsements()
        self.check_embedded_credentials()

    def parse(self, source: Any) -> bool:
        try:
            credential, token = _read_source(source)
        except (BadgeError, ValueError, UnicodeDecodeError) as error:
            self.fail("parse", _describe(error))
            return False
        if token is not None:
            self.jwt_result = vc_jwt.verify_jwt(
                token, self.options.resolver.resolve_jwk, now=self.options.now
            )
            credential = self.jwt_result.credential or _jwt_payload_credential(token)
            self.report.proof_format = "vc-jwt"
            self.report.warnings.extend(self.jwt_result.warnings)
        if not isinstance(credential, dict):
            self.fail("parse", _jwt_messages(self.jwt_result) or N_("not a JSON object credential"))
            return False
        try:
            # JSON or JWT: expansion costs the same
            self.size = limits.check_credential_size(credential)
        except BadgeError as error:
            self.fail("parse", _describe(error))
            return False
        self.credential = credential
        self.report.credential = credential
        self.report.issuer_id, self.report.issuer_name = _issuer_of(credential)
        self.add("parse", PASSED, N_("compact JWS (VC-JWT)") if token else N_("JSON credential"))
        return True

    def check_context(self) -> None:
        contexts = self.credential.get("@context")
        if not self.is_open_badge:
            self.check_vc_context(contexts)
            return
        if not isinstance(contexts, list) or len(contexts) < 2:
            self.fail("context", N_("@context must be an array of at least two contexts"))
            return
        if contexts[0] not in (CREDENTIALS_V2, VC_V1):
            self.fail("context", N_(
                "@context[0] must be %(expected)s (or %(older)s), not %(found)s",
                expected=CREDENTIALS_V2, older=VC_V1, found=repr(contexts[0])))
            return
        pattern, what = ((CLR_CONTEXT_PATTERN, "CLR 2.0") if self.is_clr
                         else (OB_CONTEXT_PATTERN, "OB 3.0"))
        if not isinstance(contexts[1], str) or not pattern.match(contexts[1]):
            self.fail("context", N_("@context[1] must be the %(standard)s context, not %(found)s",
                                    standard=what, found=repr(contexts[1])))
            return
        model = "VC 1.1" if contexts[0] == VC_V1 else "VCDM 2.0"
        self.report.standard = "CLR 2.0" if self.is_clr else "Open Badges 3.0"
        self.add("context", PASSED,
                 N_("%(model)s with %(context)s", model=model, context=contexts[1]))

    def check_vc_context(self, contexts: Any) -> None:
        """A credential of any other kind: only the W3C base context is required."""
        first = contexts[0] if isinstance(contexts, list) and contexts else None
        if first not in (CREDENTIALS_V2, VC_V1):
            self.fail("context", N_("@context must be an array whose first item is %(expected)s "
                                    "(or %(older)s)", expected=CREDENTIALS_V2, older=VC_V1))
            return
        model = "VC 1.1" if first == VC_V1 else "VCDM 2.0"
        self.add("context", PASSED, N_("%(model)s credential", model=model))

    @property
    def is_open_badge(self) -> bool:
        """An Open Badge, endorsement or CLR (or asked to be one): the OB checks apply."""
        kinds = (*ACHIEVEMENT_TYPES, ENDORSEMENT_TYPE, CLR_TYPE)
        return self.expect is not None or any(t in self.types for t in kinds)

    def check_data_model(self) -> None:
        found = vc_model.problems(self.credential)
        if found:
            self.fail("data-model", N_("breaks the Verifiable Credentials data model: "
                                       "%(problem)s", problem=found[0]))
        else:
            self.add("data-model", PASSED, N_("follows the Verifiable Credentials data model"))

    @property
    def types(self) -> list:
        value = self.credential.get("type")
        return value if isinstance(value, list) else [value]

    @property
    def is_clr(self) -> bool:
        return CLR_TYPE in self.types

    @property
    def is_vc1(self) -> bool:
        contexts = self.credential.get("@context")
        return isinstance(contexts, list) and bool(contexts) and contexts[0] == VC_V1

    def check_type(self) -> None:
        types = self.types
        wanted = {
            None: ("VerifiableCredential",),
            "achievement": ACHIEVEMENT_TYPES,
            ENDORSEMENT_TYPE: (ENDORSEMENT_TYPE,),
        }[self.expect]
        if "VerifiableCredential" not in types:
            self.fail("type", N_("type must include VerifiableCredential"))
        elif not any(t in types for t in wanted):
            self.fail("type", N_("type must include one of %(wanted)s; got %(found)s",
                                 wanted=", ".join(wanted), found=repr(types)))
        else:
            self.add("type", PASSED, ", ".join(str(t) for t in types))

    def check_schema(self) -> None:
        if not self.is_open_badge:
            return
        if self.is_vc1:
            self.add("schema", SKIPPED, N_("no bundled 1EdTech schema for VC 1.1 credentials"))
            return
        try:
            name = schema.schema_for(self.credential)
            problems = schema.errors(self.credential, name)
        except BadgeError as error:
            self.add("schema", SKIPPED, message_of(error) or str(error))
            return
        problems = [p for p in problems if not p.startswith("credentialSubject: needs")]
        if problems:
            if len(problems) > 1:
                self.fail("schema", N_(
                    "does not conform to %(schema)s: %(problem)s (and %(more)s more)",
                    schema=name, problem=problems[0], more=len(problems) - 1))
            else:
                self.fail("schema", N_("does not conform to %(schema)s: %(problem)s",
                                       schema=name, problem=problems[0]))
        else:
            self.add("schema", PASSED, N_("conforms to the 1EdTech %(schema)s schema", schema=name))

    def check_subject(self) -> None:
        if not any(t in self.types for t in ACHIEVEMENT_TYPES):
            return
        subject = self.credential.get("credentialSubject")
        if isinstance(subject, dict) and (subject.get("id") or subject.get("identifier")):
            self.add("subject", PASSED, N_("credentialSubject names its recipient"))
        else:
            self.fail("subject", N_("credentialSubject needs an 'id' or at least one 'identifier'"))

    def check_safe_mode(self) -> list[tuple[str | None, jsonld.DocumentLoader]]:
        """Expand in safe mode; return the loaders to try for proofs, the working one first."""
        candidates = _loaders_for(self.credential)
        first_error = None
        for position, (variant, loader) in enumerate(candidates):
            try:
                self.walked = jsonld.check_safe_mode(self.credential, loader)
            except BadgeError as error:
                first_error = first_error or error
                continue
            message = N_("no term is dropped by JSON-LD expansion") if not variant else N_(
                "no term is dropped by JSON-LD expansion with the %(edition)s edition of the "
                "OB 3.0.3 context", edition=variant)
            self.add("safe-mode", PASSED, message)
            return [candidates[position]] + candidates[:position] + candidates[position + 1 :]
        if self.jwt_result is not None:
            # A JWS signs the JSON bytes, so dropped terms do not weaken the proof; say so.
            self.add("safe-mode", WARNING, N_("JSON-LD readers will lose data: %(reason)s",
                                                reason=str(first_error)))
        else:
            self.fail("safe-mode", _describe(first_error))
        return candidates

    def check_embedded_proofs(self, loaders) -> None:
        all_proofs = proofs.proofs_of(self.credential)
        if not all_proofs:
            self.fail("proof", N_("the credential has no proof"))
            return
        if len(all_proofs) > limits.MAX_PROOFS:
            self.fail("proof", _too_many_proofs(len(all_proofs)))
            return
        self.report.proof_format = "data-integrity"
        # Proofs in a suite this verifier does not implement are reported, not held against
        # the others (another verifier may check them); every other proof must verify.
        checked = [p for p in all_proofs if _implemented(p)] or all_proofs
        if len(checked) < len(all_proofs):
            self.add("proof-set", WARNING, N_("%(count)s proof(s) in a cryptosuite this verifier "
                                              "does not implement were not checked",
                                              count=len(all_proofs) - len(checked)))
        all_proofs = checked
        failures: list[str] = []
        for variant, loader in loaders:
            if not self.options.budget.take_proof_checks(len(all_proofs), self.credential,
                                                         self.size):
                failures = failures or [_work_limit_reached()]
                break
            results = [
                proofs.verify_proof(self.credential, p, self.options.resolver, loader,
                                    walked=self.walked)
                for p in all_proofs
            ]
            if all(r.valid for r in results):  # a proof set is valid when each proof is
                self.accept_proofs(results, variant)
                return
            failures = failures or [r.message for r in results if not r.valid]
            if not _worth_retrying(results):
                break
        self.fail("proof", _joined(failures))

    def accept_proofs(self, valid: list, variant: str | None) -> None:
        self.report.context_variant = variant
        suites = ", ".join(sorted({r.cryptosuite or "?" for r in valid}))
        message = N_("%(count)s valid proof(s) (%(suites)s)", count=len(valid), suites=suites)
        if variant:
            message = N_("%(count)s valid proof(s) (%(suites)s), using the %(edition)s edition of "
                         "the OB 3.0.3 context", count=len(valid), suites=suites, edition=variant)
            self.report.warnings.append(N_(
                "the proof verifies only with the %(edition)s edition of the OB 3.0.3 context",
                edition=variant))
        self.add("proof", PASSED, message)
        self.check_issuer_binding([r.controller for r in valid])

    def check_issuer_binding(self, controllers: list) -> None:
        issuer_id = self.report.issuer_id
        if issuer_id and issuer_id in controllers:
            self.add("issuer-binding", PASSED,
                     N_("the signing key is controlled by %(issuer)s", issuer=issuer_id))
        else:
            self.fail(
                "issuer-binding",
                N_("key controller %(controller)s does not match issuer %(issuer)s",
                   controller=repr(controllers[0]), issuer=repr(issuer_id)),
            )

    def check_jwt_proof(self) -> None:
        result = self.jwt_result
        if not result.valid:
            self.fail("proof", _jwt_messages(result) or N_("the JWT signature does not verify"))
            return
        self.add("proof", PASSED, N_("VC-JWT signature verified (%(flavour)s)",
                                      flavour=result.flavour or "JWS"))
        self.check_jwt_key_binding(result.header or {}, result.key)

    def check_jwt_key_binding(self, header: dict, key: Any) -> None:
        """The key that signed the JWT must be one the issuer publishes (DIGEST §B.8)."""
        kid, issuer_id = header.get("kid"), self.report.issuer_id
        published = None
        if isinstance(kid, str) and issuer_id and kid.split("#")[0] == issuer_id:
            published = kid  # resolving the kid already checked the issuer's document
        elif isinstance(issuer_id, str) and key is not None:
            try:
                published = self.options.resolver.published_method(issuer_id, key)
            except BadgeError as error:
                self.fail("issuer-binding", _describe(error))  # we could not tell: say why
                return
        if published:
            self.add("issuer-binding", PASSED,
                     N_("the JWT key %(kid)s belongs to %(issuer)s", kid=published,
                        issuer=issuer_id))
            return
        self.fail("issuer-binding", N_(
            "the JWT is signed with kid %(kid)s, which is not published under issuer "
            "%(issuer)s", kid=repr(kid), issuer=repr(issuer_id)) if kid else N_(
            "the JWT is signed with a key embedded in the JWT header, which is not published "
            "under issuer %(issuer)s", issuer=repr(issuer_id)))

    def check_validity(self) -> None:
        start_name, end_name = (
            ("issuanceDate", "expirationDate") if self.is_vc1 else ("validFrom", "validUntil")
        )
        now = self.options.now
        try:
            # validFrom is optional in VCDM 2.0, required by Open Badges and VC 1.1.
            start = _parse_time(self.credential.get(start_name), start_name,
                                required=self.is_open_badge or self.is_vc1)
            end = _parse_time(self.credential.get(end_name), end_name, required=False)
        except ValueError as error:
            self.fail("dates", error.args[0])
            return
        if start is None:
            self.add("validity", PASSED, N_("valid until %(end)s", end=self.credential[end_name])
                     if end else N_("no validity period"))
            if end is not None and end < now:
                self.report.expired = True
                self.fail("validity", N_("expired at %(date)s", date=self.credential[end_name]))
        elif start > now:
            self.report.not_yet_valid = True
            self.fail("validity", N_("not valid before %(date)s", date=self.credential[start_name]))
        elif end is not None and end < now:
            self.report.expired = True
            self.fail("validity", N_("expired at %(date)s", date=self.credential[end_name]))
        else:
            begins = self.credential[start_name]
            self.add("validity", PASSED, N_(
                "valid from %(start)s until %(end)s", start=begins, end=self.credential[end_name]
            ) if end else N_("valid from %(start)s", start=begins))

    def check_status(self) -> None:
        entries = self.credential.get("credentialStatus")
        if not entries:
            self.add("status", SKIPPED, N_("the credential has no credentialStatus"))
            return
        for entry in entries if isinstance(entries, list) else [entries]:
            StatusCheck(self, entry).run()

    def check_recipient(self) -> None:
        email, subject_id = self.options.email, self.options.subject_id
        if self.expect == ENDORSEMENT_TYPE or (email is None and subject_id is None):
            return
        subject = self.credential.get("credentialSubject")
        subject = subject if isinstance(subject, dict) else {}
        matched = (subject_id is not None and subject.get("id") == subject_id) or (
            email is not None and _email_matches(email, subject.get("identifier"))
        )
        self.report.recipient_verified = matched
        if matched:
            self.add("recipient", PASSED, N_("the recipient matches the credentialSubject"))
        else:
            self.fail("recipient",
                      N_("recipient not verified: nothing in credentialSubject matches"))

    def check_trusted_issuer(self) -> None:
        trusted = self.options.trusted_issuers
        if trusted is None:
            return
        self.report.issuer_trusted = self.report.issuer_id in trusted
        if self.report.issuer_trusted:
            self.add("trusted-issuer", PASSED,
                     N_("%(issuer)s is a trusted issuer", issuer=self.report.issuer_id))
        else:
            self.add(
                "trusted-issuer",
                WARNING,
                N_("the issuer is not on the trusted list: its name and details are unverified"),
            )

    def check_endorsements(self) -> None:
        found = _endorsements_of(self.credential)
        if not found or self.depth >= _MAX_DEPTH:
            return
        found, left_out = self.options.budget.take_nested(found)
        for endorsement in found:
            nested = _verify(endorsement, self.options, ENDORSEMENT_TYPE, self.depth + 1)
            self.report.endorsements.append(nested)
        self.summarize("endorsements", self.report.endorsements,
                       N_("%(count)s endorsement(s) verified"),
                       N_("%(bad)s of %(count)s endorsement(s) not valid: %(verdicts)s"))
        self.note_left_out("endorsements", left_out)

    def check_embedded_credentials(self) -> None:
        if not self.is_clr:
            return
        subject = self.credential.get("credentialSubject")
        inner = subject.get("verifiableCredential") if isinstance(subject, dict) else None
        found, left_out = self.options.budget.take_nested(
            inner if isinstance(inner, list) else [inner] if inner else [])
        for credential in found:
            nested = _verify(credential, self.options, "achievement", self.depth + 1)
            self.report.embedded.append(nested)
        self.summarize("embedded", self.report.embedded,
                       N_("%(count)s embedded credential(s) verified"),
                       N_("%(bad)s of %(count)s embedded credential(s) not valid: %(verdicts)s"))
        self.note_left_out("embedded", left_out)

    def note_left_out(self, name: str, left_out: int) -> None:
        if left_out:
            self.add(name, WARNING, N_(
                "%(count)s more nested credential(s) not verified: at most %(limit)s are "
                "verified at once", count=left_out, limit=limits.MAX_NESTED_CREDENTIALS))

    def summarize(self, name: str, reports: list[VerificationReport], verified: Message,
                  not_valid: Message) -> None:
        """One check for nested reports; the two N_ templates get count, bad and verdicts."""
        bad = [r for r in reports if not r.valid]
        counts = {"count": len(reports), "bad": len(bad),
                  "verdicts": ", ".join(r.verdict for r in bad)}
        template = (not_valid if bad else verified).template
        self.add(name, WARNING if bad else PASSED, Message(template, counts))

    # --- verdict -----------------------------------------------------------------------------

    def collect_resolver_notes(self) -> None:
        # Taken before nested credentials run, so their notes stay in their own reports.
        notes = self.options.resolver.notes
        self.report.warnings.extend(notes[self.notes_seen :])
        self.notes_seen = len(notes)

    def finish(self) -> None:
        self.collect_resolver_notes()
        self.settle()


# --- helpers ---------------------------------------------------------------------------------


def _implemented(proof: Any) -> bool:
    """A proof in a suite `proofs.verify_proof` checks."""
    if not isinstance(proof, dict):
        return False
    suite = (proof.get("type"), proof.get("cryptosuite"))
    return suite in proofs.LEGACY_SUITES or (
        suite[0] == proofs.PROOF_TYPE and suite[1] in proofs.CRYPTOSUITES)


def _read_source(source: Any) -> tuple[dict | None, str | None]:
    """(credential, None) for JSON, (None, token) for a compact JWS; images are extracted."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if data.startswith(baking.PNG_SIGNATURE) or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(
            b"<"
        ):
            source = baking.extract(data)
        else:
            source = data.decode("utf-8")
    if isinstance(source, str):
        text = source.strip().lstrip("\ufeff")
        if COMPACT_JWS.match(text):
            return None, text
        if not text.startswith("{"):
            raise ValueError(N_("input is neither a JSON object, a compact JWS nor a baked image"))
        source = limits.parse_json(text)
    if not isinstance(source, dict):
        raise ValueError(N_("a credential must be a JSON object"))
    limits.check_depth(source)
    if ENVELOPED in _listed(source.get("type")):
        return None, _enveloped_token(source)
    return source, None


def _enveloped_token(envelope: dict) -> str:
    """The compact JWS an EnvelopedVerifiableCredential carries (VCDM 2.0 §4.13.1).

    The envelope itself is unsigned, so it is held to the letter: the base context first,
    exactly the one type, and an id that is a `data:` URL of a VC-JOSE-COSE JWT.
    """
    contexts = envelope.get("@context")
    if (contexts if isinstance(contexts, str) else _listed(contexts)[:1]) not in (
            CREDENTIALS_V2, [CREDENTIALS_V2]):
        raise ValueError(N_("an EnvelopedVerifiableCredential needs %(expected)s as its first "
                            "@context", expected=CREDENTIALS_V2))
    if _listed(envelope.get("type")) != [ENVELOPED]:
        raise ValueError(N_("an EnvelopedVerifiableCredential has that one type"))
    media_type, comma, token = str(envelope.get("id") or "").partition(",")
    if not comma or media_type not in ENVELOPE_MEDIA_TYPES or not COMPACT_JWS.match(token):
        raise ValueError(N_("the id of an EnvelopedVerifiableCredential must be a data: URL "
                            "of a JWT (data:application/vc+jwt,…)"))
    return token


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _jwt_payload_credential(token: str) -> dict | None:
    """The credential inside a JWT whose signature failed, so the report can still name it."""
    try:
        _, payload = vc_jwt.decode_jwt(token)
    except BadgeError:
        return None
    credential = payload.get("vc", payload) if isinstance(payload, dict) else None
    return credential if isinstance(credential, dict) else None
