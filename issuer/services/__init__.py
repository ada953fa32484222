"""Use cases of the issuer service, each one transaction: issue, revoke, keys, import, erase.

Services take a SQLAlchemy `Session` first and commit nothing themselves unless their name says
so; the shell (web request, CLI command, API call) wraps a use case in `unit_of_work(db)`.
Their errors are named `BadgeError` subclasses with a message a person can act on and no HTTP
knowledge; the web shell's one table (`issuer/web/errors.py`) chooses each one's status.
These shared names live in `base` and are offered here for the shells; service modules import
them from `base`.

Every badge is minted through `minting.mint`. Issuing and revocation announce `events.issued`
and `events.revoked`; the listeners are connected below, once, whatever is imported first,
so no service calls one that calls it back.
"""

from __future__ import annotations

from . import claims, events, stacking
from .base import (
    Actor,
    InvalidAssessment,
    NotFound,
    NotIssuable,
    PermissionDenied,
    ServiceError,
    audit,
    require_organisation,
    unit_of_work,
)

__all__ = [
    "Actor", "InvalidAssessment", "NotFound", "NotIssuable", "PermissionDenied",
    "ServiceError", "audit", "require_organisation", "unit_of_work",
]

events.issued.connect(stacking.on_credential_issued, many=stacking.on_credentials_issued)
# Wallet copies first: stacking then counts the person's spare parts without the revoked copies.
events.revoked.connect(claims.revoke_wallet_copies)
events.revoked.connect(stacking.on_credential_revoked)
