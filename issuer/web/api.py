"""The JSON API under /api/v1: issue (single and bulk), revoke, get, list, verify, templates,
learners, their consent and their records (CLR). Described by the OpenAPI document at
/api/v1/openapi.json (issuer/web/openapi.py).

Every call but the document itself carries `Authorization: Bearer <token>`, a per-organisation
API token (services.api_tokens); a token acts only for its own organisation. Errors are always
`{"error": {"code", "message", "details"}}` with a 4xx status: 401 no or bad token, 403 another
organisation's record, 404 unknown, 409 conflict, 413 too large, 415 wrong content type,
422 a request that is understood but wrong. Revoking twice answers 200 with the first
revocation (revocation is idempotent; the first reason is kept).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, g, jsonify, render_template_string, request
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload
from werkzeug.exceptions import HTTPException

from issuer.core import baking
from issuer.core.clock import utc_seconds, utc_stamp
from issuer.core.errors import BadgeError, LimitError
from issuer.services import (
    api_tokens,
    catalogue,
    consent,
    intake,
    intake_requests,
    learner_record,
    learners,
    minting,
    publishing,
    revocation,
    suspension,
    unit_of_work,
    verification,
)
from issuer.services.base import ServiceError
from issuer.services.intake import Outcome, learner_of
from issuer.services.intake_requests import MAX_ID, IntakeError, Problems
from issuer.services.urls import verify_url
from issuer.store.models import AchievementTemplate, ApiToken, Credential, Learner

from . import edge, openapi
from .api_issue import VERDICT_STATUS, ApiError
from .capacity import RETRY_AFTER_SECONDS, verification_slot
from .errors import http_status
from .extensions import db, settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_BODY_BYTES = 256 * 1024
MAX_BULK_BYTES = 8 * 1024 * 1024
MAX_VERIFY_BYTES = 4 * 1024 * 1024
DEFAULT_PAGE, MAX_PAGE = 50, 200
PUBLIC_ENDPOINTS = {"api.openapi_document"}
# The scope each endpoint needs; an endpoint missing here is refused to every token.
ENDPOINT_SCOPES = {
    "api.issue_credential": "issue",
    "api.issue_credentials_bulk": "issue",
    "api.list_credentials": "read",
    "api.get_credential": "read",
    "api.revoke_credential": "revoke",
    "api.suspend_credential": "revoke",
    "api.reinstate_credential": "revoke",
    "api.verify": "read",
    "api.list_templates": "read",
    "api.get_template": "read",
    "api.list_learners": "learners",
    "api.create_learner": "learners",
    "api.get_learner": "learners",
    "api.get_learner_record": "learners",
    "api.erase_learner": "learners",
    "api.get_learner_consent": "learners",
    "api.change_learner_consent": "learners",
    # The W3C VC-API (issuer.web.vc_api): signing arbitrary credentials is a permission apart.
    "api.vc_issue": "sign",
    "api.vc_update_status": "status",
    "api.vc_verify_credential": "read",
    "api.vc_verify_presentation": "read",
}
JSON_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json")
JWT_TYPES = ("text/plain", "application/jwt", "application/vc+jwt", "application/vc+ld+jwt")
IMAGE_TYPES = ("image/png", "image/svg+xml")
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_STATUSES = ("valid", "revoked", "expired")
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large",
          415: "unsupported_media_type", 422: "validation_failed", 429: "too_many_requests"}


# --- authentication and errors ----------------------------------------------------------------


@bp.before_request
def _authenticate() -> None:
    """Every call but the OpenAPI document needs a live token of an organisation."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if not header:
        raise ApiError(401, "missing_token", "send your API token as 'Authorization: Bearer "
                       "<token>'; an administrator creates tokens for your organisation")
    if scheme.lower() != "bearer":
        raise ApiError(401, "invalid_token", "use the Bearer scheme: 'Authorization: Bearer "
                       "<token>'")
    token = api_tokens.authenticate(db(), presented.strip())
    if token is None:
        raise ApiError(401, "invalid_token", "this API token is unknown, expired or revoked")
    db().commit()  # keeps last_used_at whatever the call does next
    scope = ENDPOINT_SCOPES.get(request.endpoint)
    if scope is None or not api_tokens.allows(token, scope):
        raise ApiError(403, "insufficient_scope",
                       f"this API token may not do this: it needs the '{scope}' permission")
    g.api_token = token


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    response = jsonify(error.to_json())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sky-badges"'
    if error.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.errorhandler(IntakeError)
def _intake_error(error: IntakeError) -> Response:
    return _api_error(ApiError.of(error))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    message = {413: "the request is larger than this endpoint accepts",
               405: "this address does not accept this method"}.get(
        status, error.description or "the request could not be understood")
    return _api_error(ApiError(status, _CODES.get(status, "error"), message))


@bp.errorhandler(BadgeError)
def _badge_error(error: BadgeError) -> Response:
    return _api_error(_as_api_error(error))


def _as_api_error(error: BadgeError) -> ApiError:
    """A service or engine refusal as an API error (a malformed document is 422 here too)."""
    status = http_status(error, malformed=422)
    message = " ".join(str(error).split()) or type(error).__name__
    return ApiError(status, _CODES.get(status, "unprocessable"), message)


def _item_error(error: ApiError | BadgeError) -> dict:
    """One bulk item's refusal: its status and the error body a single call would return."""
    if isinstance(error, IntakeError):
        error = ApiError.of(error)
    elif not isinstance(error, ApiError):
        error = _as_api_error(error)
    return {"status": error.status, **error.to_json()}


def _token() -> ApiToken:
    return g.api_token


def _json(status: int, body: Any) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


# --- request bodies ---------------------------------------------------------------------------


def _json_body(limit: int = MAX_BODY_BYTES) -> Any:
    """The request's JSON body: 415 if it is not JSON, 413 if too large, 400 if malformed."""
    mimetype = request.mimetype
    if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type",
                       f"send JSON with 'Content-Type: application/json' (got "
                       f"{mimetype or 'no content type'})")
    return _parse_json(_body_bytes(limit))


def _body_bytes(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"the request is larger than {limit} bytes")
    request.max_content_length = limit
    return request.get_data(cache=True)


def _parse_json(data: bytes) -> Any:
    try:
        return edge.parse_request_json(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ApiError(400, "malformed_json", "the body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ApiError(400, "malformed_json",
                       f"the body is not valid JSON: {error.msg} at line {error.lineno}, "
                       f"column {error.colno}") from None
    except LimitError as error:
        raise ApiError(400, "too_complex", str(error)) from None
    except edge.UnsafeText as error:
        raise ApiError(400, "invalid_text", str(error)) from None


# --- credentials ------------------------------------------------------------------------------


@bp.post("/credentials")
def issue_credential() -> Response:
    """Issue one badge: 201 new, 200 the same credential again, 422 not yet acquired."""
    outcome = intake.issue_one(db(), _token(), _json_body())
    if outcome.error is not None:
        raise outcome.error
    return _json(VERDICT_STATUS[outcome.verdict], _issued_json(outcome))


@bp.post("/credentials/bulk")
def issue_credentials_bulk() -> Response:
    """Issue many badges, each on its own; `?dry_run=true` answers without writing."""
    items = intake_requests.check_bulk_request(_json_body(MAX_BULK_BYTES))
    dry_run = _flag("dry_run")
    run = _dry_run_item if dry_run else _bulk_item
    results = [{"index": index, **run(item)} for index, item in enumerate(items)]
    summary: dict[str, int] = {}
    for result in results:
        summary[str(result["status"])] = summary.get(str(result["status"]), 0) + 1
    return _json(200, {"dry_run": dry_run, "summary": summary, "results": results})


def _bulk_item(item: Any) -> dict:
    try:
        outcome = intake.issue_one(db(), _token(), item)
    except (ApiError, BadgeError) as error:
        return _item_error(error)
    except SQLAlchemyError:
        return {"status": 409, **ApiError(409, "conflict", "this item could not be saved "
                                          "(a concurrent change); send it again").to_json()}
    status = VERDICT_STATUS[outcome.verdict]
    if outcome.error is not None:
        return {"status": status, **ApiError.of(outcome.error).to_json()}
    return {"status": status, "credential": _issued_json(outcome)}


def _dry_run_item(item: Any) -> dict:
    try:
        plan = intake.plan_issue(db(), _token(), intake_requests.parse_issue_request(item))
    except (ApiError, BadgeError) as error:
        return _item_error(error)
    finally:
        db().rollback()  # planning writes nothing; make sure of it
    status = VERDICT_STATUS[plan.verdict]
    if plan.verdict == intake.NOT_YET_ACQUIRED:
        return {"status": status, **ApiError.of(intake.not_yet_error(plan)).to_json()}
    if plan.verdict == intake.ALREADY_ISSUED:
        return {"status": status, "credential": _credential_summary(plan.existing)}
    return {"status": status}


@bp.get("/credentials")
def list_credentials() -> Response:
    """The organisation's credentials, newest first; filters and limit/offset paging."""
    problems = Problems()
    query = (select(Credential).options(selectinload(Credential.template))
             .where(Credential.organisation_id == _token().organisation_id))
    query = _credential_filters(query, problems)
    paging = _paging(problems)
    problems.raise_if_any()
    return _page(query.order_by(Credential.issued_at.desc(), Credential.id.desc()),
                 _credential_summary, *paging)


def _credential_filters(query, problems: Problems):
    args = request.args
    if args.get("template_id"):
        query = query.join(AchievementTemplate, Credential.template_pk == AchievementTemplate.id
                           ).where(AchievementTemplate.template_id == args["template_id"])
    learner_id = _whole(args.get("learner_id"), None, 1, MAX_ID, "learner_id", problems)
    if learner_id is not None:
        query = query.where(Credential.learner_id == learner_id)
    status = args.get("status")
    now = utc_seconds()
    if status == "revoked":
        query = query.where(Credential.revoked_at.is_not(None))
    elif status == "valid":
        query = query.where(Credential.revoked_at.is_(None)).where(
            (Credential.valid_until.is_(None)) | (Credential.valid_until > now))
    elif status == "expired":
        query = query.where(Credential.revoked_at.is_(None), Credential.valid_until <= now)
    elif status:
        problems.add("status", f"must be one of {', '.join(_STATUSES)}")
    if args.get("since"):
        since = _moment(args["since"])
        if since is None:
            problems.add("since", "must be a date (2026-03-14) or a UTC time "
                         "(2026-03-14T09:00:00Z)")
        else:
            query = query.where(Credential.issued_at >= since)
    return query


@bp.get("/credentials/<uuid:credential_uuid>")
def get_credential(credential_uuid) -> Response:
    """One credential: its summary, status and the signed JSON exactly as issued."""
    credential = _credential(str(credential_uuid))
    return _json(200, _credential_detail(credential))


@bp.post("/credentials/<uuid:credential_uuid>/revoke")
def revoke_credential(credential_uuid) -> Response:
    """Revoke with a reason (public on the verification page only if asked); revoking again
    answers 200 with the first revocation."""
    credential = _credential(str(credential_uuid))
    body = _json_body()
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(422, "validation_failed", "a reason is required to revoke a badge; it "
                       "is kept in the audit log", [{"field": "reason",
                                                    "message": "is required"}])
    public = body.get("public", False)
    if not isinstance(public, bool):
        raise ApiError(422, "validation_failed", "public must be true or false",
                       [{"field": "public", "message": "must be a boolean"}])
    code = body.get("reason_code")
    if code is not None and code not in revocation.REASONS:
        raise ApiError(422, "validation_failed", "reason_code must be one of the listed reasons",
                       [{"field": "reason_code", "message": "unknown reason"}])
    if credential.revoked_at is None:
        with unit_of_work(db()):
            revocation.revoke(db(), credential, reason, _token(), public=public, code=code)
    return _json(200, _credential_summary(credential))


@bp.post("/credentials/<uuid:credential_uuid>/suspend")
def suspend_credential(credential_uuid) -> Response:
    """Put a badge on hold with a reason (audited); this service's pages then say suspended."""
    return _change_hold(str(credential_uuid), suspension.suspend)


@bp.post("/credentials/<uuid:credential_uuid>/reinstate")
def reinstate_credential(credential_uuid) -> Response:
    """End a badge's hold with a reason (audited)."""
    return _change_hold(str(credential_uuid), suspension.reinstate)


def _change_hold(credential_uuid: str, change) -> Response:
    credential = _credential(credential_uuid)
    body = _json_body()
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(422, "validation_failed", "a reason is required; it is kept in the "
                       "audit log", [{"field": "reason", "message": "is required"}])
    try:
        with unit_of_work(db()):
            change(db(), credential, reason, _token())
    except ServiceError as error:
        raise ApiError(409, "conflict", str(error)) from None
    return _json(200, _credential_summary(credential))


def _credential(credential_uuid: str) -> Credential:
    credential = publishing.credential_by_uuid(db(), credential_uuid)
    if credential is None:
        raise ApiError(404, "not_found", f"there is no credential {credential_uuid}")
    if credential.organisation_id != _token().organisation_id:
        raise ApiError(403, "forbidden", "this credential was issued by another organisation")
    return credential


# --- verification -----------------------------------------------------------------------------


@bp.post("/verify")
def verify() -> Response:
    """Verify any OB 3.0 credential: JSON, a compact JWT (text/plain) or a baked PNG/SVG."""
    source = _verifiable()
    with verification_slot(settings().verify_slots) as free:
        if not free:
            raise ApiError(503, "busy", "the verifier is busy; try again in a few seconds")
        report = verification.verify_any(source, db=db())
    return _json(200, publishing.report_json(report))


def _verifiable() -> dict | str:
    mimetype = request.mimetype
    if mimetype in JSON_TYPES or mimetype.endswith("+json"):
        document = _parse_json(_body_bytes(MAX_VERIFY_BYTES))
        if not isinstance(document, dict):
            raise ApiError(422, "validation_failed", "a credential is a JSON object",
                           [{"field": "", "message": "expected an object"}])
        return document
    if mimetype in JWT_TYPES:
        return _jwt(_body_bytes(MAX_VERIFY_BYTES))
    if mimetype in IMAGE_TYPES:
        return _from_image(_body_bytes(MAX_VERIFY_BYTES))
    if mimetype == "multipart/form-data":
        return _from_upload()
    raise ApiError(415, "unsupported_media_type", "send the credential as application/json, "
                   "a JWT as text/plain, a baked image as image/png or image/svg+xml, or a "
                   "multipart/form-data upload in the field 'file'")


def _jwt(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace").strip()
    if not _COMPACT_JWS.match(text):
        raise ApiError(400, "unreadable_credential", "the body is not a compact JWT "
                       "(three base64url parts separated by dots)")
    return text


def _from_image(data: bytes) -> dict | str:
    try:
        return baking.extract(data)
    except BadgeError as error:
        raise ApiError(400, "unreadable_credential",
                       f"this image holds no credential we can read: {error}") from None


def _from_upload() -> dict | str:
    _body_bytes(MAX_VERIFY_BYTES)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(422, "validation_failed", "upload the credential in the field 'file'",
                       [{"field": "file", "message": "is required"}])
    data = upload.read()
    if data.startswith(baking.PNG_SIGNATURE) or upload.filename.lower().endswith(
            (".png", ".svg")) or data.lstrip().startswith(b"<"):
        return _from_image(data)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        document = _parse_json(data)
        if isinstance(document, dict):
            return document
    return _jwt(data)


# --- templates --------------------------------------------------------------------------------


@bp.get("/templates")
def list_templates() -> Response:
    """The micro-trainings of the imported catalogue (current versions) that can be issued."""
    templates = catalogue.issuable_templates(db(), _token().organisation)
    return _json(200, {"items": [_template_json(t) for t in templates], "total": len(templates)})


@bp.get("/templates/<template_id>")
def get_template(template_id: str) -> Response:
    """One micro-training (the version the organisation issues), with gestures and level ids."""
    template = catalogue.issuable_template(db(), _token().organisation, template_id)
    if template is None or template.kind != catalogue.TRAINING:
        raise ApiError(404, "not_found", f"there is no micro-training {template_id!r} in the "
                       "imported catalogue")
    return _json(200, _template_json(template))


def _template_json(template: AchievementTemplate) -> dict:
    training = catalogue.training_of(template)
    return {
        "id": template.template_id,
        "version": template.version,
        "theme": template.theme,
        "languages": list(training.languages),
        "name": dict(training.name),
        "description": dict(training.description),
        "duration_hours": training.duration_hours,
        "gestures_needed": training.gestures_needed,
        "validity_months": training.validity_months,
        "eqf_level": training.eqf_level,
        "gestures": [{
            "id": gesture.id,
            "name": dict(gesture.name),
            "observe": dict(gesture.observe),
            "required_level": gesture.required_level,
            "levels": [{"id": level.id, "name": dict(level.name)} for level in gesture.levels],
        } for gesture in training.gestures],
        "achievement_ids": {language: catalogue.achievement_id(template, language)
                            for language in training.languages},
    }


# --- learners ---------------------------------------------------------------------------------


@bp.get("/learners")
def list_learners() -> Response:
    """The organisation's learners (erased ones too, without personal data), newest first."""
    problems = Problems()
    paging = _paging(problems)
    problems.raise_if_any()
    query = select(Learner).where(Learner.organisation_id == _token().organisation_id)
    return _page(query.order_by(Learner.created_at.desc(), Learner.id.desc()), _learner_json,
                 *paging)


@bp.post("/learners")
def create_learner() -> Response:
    """Add a learner: a name is enough; e-mail, language and wallet DID are optional."""
    described = intake_requests.parse_learner(_json_body())
    token = _token()
    with unit_of_work(db()):
        learner = learners.create_learner(db(), token.organisation, described.name,
                                          described.email, described.language, actor=token,
                                          answers=consent.answers_given(described.consent))
        learner.wallet_did = described.wallet_did
    return _json(201, _learner_json(learner))


@bp.get(f"/learners/<int(max={MAX_ID}):learner_id>")
def get_learner(learner_id: int) -> Response:
    """A learner and the credentials issued to them."""
    learner = learner_of(db(), _token(), learner_id)
    credentials = db().scalars(select(Credential).where(Credential.learner_id == learner.id)
                               .order_by(Credential.issued_at.desc(), Credential.id.desc()))
    return _json(200, {**_learner_json(learner),
                       "credentials": [_credential_summary(c) for c in credentials]})


@bp.get(f"/learners/<int(max={MAX_ID}):learner_id>/record")
def get_learner_record(learner_id: int) -> Response:
    """The learner's valid badges as one ClrCredential signed by the organisation."""
    learner = learner_of(db(), _token(), learner_id)
    with unit_of_work(db()):
        document = learner_record.clr_document(db(), learner, _token())
    response = _json(200, document)
    response.mimetype = "application/vc+ld+json"  # as the learner's and the admin's download
    return response


@bp.get(f"/learners/<int(max={MAX_ID}):learner_id>/consent")
def get_learner_consent(learner_id: int) -> Response:
    """The learner's four consent answers, each with when it was recorded."""
    return _json(200, _consent_json(learner_of(db(), _token(), learner_id)))


@bp.put(f"/learners/<int(max={MAX_ID}):learner_id>/consent")
def change_learner_consent(learner_id: int) -> Response:
    """Change the learner's answers (all four given), as an admin does on the learner's page:
    each changed answer recorded with this token and today's date, the earlier one audited."""
    learner = learner_of(db(), _token(), learner_id)
    answers = intake_requests.parse_consent_change(_json_body())
    with unit_of_work(db()):
        consent.record(db(), learner, consent.Consent.of(answers), _token())
    return _json(200, _consent_json(learner))


def _consent_json(learner: Learner) -> dict:
    recorded = consent.recorded(learner) if learner.erased_at is None else {}
    return {
        "learner_id": learner.id,
        "consent": consent.answers_of(learner).as_dict(),
        "recorded_at": {purpose: _time(recorded[purpose].recorded_at)
                        if purpose in recorded else None for purpose in consent.PURPOSES},
    }


@bp.delete(f"/learners/<int(max={MAX_ID}):learner_id>")
def erase_learner(learner_id: int) -> Response:
    """Erasure on the learner's request: badges revoked, personal data removed (DESIGN §7)."""
    learner = learner_of(db(), _token(), learner_id)
    if learner.erased_at is None:
        with unit_of_work(db()):
            learners.erase_learner(db(), learner, _token())
        learners.forget_deleted(db())
    return _json(200, _learner_json(learner))


def _learner_json(learner: Learner) -> dict:
    return {
        "id": learner.id,
        "name": learner.name,
        "email": learner.email,
        "language": learner.language,
        "wallet_did": learner.wallet_did,
        "created_at": _time(learner.created_at),
        "erased_at": _time(learner.erased_at),
        "consent": consent.answers_of(learner).as_dict(),
    }


# --- the OpenAPI document ---------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 description of this API (no token needed)."""
    return _json(200, openapi.document(settings().public_base_url))


@bp.record_once
def _register_docs_page(state) -> None:
    """A human page at /api/docs listing the endpoints (outside /api/v1, no token)."""
    state.app.add_url_rule("/api/docs", "api_docs", _docs_page)


def _docs_page() -> str:
    return render_template_string(openapi.DOCS_PAGE, **openapi.docs_context(
        openapi.document(settings().public_base_url)))


# --- JSON forms of records --------------------------------------------------------------------


def _issued_json(outcome: Outcome) -> dict:
    body = _credential_detail(outcome.credential)
    if outcome.claim_token:
        body["claim_token"] = outcome.claim_token
    if outcome.claim_email is not None:
        body["claim_email"] = outcome.claim_email
    return body


def _credential_summary(credential: Credential) -> dict:
    template = credential.template
    return {
        "id": credential.uuid,
        "short_id": credential.short_id,
        "status": _status(credential),
        "template_id": template.template_id,
        "template_version": template.version,
        "learner_id": credential.learner_id,
        "language": credential.language,
        "issued_at": _time(credential.issued_at),
        "valid_from": _time(credential.valid_from),
        "valid_until": _time(credential.valid_until),
        "revoked_at": _time(credential.revoked_at),
        "revocation_reason": credential.revocation_reason,
        "revocation_reason_code": credential.revocation_reason_code,
        "revocation_reason_public": credential.revocation_reason_public,
        "suspended_at": _time(credential.suspended_at),
        "verify_url": verify_url(credential),
        "credential_url": minting.credential_url(credential, credential.uuid),
    }


def _credential_detail(credential: Credential) -> dict:
    return {**_credential_summary(credential),
            "credential": json.loads(credential.signed_json)}


def _status(credential: Credential) -> str:
    if credential.revoked_at is not None:
        return "revoked"
    if credential.suspended_at is not None:
        return "suspended"
    if credential.valid_until is not None and credential.valid_until <= utc_seconds():
        return "expired"
    return "valid"


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return utc_stamp(moment)


def _moment(text: str) -> datetime | None:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- paging -----------------------------------------------------------------------------------


def _page(query, to_json, limit: int, offset: int) -> Response:
    session: Session = db()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = [to_json(record) for record in session.scalars(query.limit(limit).offset(offset))]
    following = offset + len(items)
    return _json(200, {"items": items, "total": total, "limit": limit, "offset": offset,
                       "next_offset": following if following < total else None})


def _paging(problems: Problems) -> tuple[int, int]:
    """`limit` and `offset` from the query string; problems recorded in `problems`."""
    limit = _whole(request.args.get("limit"), DEFAULT_PAGE, 1, MAX_PAGE, "limit", problems)
    offset = _whole(request.args.get("offset"), 0, 0, MAX_ID, "offset", problems)
    return limit, offset


def _whole(text: str | None, default: int | None, low: int, high: int, name: str,
           problems: Problems) -> int | None:
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        problems.add(name, f"must be a whole number from {low} to {high}")
        return default
    return int(text)


def _flag(name: str) -> bool:
    value = request.args.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ApiError(422, "validation_failed", f"{name} must be true or false",
                   [{"field": name, "message": "must be true or false"}])
