"""The OpenAPI 3.1 document of the JSON API (served at /api/v1/openapi.json) and /api/docs.

Written as Python data so schemas are shared between endpoints; the request schemas are
intake's own (issuer/services/intake_requests.py), which checks requests with them. A test
validates the document against the OpenAPI 3.1 specification and checks that every route of
the `api` blueprint is in it.
"""

from __future__ import annotations

from typing import Any

from issuer.services import intake_requests
from issuer.services.revocation import REASONS as REVOCATION_REASONS

API_VERSION = "1.0.0"
PREFIX = "/api/v1"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


_STRING = {"type": "string"}
_TIME = {"type": "string", "format": "date-time", "examples": ["2026-03-14T09:30:00Z"]}
_DATE = {"type": "string", "format": "date", "examples": ["2026-03-14"]}
_TEXTS = {"type": "object", "description": "Text per language code (en, fr, nl, it, es, pl).",
          "additionalProperties": {"type": "string"}, "examples": [{"en": "…", "fr": "…"}]}


def _object(properties: dict, required: tuple = (), extra: bool = False, **more: Any) -> dict:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": extra, **more}


SCHEMAS: dict[str, dict] = {
    **intake_requests.SCHEMAS,  # the request contract, the very schemas requests are checked with
    "Error": _object({
        "error": _object({
            "code": {"type": "string", "description": "A stable machine-readable code, e.g. "
                     "invalid_token, validation_failed, not_yet_acquired, malformed_json."},
            "message": {"type": "string", "description": "A sentence a person can act on."},
            "details": {"type": "array", "items": _ref("ErrorDetail")},
        }, required=("code", "message")),
    }, required=("error",)),
    "ErrorDetail": _object({
        "field": {"type": "string", "description": "The request field, e.g. learner.email or "
                  "results.dig-hole ('' for the whole body)."},
        "message": _STRING,
        "gesture": _STRING,
        "level": _nullable(_STRING),
        "required_level": _STRING,
    }, required=("field", "message"), extra=True),
    "Learner": _object({
        "id": {"type": "integer"},
        "name": _STRING,
        "email": _nullable(_STRING),
        "language": _nullable(_STRING),
        "wallet_did": _nullable(_STRING),
        "created_at": _TIME,
        "erased_at": _nullable(_TIME),
        "consent": {**_ref("Consent"), "description": "The learner's answers as recorded "
                    "(no answer recorded: false)."},
    }, required=("id", "name", "created_at", "erased_at", "consent")),
    "CredentialSummary": _object({
        "id": {"type": "string", "format": "uuid"},
        "short_id": {"type": "string", "description": "The id printed on the card."},
        "status": {"type": "string", "enum": ["valid", "revoked", "suspended", "expired"]},
        "template_id": _STRING,
        "template_version": _STRING,
        "learner_id": _nullable({"type": "integer"}),
        "language": _STRING,
        "issued_at": _TIME,
        "valid_from": _TIME,
        "valid_until": _nullable(_TIME),
        "revoked_at": _nullable(_TIME),
        "revocation_reason": _nullable(_STRING),
        "revocation_reason_code": _nullable(_STRING),
        "revocation_reason_public": {"type": "boolean", "description": "Whether the reason "
                                     "is shown on the public verification page."},
        "suspended_at": {**_nullable(_TIME), "description": "When the badge was put on hold "
                         "(null: it is not)."},
        "verify_url": {"type": "string", "format": "uri",
                       "description": "The public page the card's QR code points to."},
        "credential_url": {"type": "string", "format": "uri"},
    }, required=("id", "short_id", "status", "template_id", "template_version", "issued_at",
                 "verify_url", "credential_url")),
    "HoldRequest": _object({
        "reason": {"type": "string", "minLength": 1, "maxLength": 2000,
                   "description": "Why; kept in the audit log, never shown to readers."},
    }, required=("reason",)),
    "RevokeRequest": _object({
        "reason": {"type": "string", "minLength": 1, "maxLength": 2000,
                   "description": "Kept in the audit log; shown to whoever checks the badge "
                   "only when `public` is true."},
        "reason_code": {"type": "string", "enum": list(REVOCATION_REASONS),
                        "description": "Why, from a fixed list every reader of the verification "
                        "page sees in their own language (always public)."},
        "public": {"type": "boolean", "default": False,
                   "description": "Show the reason on the public verification page (the "
                   "HTML page and its JSON report). Off by default: a reason may hold personal "
                   "details."},
    }, required=("reason",)),
    "BulkResult": _object({
        "dry_run": {"type": "boolean"},
        "summary": {"type": "object", "additionalProperties": {"type": "integer"},
                    "description": "How many items got each status code."},
        "results": {"type": "array", "items": _object({
            "index": {"type": "integer", "description": "Position of the item in the request."},
            "status": {"type": "integer", "description": "What a single POST /credentials "
                       "would answer: 201, 200, 403, 409, 422…"},
            "credential": {"anyOf": [_ref("Credential"), _ref("CredentialSummary")]},
            "error": {"type": "object"},
        }, required=("index", "status"))},
    }, required=("dry_run", "summary", "results")),
    "VerificationReport": _object({
        "verdict": {"type": "string", "examples": ["valid", "revoked", "expired", "invalid"]},
        "valid": {"type": "boolean"},
        "credentialId": _nullable(_STRING),
        "issuer": {"type": "object"},
        "flags": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "checks": {"type": "array", "items": {"type": "object"}},
        "warnings": {"type": "array", "items": _STRING},
        "credential": _nullable({"type": "object"}),
    }, required=("verdict", "valid", "checks"), extra=True),
    "Template": _object({
        "id": _STRING,
        "version": _STRING,
        "theme": _nullable(_STRING),
        "languages": {"type": "array", "items": _STRING},
        "name": _TEXTS,
        "description": _TEXTS,
        "duration_hours": {"type": "number"},
        "gestures_needed": {"type": "integer"},
        "validity_months": _nullable({"type": "integer"}),
        "eqf_level": _nullable({"type": "integer"}),
        "gestures": {"type": "array", "items": _object({
            "id": _STRING,
            "name": _TEXTS,
            "observe": _TEXTS,
            "required_level": _STRING,
            "levels": {"type": "array", "items": _object(
                {"id": _STRING, "name": _TEXTS}, required=("id", "name"))},
        }, required=("id", "name", "required_level", "levels"))},
        "achievement_ids": {"type": "object", "additionalProperties": {"type": "string"}},
    }, required=("id", "version", "languages", "name", "gestures")),
    "TemplateList": _object({
        "items": {"type": "array", "items": _ref("Template")},
        "total": {"type": "integer"},
    }, required=("items", "total")),
}


def _page_schema(item: str) -> dict:
    return _object({
        "items": {"type": "array", "items": _ref(item)},
        "total": {"type": "integer"},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "next_offset": _nullable({"type": "integer"}),
    }, required=("items", "total", "limit", "offset", "next_offset"))


def _extended(base: str, properties: dict, required: tuple) -> dict:
    """`base` with more properties (allOf would clash with additionalProperties: false)."""
    schema = SCHEMAS[base]
    return _object({**schema["properties"], **properties},
                   required=(*schema["required"], *required))


SCHEMAS["Credential"] = _extended("CredentialSummary", {
    "credential": {"type": "object", "description": "The signed OpenBadgeCredential exactly "
                   "as issued (eddsa-rdfc-2022 proof)."},
    "claim_token": {"type": "string", "description": "Only in the 201 answer: give it to the "
                    "learner to claim the badge into a wallet; it is not stored."},
    "claim_email": _object({
        "sent": {"type": "boolean"},
        "message": {"type": "string", "description": "Why no e-mail was sent."},
    }, required=("sent",), description="Only when the request asked for send_claim_email."),
}, required=("credential",))
SCHEMAS["LearnerDetail"] = _extended("Learner", {
    "credentials": {"type": "array", "items": _ref("CredentialSummary")},
}, required=("credentials",))
SCHEMAS["ClrCredential"] = _object({
    "@context": {"type": "array"},
    "type": {"type": "array", "contains": {"const": "ClrCredential"}},
    "issuer": {"type": "object"},
    "credentialSubject": _object({
        "type": {"anyOf": [{"const": "ClrSubject"},
                           {"type": "array", "contains": {"const": "ClrSubject"}}]},
        "verifiableCredential": {"type": "array", "items": {"type": "object"},
                                 "description": "Each valid badge, exactly as signed."},
        "achievement": {"type": "array", "items": {"type": "object"}},
        "association": {"type": "array", "items": {"type": "object"}},
    }, required=("verifiableCredential",), extra=True),
    "partial": {"type": "boolean",
                "description": "True when revoked or expired badges were left out."},
    "proof": {"anyOf": [{"type": "object"}, {"type": "array"}]},
}, required=("@context", "type", "issuer", "credentialSubject", "proof"), extra=True,
    description="A CLR 2.0 learner record signed by the learner's organisation (eddsa-rdfc-2022).")
SCHEMAS["LearnerConsent"] = _object({
    "learner_id": {"type": "integer"},
    "consent": {**_ref("Consent"), "description": "The answers as recorded (no answer "
                "recorded, or an erased learner: false)."},
    "recorded_at": _object({purpose: _nullable(_TIME) for purpose in
                            intake_requests.SCHEMAS["ConsentChange"]["required"]},
                           required=tuple(intake_requests.SCHEMAS["ConsentChange"]["required"]),
                           description="When each answer was last recorded (null: never)."),
}, required=("learner_id", "consent", "recorded_at"))
SCHEMAS["CredentialPage"] = _page_schema("CredentialSummary")
SCHEMAS["LearnerPage"] = _page_schema("Learner")

_ERRORS = {
    "400": "Malformed body (not JSON, not UTF-8, unreadable credential).",
    "401": "No token, or an unknown or revoked token.",
    "403": "The record belongs to another organisation.",
    "404": "No such record.",
    "409": "Conflict (an idempotency key reused for a different request, or a badge not in "
           "the state the change needs).",
    "413": "The body is too large, or too many bulk items.",
    "415": "Wrong content type.",
    "422": "The request is understood but wrong; `details` names each field.",
}


def _errors(*codes: str) -> dict:
    return {code: {"description": _ERRORS[code], "content": {
        "application/json": {"schema": _ref("Error")}}} for code in codes}


def _json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: str, status: str = "200") -> dict:
    return {status: {"description": description, "content": _json_content(_ref(schema))}}


def _operation(operation_id: str, summary: str, tag: str, responses: dict,
               body: dict | None = None, parameters: list | None = None,
               description: str | None = None) -> dict:
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag],
                                 "responses": {**responses, **_errors("401")}}
    if description:
        operation["description"] = description
    if body is not None:
        operation["requestBody"] = body
    if parameters:
        operation["parameters"] = parameters
    return operation


def _json_body(schema: str) -> dict:
    return {"required": True, "content": _json_content(_ref(schema))}


def _path_parameter(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


_PAGING = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
           "Page size."),
    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Items to skip."),
]
_CREDENTIAL_UUID = _path_parameter("credential_uuid", {"type": "string", "format": "uuid"},
                                   "The credential's uuid (the last part of its id).")
_LEARNER_ID = _path_parameter("learner_id", {"type": "integer"}, "The learner's id.")


def _paths() -> dict:
    issued = {
        "201": {"description": "Issued.", "content": _json_content(_ref("Credential"))},
        "200": {"description": "Already issued (same idempotency key, or the same learner "
                "in the same session): the same credential.",
                "content": _json_content(_ref("Credential"))},
    }
    return {
        "/credentials": {
            "post": _operation(
                "issueCredential", "Issue one badge", "credentials",
                {**issued, **_errors("400", "403", "409", "413", "415", "422")},
                body=_json_body("IssueRequest"),
                description="Creates or reuses the learner and a session, saves the "
                "evaluation and issues. When a gesture is not yet acquired the evaluation is "
                "saved and the answer is 422 `not_yet_acquired` with one detail per gesture."),
            "get": _operation(
                "listCredentials", "List the organisation's credentials", "credentials",
                {**_ok("A page of credentials, newest first.", "CredentialPage"),
                 **_errors("422")},
                parameters=[
                    *_PAGING,
                    _query("template_id", _STRING, "Only this micro-training."),
                    _query("learner_id", {"type": "integer"}, "Only this learner."),
                    _query("status", {"type": "string", "enum": ["valid", "revoked", "expired"]},
                           "Only credentials in this state."),
                    _query("since", _STRING, "Issued at or after this date or UTC time."),
                ]),
        },
        "/credentials/bulk": {
            "post": _operation(
                "issueCredentialsBulk", "Issue many badges, each on its own", "credentials",
                {**_ok("One result per item, in order.", "BulkResult"),
                 **_errors("400", "413", "415", "422")},
                body=_json_body("BulkIssueRequest"),
                parameters=[_query("dry_run", {"type": "boolean", "default": False},
                                   "Check every item and answer what would happen; writes "
                                   "nothing.")],
                description="Each item is its own transaction: a refused item does not stop "
                "the others. Each result carries the status a single call would answer."),
        },
        "/credentials/{credential_uuid}": {
            "get": _operation(
                "getCredential", "One credential with its status and signed JSON",
                "credentials",
                {**_ok("The credential.", "Credential"), **_errors("403", "404")},
                parameters=[_CREDENTIAL_UUID]),
        },
        "/credentials/{credential_uuid}/revoke": {
            "post": _operation(
                "revokeCredential", "Revoke a credential", "credentials",
                {**_ok("Revoked (now, or earlier: revoking again returns the first "
                       "revocation unchanged).", "CredentialSummary"),
                 **_errors("400", "403", "404", "415", "422")},
                body=_json_body("RevokeRequest"), parameters=[_CREDENTIAL_UUID],
                description="The status list changes in the same transaction; verifiers see "
                "it within the status list's cache time (60 s)."),
        },
        "/credentials/{credential_uuid}/suspend": {
            "post": _operation(
                "suspendCredential", "Suspend a credential (put it on hold)", "credentials",
                {**_ok("Suspended.", "CredentialSummary"),
                 **_errors("400", "403", "404", "409", "415", "422")},
                body=_json_body("HoldRequest"), parameters=[_CREDENTIAL_UUID],
                description="This service's verification page and JSON then say "
                "\"suspended\" until the badge is reinstated. The signed badge carries one "
                "credentialStatus (revocation, as OB 3.0 allows), so other verifiers do not see "
                "a suspension. 409 when the badge is revoked or already suspended."),
        },
        "/credentials/{credential_uuid}/reinstate": {
            "post": _operation(
                "reinstateCredential", "Reinstate a suspended credential", "credentials",
                {**_ok("Reinstated.", "CredentialSummary"),
                 **_errors("400", "403", "404", "409", "415", "422")},
                body=_json_body("HoldRequest"), parameters=[_CREDENTIAL_UUID],
                description="409 when the badge is not suspended."),
        },
        "/verify": {
            "post": _operation(
                "verifyCredential", "Verify any Open Badges 3.0 credential", "verification",
                {**_ok("The verification report (also for credentials that fail).",
                       "VerificationReport"), **_errors("400", "413", "415", "422")},
                body={"required": True, "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/plain": {"schema": {"type": "string",
                                              "description": "A compact VC-JWT."}},
                    "image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}},
                    "image/svg+xml": {"schema": {"type": "string"}},
                    "multipart/form-data": {"schema": _object(
                        {"file": {"type": "string", "contentMediaType":
                                  "application/octet-stream"}}, required=("file",))},
                }}),
        },
        **_vc_api_paths(),
        "/templates": {
            "get": _operation("listTemplates", "The micro-trainings you can issue", "catalogue",
                              _ok("The current version of each micro-training.",
                                  "TemplateList")),
        },
        "/templates/{template_id}": {
            "get": _operation(
                "getTemplate", "One micro-training with its gestures and level ids",
                "catalogue", {**_ok("The micro-training.", "Template"), **_errors("404")},
                parameters=[_path_parameter("template_id", _STRING, "The catalogue id.")]),
        },
        "/learners": {
            "get": _operation("listLearners", "The organisation's learners", "learners",
                              {**_ok("A page of learners, newest first.", "LearnerPage"),
                               **_errors("422")}, parameters=list(_PAGING)),
            "post": _operation("createLearner", "Add a learner", "learners",
                               {**_ok("Created.", "Learner", "201"),
                                **_errors("400", "415", "422")},
                               body=_json_body("LearnerInput")),
        },
        "/learners/{learner_id}": {
            "get": _operation("getLearner", "A learner and their credentials", "learners",
                              {**_ok("The learner.", "LearnerDetail"),
                               **_errors("403", "404")}, parameters=[_LEARNER_ID]),
            "delete": _operation(
                "eraseLearner", "Erase a learner's personal data at their request", "learners",
                {**_ok("Erased (again: unchanged).", "Learner"), **_errors("403", "404")},
                parameters=[_LEARNER_ID],
                description="Every badge of the learner is revoked, their name, e-mail, "
                "wallet DID, comments and photos are removed from the database, and the "
                "stored copies of their credentials are redacted. The signed copy the learner "
                "holds stays theirs."),
        },
        "/learners/{learner_id}/consent": {
            "get": _operation(
                "getLearnerConsent", "A learner's consent answers", "learners",
                {**_ok("The four answers and when each was recorded.", "LearnerConsent"),
                 **_errors("403", "404")}, parameters=[_LEARNER_ID]),
            "put": _operation(
                "changeLearnerConsent", "Change a learner's consent answers", "learners",
                {**_ok("The answers as now recorded.", "LearnerConsent"),
                 **_errors("400", "403", "404", "415", "422")},
                body=_json_body("ConsentChange"), parameters=[_LEARNER_ID],
                description="Give all four answers. Each changed one is recorded with today's "
                "date and this token, and the audit log keeps the earlier answer, as when an "
                "admin changes them on the learner's page. What the learner no longer agrees "
                "to stops at once: no claim e-mail without `email`, no photo without `photo`, "
                "no name on new badges without `name`, left out of the statistics without "
                "`statistics`. An erased learner's answers cannot be changed (422)."),
        },
        "/learners/{learner_id}/record": {
            "get": _operation(
                "getLearnerRecord", "A learner's record: every valid badge in one signed CLR",
                "learners", {"200": {"description": "The signed ClrCredential.", "content": {
                    "application/vc+ld+json": {"schema": _ref("ClrCredential")}}},
                    **_errors("403", "404")}, parameters=[_LEARNER_ID],
                description="Every valid badge of the person (across partners only where the "
                "learner proved both records are theirs), each achievement once and embedded "
                "exactly as its issuer signed it (the original, never a wallet copy), with the "
                "skills they count toward; signed by your organisation. Served as "
                "application/vc+ld+json, like the learner's own download. Hand it to a "
                "further-training body."),
        },
        "/openapi.json": {
            "get": {"operationId": "getOpenApiDocument", "summary": "This document",
                    "tags": ["meta"], "security": [],
                    "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                                          "content": _json_content({"type": "object"})}}},
        },
    }


def _vc_api_paths() -> dict:
    """The W3C VC-API operations (issuer.web.vc_api), as the W3C test suites call them."""
    result = _json_content(_object({"verified": {"type": "boolean"}, "checks": {
        "type": "array", "items": _STRING}, "warnings": {"type": "array", "items": _STRING},
        "errors": {"type": "array", "items": _STRING}}, required=("verified",), extra=True))
    verified = {"200": {"description": "Verified.", "content": result},
                "422": {"description": "Not verified: the same result with `verified` false, "
                        "and an `error`.", "content": result}}
    def body(name: str) -> dict:
        return {"required": True, "content": _json_content(_object(
            {name: {"type": "object"}, "options": {"type": "object"}}, required=(name,)))}
    return {
        "/credentials/issue": {"post": _operation(
            "vcApiIssueCredential", "W3C VC-API: sign any credential as your organisation",
            "vc-api", {"201": {"description": "Signed.", "content": _json_content(_object(
                {"verifiableCredential": {"type": "object"}}))},
                **_errors("400", "403", "413", "415", "422")}, body=body("credential"),
            description="Needs the `sign` permission. The credential's `issuer` must be your "
            "organisation's did:web or the did:key of its active key; it is checked against "
            "the W3C data model first (422 names the broken rule). `options.credentialStatus` "
            "`{\"type\": \"BitstringStatusListEntry\"}` adds a revocation slot; with "
            "`\"statusPurpose\": \"suspension\"`, or a list of both, a suspension slot too. "
            "A credential given a status keeps it under its `id` (a `urn:uuid:` id is added "
            "when it has none) for `/credentials/status`. `options.envelope` "
            "`application/vc+jwt` answers an `EnvelopedVerifiableCredential` (the credential "
            "secured as a VC-JOSE-COSE JWT in a `data:` URL) instead of a Data Integrity proof "
            "(VC 2.0 credentials only).")},
        "/credentials/status": {"post": _operation(
            "vcApiUpdateStatus", "W3C VC-API: revoke, suspend or unsuspend a credential",
            "vc-api", {"200": {"description": "Updated.", "content": _json_content(_object(
                {"credentialId": _STRING, "credentialStatus": {"type": "array"}}))},
                **_errors("400", "403", "404", "413", "415")},
            body={"required": True, "content": _json_content(_object({
                "credentialId": _STRING,
                "credentialStatus": {"type": "array", "minItems": 1, "items": _object({
                    "type": {"const": "BitstringStatusListEntry"},
                    "status": {"enum": ["revoked", "suspended", "unsuspended"]}},
                    required=("type", "status"))}}, required=("credentialId",
                                                              "credentialStatus")))},
            description="Needs the `status` permission. `credentialId` is the `id` of a "
            "credential your organisation signed through `/credentials/issue` with a "
            "`credentialStatus`; any other id is 404. `revoked` cannot be undone; `suspended` "
            "and `unsuspended` need a suspension entry (400 otherwise).")},
        "/credentials/verify": {"post": _operation(
            "vcApiVerifyCredential", "W3C VC-API: verify any VC 1.1 / 2.0 credential",
            "vc-api", {**verified, **_errors("400", "413", "415")},
            body=body("verifiableCredential"),
            description="An `EnvelopedVerifiableCredential` (`data:application/vc+jwt,…`) "
            "is opened and its JWT verified like any VC-JWT, issuer binding included. "
            "`options.checks` lists the checks asked for; without "
            "`issuer-binding` in it, a key its issuer does not control is a warning.")},
        "/presentations/verify": {"post": _operation(
            "vcApiVerifyPresentation", "W3C VC-API: verify a presentation and its credentials",
            "vc-api", {**verified, **_errors("400", "413", "415")},
            body=body("verifiablePresentation"),
            description="The holder's proof (`authentication`, did:key) must name "
            "`options.challenge` and `options.domain` when they are given.")},
    }


def document(base_url: str) -> dict:
    """The OpenAPI 3.1 document, with this deployment's server URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SKY Badges issuer API",
            "version": API_VERSION,
            "description": "Issue, revoke, list and verify Open Badges 3.0 credentials of "
            "micro-trainings. Authenticate with a per-organisation API token "
            "(`Authorization: Bearer <token>`); a token acts only for its organisation. "
            "Errors are JSON: `{\"error\": {\"code\", \"message\", \"details\"}}`.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": base_url.rstrip("/") + PREFIX}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": name} for name in
                 ("credentials", "verification", "vc-api", "catalogue", "learners", "meta")],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "A per-organisation API token (`sky_…`), created by an "
                "administrator and shown once.",
            }},
        },
    }


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
<h1>{{ title }}</h1>
<p>{{ description }}</p>
<p>Base URL: <code>{{ server }}</code>.
The machine-readable description is <a href="{{ document_url }}">openapi.json</a>.</p>
<table>
<caption>Operations</caption>
<thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">What it does</th>
<th scope="col">Answers</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td><code>{{ row.method }}</code></td><td><code>{{ row.path }}</code></td>
<td>{{ row.summary }}</td><td>{{ row.statuses }}</td></tr>
{% endfor %}</tbody>
</table>
</main>
</body>
</html>
"""


def docs_context(doc: dict) -> dict:
    """What the /api/docs page shows: one row per operation of the document."""
    rows = [
        {"method": method.upper(), "path": PREFIX + path, "summary": operation["summary"],
         "statuses": ", ".join(sorted(operation["responses"]))}
        for path, item in doc["paths"].items() for method, operation in item.items()
    ]
    server = doc["servers"][0]["url"]
    return {"title": doc["info"]["title"], "description": doc["info"]["description"],
            "server": server, "document_url": f"{server}/openapi.json", "rows": rows}
