"""The W3C VC-API (issuer and verifier) on top of the engine, for conformance suites and partners.

- `issue`: sign any W3C credential as the token's organisation. The credential's `issuer` must be
  the organisation: its did:web, or the did:key of its active key (the W3C suites resolve did:key
  only). The data model is checked first (`vc_model`); with `options.credentialStatus` of type
  `BitstringStatusListEntry` the credential gets a revocation slot of the organisation's list.
  Only tokens with the `sign` permission may do this: it signs content the service did not
  write, so it is never granted by default. Each issuance is in the audit log (id and types).
- `verify_credential`, `verify_presentation`: the engine's verifier, answered as VC-API results.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from issuer.core import proofs, vc_model, vp
from issuer.core.clock import utc_stamp
from issuer.core.keys import PublicKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify_report import FAILED, PASSED, VerificationReport
from issuer.store.models import ApiToken, Organisation

from .base import ServiceError, audit
from .keys import active_key, issuer_did, verification_method_id
from .status_lists import allocate_slot, status_entry
from .verification import verify_any

STATUS_ENTRY = "BitstringStatusListEntry"
# A caller listing `checks` asks for those; binding the key to the issuer is a check of its own.
OPTIONAL_CHECKS = {"issuer-binding"}


class VcApiError(ServiceError):
    """A VC-API request is not understood (400)."""


def issue(db: Session, token: ApiToken, body: Any, now: datetime | None = None) -> dict:
    """`{"verifiableCredential": …}`: `body["credential"]` signed by the organisation."""
    credential, options = _issue_request(body)
    vc_model.check_credential(credential)
    org = db.get(Organisation, token.organisation_id)
    record, key = active_key(db, org)
    method = _signing_method(org, record, credential)
    if "proof" in credential:
        raise VcApiError("credential: must not carry a proof; send the unsigned credential")
    status = options.get("credentialStatus")
    if status is not None:
        credential = {**credential, "credentialStatus": _status_entry(db, org, status,
                                                                      credential)}
    suite = options.get("cryptosuite", proofs.CRYPTOSUITE)
    if suite not in proofs.CRYPTOSUITES:
        raise VcApiError(f"options.cryptosuite: one of {', '.join(sorted(proofs.CRYPTOSUITES))}")
    signed = proofs.sign(credential, key, method, created=utc_stamp(now), cryptosuite=suite)
    signed["proof"] = signed["proof"][0]  # VC-API clients expect one proof as an object
    audit(db, "vc_api.issued", token, org, subject=str(credential.get("id") or ""),
          types=[t for t in _listed(credential.get("type")) if isinstance(t, str)][:5])
    return {"verifiableCredential": signed}


def verify_credential(db: Session, body: Any,
                      now: datetime | None = None) -> tuple[bool, dict]:
    """(verified, VC-API verification result) for `body["verifiableCredential"]`."""
    if not isinstance(body, dict) or not isinstance(body.get("verifiableCredential"), dict):
        raise VcApiError("send {\"verifiableCredential\": {…}, \"options\": {…}}")
    options = _options(body)
    report = verify_any(body["verifiableCredential"], now=now, db=db)
    return _result(report, _asked_checks(options))


def verify_presentation(db: Session, body: Any,
                        now: datetime | None = None) -> tuple[bool, dict]:
    """(verified, VC-API verification result) for `body["verifiablePresentation"]`."""
    if not isinstance(body, dict) or "verifiablePresentation" not in body:
        raise VcApiError("send {\"verifiablePresentation\": {…}, \"options\": {…}}")
    options = _options(body)
    asked = _asked_checks(options)
    challenge, domain = options.get("challenge"), options.get("domain")
    if not all(v is None or isinstance(v, str) for v in (challenge, domain)):
        raise VcApiError("options.challenge and options.domain must be strings")

    def check(credential: Any) -> VerificationReport:
        report = verify_any(credential, now=now, db=db)
        return _relaxed(report, asked)

    # Holders are did:key (wallets); their keys are read offline.
    report = vp.verify_presentation(body["verifiablePresentation"], KeyResolver(), check,
                                    challenge=challenge, domain=domain)
    result = {"verified": report.verified, "checks": report.checks, "warnings": [],
              "errors": report.problems,
              "credentialResults": [_result(r, asked)[1] for r in report.credentials]}
    return report.verified, result


# --- requests ---------------------------------------------------------------------------------


def _issue_request(body: Any) -> tuple[dict, dict]:
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        raise VcApiError("send {\"credential\": {…}, \"options\": {…}}: the credential is a "
                         "JSON object")
    return body["credential"], _options(body)


def _options(body: dict) -> dict:
    options = body.get("options", {})
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise VcApiError("options must be a JSON object")
    return options


def _asked_checks(options: dict) -> set[str] | None:
    checks = options.get("checks")
    if checks is None:
        return None
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise VcApiError("options.checks must be a list of check names")
    return set(checks)


def _signing_method(org: Organisation, record, credential: dict) -> str:
    """The verification method matching the credential's issuer, which must be the org."""
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    did_key = PublicKey.from_multibase(record.public_multibase).did_key
    if issuer_id == did_key:
        return f"{did_key}#{did_key.removeprefix('did:key:')}"
    if issuer_id == issuer_did(org):
        return verification_method_id(org, record)
    raise VcApiError(f"issuer: must be this organisation, {issuer_did(org)} or {did_key}")


def _status_entry(db: Session, org: Organisation, requested: Any, credential: dict) -> dict:
    if not isinstance(requested, dict) or requested.get("type") != STATUS_ENTRY:
        raise VcApiError(f"options.credentialStatus: only {{\"type\": \"{STATUS_ENTRY}\"}} is "
                         "supported")
    if requested.get("statusPurpose", "revocation") != "revocation":
        raise VcApiError("options.credentialStatus: only the revocation purpose is supported")
    if _listed(credential.get("@context"))[:1] != [vc_model.CREDENTIALS_V2]:
        raise VcApiError("a BitstringStatusListEntry needs a VC 2.0 credential")
    status_list, index = allocate_slot(db, org)
    return status_entry(status_list, index)


# --- results ----------------------------------------------------------------------------------


def _relaxed(report: VerificationReport, asked: set[str] | None) -> VerificationReport:
    """The report with optional checks the caller did not ask for turned into warnings."""
    if asked is None or report.valid:
        return report
    ignored = [c for c in report.checks if c.status == FAILED and c.name in OPTIONAL_CHECKS
               and c.name not in asked]
    others = [c for c in report.checks if c.status == FAILED and c not in ignored]
    if ignored and not others and report.verdict == "invalid":
        report.warnings.extend(str(c.message) for c in ignored)
        report.verdict = "valid"
    return report


def _result(report: VerificationReport, asked: set[str] | None) -> tuple[bool, dict]:
    report = _relaxed(report, asked)
    result = {
        "verified": report.valid,
        "verdict": report.verdict,
        "checks": [c.name for c in report.checks if c.status == PASSED],
        "warnings": [str(w) for w in report.warnings],
        "errors": [f"{c.name}: {c.message}" for c in report.checks if c.status == FAILED],
    }
    return report.valid, result


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]
