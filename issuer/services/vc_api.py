"""The W3C VC-API (issuer and verifier) on top of the engine, for conformance suites and partners.

- `issue`: sign any W3C credential as the token's organisation. The credential's `issuer` must be
  the organisation: its did:web, or the did:key of its active key (the W3C suites resolve did:key
  only). The data model is checked first (`vc_model`); with `options.credentialStatus` of type
  `BitstringStatusListEntry` (one, or a list: revocation and/or suspension) the credential gets a
  slot of the organisation's list of that purpose, recorded under the credential's `id` (a
  `urn:uuid:` id is given to a credential without one). Only tokens with the `sign` permission
  may do this: it signs content the service did not write, so it is never granted by default.
  Each issuance is in the audit log (id and types). With `options.envelope`
  `application/vc+jwt` the answer is an `EnvelopedVerifiableCredential` (a VC-JOSE-COSE JWT in
  a `data:` URL) instead of a Data Integrity proof.
- `update_status`: revoke, suspend or unsuspend such a credential by its `id` (permission
  `status`, also never granted by default); another organisation's credential is not found.
  The same request changes one of the service's own badges (its signed `id`): revoked, or
  suspended / unsuspended as `services.suspension` holds them; an optional `reason` is audited.
- `verify_credential`, `verify_presentation`: the engine's verifier, answered as VC-API results
  (an `EnvelopedVerifiableCredential` is opened and its JWT verified, issuer binding included).
"""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.core import jsonld, proofs, vc_model, vp
from issuer.core import jwt as vc_jwt
from issuer.core.clock import utc_stamp
from issuer.core.keys import PrivateKey, PublicKey
from issuer.core.resolver import KeyResolver
from issuer.core.verify_report import FAILED, PASSED, VerificationReport
from issuer.store.models import ApiToken, Credential, Organisation, VcApiStatus

from . import revocation, suspension
from .base import ServiceError, audit
from .keys import active_key, issuer_did, verification_method_id
from .publishing import credential_by_uuid
from .status_lists import PURPOSES, REVOCATION, SUSPENSION, allocate_slot, set_status, status_entry
from .verification import verify_any

STATUS_ENTRY = "BitstringStatusListEntry"
ENVELOPE_MEDIA_TYPE = "application/vc+jwt"
# A caller listing `checks` asks for those; binding the key to the issuer is a check of its own.
OPTIONAL_CHECKS = {"issuer-binding"}


# `POST /credentials/status`: each status a caller may ask for, as (purpose, bit value).
STATUS_UPDATES = {"revoked": (REVOCATION, 1), "suspended": (SUSPENSION, 1),
                  "unsuspended": (SUSPENSION, 0)}


class VcApiError(ServiceError):
    """A VC-API request is not understood (400)."""


class VcApiNotFound(ServiceError):
    """No credential of the token's organisation has that id (404)."""


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
        credential = _with_status(db, org, status, credential)
    if options.get("envelope") is not None:
        signed = _enveloped(credential, key, method, options)
    else:
        signed = _with_proof(credential, key, method, options.get("cryptosuite"), now)
    audit(db, "vc_api.issued", token, org, subject=str(credential.get("id") or ""),
          types=[t for t in _listed(credential.get("type")) if isinstance(t, str)][:5])
    return {"verifiableCredential": signed}


def _with_proof(credential: dict, key: PrivateKey, method: str, suite: Any,
                now: datetime | None) -> dict:
    """The credential with one Data Integrity proof (an object, as VC-API clients expect)."""
    suite = suite or proofs.CRYPTOSUITE
    if suite not in proofs.CRYPTOSUITES:
        raise VcApiError(f"options.cryptosuite: one of {', '.join(sorted(proofs.CRYPTOSUITES))}")
    signed = proofs.sign(credential, key, method, created=utc_stamp(now), cryptosuite=suite)
    signed["proof"] = signed["proof"][0]
    return signed


def _enveloped(credential: dict, key: PrivateKey, method: str, options: dict) -> dict:
    """An EnvelopedVerifiableCredential: the credential secured as a VC-JOSE-COSE JWT."""
    if options["envelope"] != ENVELOPE_MEDIA_TYPE:
        raise VcApiError(f"options.envelope: only {ENVELOPE_MEDIA_TYPE} is supported")
    if "cryptosuite" in options:
        raise VcApiError("options: an envelope and a cryptosuite exclude each other")
    if _listed(credential.get("@context"))[:1] != [vc_model.CREDENTIALS_V2]:
        raise VcApiError("options.envelope: VC-JOSE-COSE secures VC 2.0 credentials only")
    # No canonicalization protects a JWT's payload: check it expands in safe mode, as every
    # verifier of ours will.
    jsonld.check_safe_mode(credential)
    token = vc_jwt.sign_vc_jose(credential, key, method)
    return {"@context": vc_model.CREDENTIALS_V2, "id": f"data:{ENVELOPE_MEDIA_TYPE},{token}",
            "type": "EnvelopedVerifiableCredential"}


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


def update_status(db: Session, token: ApiToken, body: Any) -> dict:
    """Revoke, suspend or unsuspend a credential the organisation signed through `issue`.

    `body` is `{"credentialId": …, "credentialStatus": [{"type": "BitstringStatusListEntry",
    "status": "revoked" | "suspended" | "unsuspended"}]}`. Revocation cannot be undone;
    suspension needs a credential issued with a suspension entry. Each change is audited.
    """
    credential_id, changes = _status_request(body)
    slots: dict[str, list[VcApiStatus]] = {}
    # Every credential issued under that id changes: the id is the caller's handle.
    for slot in db.scalars(select(VcApiStatus).where(
            VcApiStatus.organisation_id == token.organisation_id,
            VcApiStatus.credential_id == credential_id).order_by(VcApiStatus.id)):
        slots.setdefault(slot.status_list.purpose, []).append(slot)
    if not slots:
        badge = _own_badge(db, token, credential_id)
        if badge is not None:
            return _update_badge(db, token, badge, credential_id, changes, body.get("reason"))
        raise VcApiNotFound(f"no credential {credential_id} was issued with a status by this "
                            "organisation")
    for status in changes:
        purpose, _value = STATUS_UPDATES[status]
        if purpose not in slots:
            raise VcApiError(f"credentialStatus: {credential_id} has no {purpose} entry, so it "
                             f"cannot be {status}")
    for status in changes:
        purpose, value = STATUS_UPDATES[status]
        for slot in slots[purpose]:
            set_status(db, slot.status_list, slot.status_index, value)
        audit(db, f"vc_api.{status}", token, token.organisation_id, subject=credential_id)
    return {"credentialId": credential_id,
            "credentialStatus": [{"type": STATUS_ENTRY, "status": s} for s in changes]}


def _own_badge(db: Session, token: ApiToken, credential_id: str) -> Credential | None:
    """The organisation's stored badge whose signed `id` is `credential_id`, or None."""
    uuid = credential_id.rstrip("/").rsplit("/", 1)[-1].removeprefix("urn:uuid:")
    badge = credential_by_uuid(db, uuid) if len(uuid) == 36 else None
    if badge is None or badge.organisation_id != token.organisation_id:
        return None
    return badge if json.loads(badge.signed_json).get("id") == credential_id else None


def _update_badge(db: Session, token: ApiToken, badge: Credential, credential_id: str,
                  changes: list[str], reason: Any) -> dict:
    """A badge of the service changes through the same request: revoked for good, or held
    and reinstated (services.suspension: the hold is this service's record)."""
    reason = reason if isinstance(reason, str) and reason.strip() else (
        "changed through the VC-API (POST /credentials/status)")
    try:
        for status in changes:
            if status == "revoked":
                if badge.revoked_at is None:
                    revocation.revoke(db, badge, reason, token)
            elif status == "suspended":
                suspension.suspend(db, badge, reason, token)
            else:
                suspension.reinstate(db, badge, reason, token)
    except ServiceError as error:
        raise VcApiError(f"credentialStatus: {error}") from None
    return {"credentialId": credential_id,
            "credentialStatus": [{"type": STATUS_ENTRY, "status": s} for s in changes]}


# --- requests ---------------------------------------------------------------------------------


def _issue_request(body: Any) -> tuple[dict, dict]:
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        raise VcApiError("send {\"credential\": {…}, \"options\": {…}}: the credential is a "
                         "JSON object")
    return body["credential"], _options(body)


def _status_request(body: Any) -> tuple[str, list[str]]:
    if not isinstance(body, dict) or not isinstance(body.get("credentialId"), str) \
            or not body["credentialId"]:
        raise VcApiError("send {\"credentialId\": \"…\", \"credentialStatus\": [{\"type\": "
                         f"\"{STATUS_ENTRY}\", \"status\": \"revoked\"}}]}}")
    changes = body.get("credentialStatus")
    if not isinstance(changes, list) or not changes:
        raise VcApiError("credentialStatus: a list of {\"type\", \"status\"}")
    statuses = []
    for change in changes:
        if not isinstance(change, dict) or change.get("type") != STATUS_ENTRY \
                or change.get("status") not in STATUS_UPDATES:
            raise VcApiError(f"credentialStatus: each is {{\"type\": \"{STATUS_ENTRY}\", "
                             f"\"status\": one of {', '.join(STATUS_UPDATES)}}}")
        statuses.append(change["status"])
    if len({STATUS_UPDATES[s][0] for s in statuses}) != len(statuses):
        raise VcApiError("credentialStatus: one change per purpose")
    return body["credentialId"], statuses


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


def _with_status(db: Session, org: Organisation, requested: Any, credential: dict) -> dict:
    """The credential with a slot per requested purpose, each recorded under its `id`."""
    entries = requested if isinstance(requested, list) else [requested]
    purposes = [_requested_purpose(entry) for entry in entries]
    if not purposes or len(set(purposes)) != len(purposes):
        raise VcApiError("options.credentialStatus: one entry per purpose, at least one")
    if _listed(credential.get("@context"))[:1] != [vc_model.CREDENTIALS_V2]:
        raise VcApiError("a BitstringStatusListEntry needs a VC 2.0 credential")
    if "credentialStatus" in credential:
        raise VcApiError("credential: has a credentialStatus of its own; the issuer adds the "
                         "one options.credentialStatus asks for")
    # The id is the handle of `POST /credentials/status`: without one the slot could never
    # be used, so the issuer gives one.
    credential_id = credential.get("id") or f"urn:uuid:{uuidlib.uuid4()}"
    status = []
    for purpose in purposes:
        status_list, index = allocate_slot(db, org, purpose)
        db.add(VcApiStatus(organisation_id=org.id, credential_id=credential_id,
                           status_list_id=status_list.id, status_index=index))
        status.append(status_entry(status_list, index))
    return {**credential, "id": credential_id,
            "credentialStatus": status[0] if len(status) == 1 else status}


def _requested_purpose(requested: Any) -> str:
    if not isinstance(requested, dict) or requested.get("type") != STATUS_ENTRY:
        raise VcApiError(f"options.credentialStatus: only {{\"type\": \"{STATUS_ENTRY}\"}} is "
                         "supported")
    purpose = requested.get("statusPurpose", REVOCATION)
    if purpose not in PURPOSES:
        raise VcApiError(f"options.credentialStatus: statusPurpose is one of "
                         f"{', '.join(PURPOSES)}")
    return purpose


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
