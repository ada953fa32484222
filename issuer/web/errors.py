"""From named errors to HTTP: the one table of status codes.

The core and the services raise errors that say what went wrong in their own words and know
nothing of HTTP; the web shell alone decides how each is answered. Every handler that turns an
error into a response (pages, the JSON API, the wallet protocols) asks `http_status`.
"""

from __future__ import annotations

from issuer.core.errors import BadgeError, KeyFormatError, SchemaError, TemplateError
from issuer.services import InvalidAssessment, NotFound, PermissionDenied, ServiceError
from issuer.services.accounts import TooManyAttempts
from issuer.services.claims import ClaimClosed
from issuer.services.exchanges import ExchangeError, OAuthError
from issuer.services.issuing import AlreadyIssued
from issuer.services.mail import MailError
from issuer.services.revocation import AlreadyRevoked

# A use case refused: the most specific class listed wins.
SERVICE_STATUS: dict[type[ServiceError], int] = {
    InvalidAssessment: 400,
    PermissionDenied: 403,
    NotFound: 404,
    AlreadyIssued: 409,
    AlreadyRevoked: 409,
    ClaimClosed: 410,
    TooManyAttempts: 429,
    MailError: 503,
    ServiceError: 422,
}
# A VC-API exchange step refused: the status follows the code the protocol answers with.
EXCHANGE_STATUS = {"unknown_exchange": 404, "unknown_offer": 404,
                   "exchange_complete": 409, "exchange_expired": 410}
# OAuth errors about the access token itself are 401 (RFC 6750 §3.1); the others 400.
OAUTH_UNAUTHORIZED = ("", "invalid_token")
# A document the client sent is malformed: 400 on pages (an API client gets 422 throughout).
MALFORMED = (KeyFormatError, SchemaError, TemplateError)


def http_status(error: BadgeError, *, malformed: int = 400) -> int:
    """The status answering `error`; `malformed` for a core error about a sent document."""
    if isinstance(error, ExchangeError):
        return EXCHANGE_STATUS.get(error.code, 400)
    if isinstance(error, OAuthError):
        return 401 if error.error in OAUTH_UNAUTHORIZED else 400
    for kind in type(error).__mro__:
        if kind in SERVICE_STATUS:
            return SERVICE_STATUS[kind]
    return malformed if isinstance(error, MALFORMED) else 422
