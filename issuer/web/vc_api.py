"""The W3C VC-API under /api/v1 (services.vc_api): what the W3C test suites and VC-API clients
call. Authenticated like the rest of the API, by the organisation's Bearer token:

- `POST /api/v1/credentials/issue` (permission `sign`): `{"credential", "options"}` → 201
  `{"verifiableCredential"}`; a credential breaking the data model is 422.
- `POST /api/v1/credentials/verify` (permission `read`): `{"verifiableCredential", "options"}`
  → 200 `{"verified": true, "checks", "warnings", "errors"}`, or 422 with `verified: false`.
- `POST /api/v1/presentations/verify` (permission `read`): the same for
  `{"verifiablePresentation", "options": {"challenge", "domain"}}`.
- `POST /api/v1/credentials/status` (permission `status`): `{"credentialId", "credentialStatus":
  [{"type", "status"}]}` → 200; 404 for a credential the organisation did not issue with a status.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response

from issuer.services import unit_of_work, vc_api

from .api import MAX_VERIFY_BYTES, _json, _json_body, _token, bp
from .api_issue import ApiError
from .capacity import verification_slot
from .extensions import db, settings


@bp.errorhandler(vc_api.VcApiError)
def _request_error(error: vc_api.VcApiError) -> Response:
    return _json(400, ApiError(400, "bad_request", str(error)).to_json())


@bp.errorhandler(vc_api.VcApiNotFound)
def _not_found(error: vc_api.VcApiNotFound) -> Response:
    return _json(404, ApiError(404, "not_found", str(error)).to_json())


@bp.post("/credentials/issue")
def vc_issue() -> Response:
    body = _json_body()
    with unit_of_work(db()):
        issued = vc_api.issue(db(), _token(), body)
    return _json(201, issued)


@bp.post("/credentials/status")
def vc_update_status() -> Response:
    body = _json_body()
    with unit_of_work(db()):
        updated = vc_api.update_status(db(), _token(), body)
    return _json(200, updated)


@bp.post("/credentials/verify")
def vc_verify_credential() -> Response:
    body = _json_body(MAX_VERIFY_BYTES)
    with _slot():
        verified, result = vc_api.verify_credential(db(), body)
    return _verdict(verified, result)


@bp.post("/presentations/verify")
def vc_verify_presentation() -> Response:
    body = _json_body(MAX_VERIFY_BYTES)
    with _slot():
        verified, result = vc_api.verify_presentation(db(), body)
    return _verdict(verified, result)


@contextmanager
def _slot() -> Iterator[None]:
    """One of the worker's verifier slots, or 503 when all are busy (issuer.web.capacity)."""
    with verification_slot(settings().verify_slots) as free:
        if not free:
            raise ApiError(503, "busy", "the verifier is busy; try again in a few seconds")
        yield


def _verdict(verified: bool, result: dict) -> Response:
    if verified:
        return _json(200, result)
    message = "; ".join(result["errors"][:3]) or "the credential is not valid"
    return _json(422, {**result, **ApiError(422, "not_verified", message).to_json()})
