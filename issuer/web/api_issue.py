"""The HTTP side of issuing through the API: intake's refusals and verdicts as answers.

Reading, planning and carrying out a request is intake's (issuer/services/intake.py and
intake_requests.py); here a refusal's code becomes its status, and an error is always
`{"error": {code, message, details}}`.
"""

from __future__ import annotations

from issuer.services.intake import ALREADY_ISSUED, ISSUED, NOT_YET_ACQUIRED
from issuer.services.intake_requests import IntakeError

# The status a single POST /credentials answers for each verdict.
VERDICT_STATUS = {ISSUED: 201, ALREADY_ISSUED: 200, NOT_YET_ACQUIRED: 422}
# The status of each refusal intake names; any other is 422.
REFUSAL_STATUS = {"forbidden": 403, "not_found": 404, "idempotency_key_reused": 409,
                  "too_many_items": 413}


class ApiError(Exception):
    """A refusal the API reports as `{"error": {code, message, details}}` with `status`."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or []

    def to_json(self) -> dict:
        """The error body."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    @classmethod
    def of(cls, refusal: IntakeError) -> ApiError:
        """Intake's refusal with its HTTP status."""
        return cls(REFUSAL_STATUS.get(refusal.code, 422), refusal.code, refusal.message,
                   refusal.details)
